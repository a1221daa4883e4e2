"""The demo county's four-thirty classrooms: a program at every classroom room, about 150 teacher
volunteers with background checks, a year of weekday sessions and weekend/holiday self-study, so the
figures exceed the seed's (over 150 teacher volunteers, over 6,000 student-visits).

Through the services: the programs, the term's coming sessions, the demo tutor's volunteer record,
background check and roster places, the demo resident's child's enrollment, and the coming week's
roster. With bulk_create (the services refuse the past, and the volume needs it): the past year's
sessions, tutor roster entries and their service records, enrollments of the other children, visits,
late pick-up alerts and a few refused releases; the records are the same the services would write.
Deterministic with the generator's rng.
"""

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from linli.accounts.models import User
from linli.divisions.models import Division
from linli.people.models import Membership, Person
from linli.places.models import OpeningException, Room
from linli.volunteers import services as volunteer_services
from linli.volunteers.models import ServiceRecord, Team, Volunteer

from . import services
from .models import (
    Attendance,
    BackgroundCheck,
    Enrollment,
    LateAlert,
    PickupPerson,
    ReleaseAttempt,
    RosterEntry,
    Session,
)

TEACHERS = 156
SCHOOLS = ["上犹县东门小学", "上犹县城南小学", "上犹县紫阳小学", "上犹县第二小学", "上犹县黄埠中心小学"]
NOTES = ["作业全部完成", "今天读了两本绘本", "数学作业需要家长检查", "书法练习认真", "", "", ""]
OFFERS = [["homework", "reading", "growth"], ["homework", "interest", "civility"], ["homework", "reading", "civility"]]


def _holiday(day: dt.date) -> bool:
    """School holidays (winter and summer) when sessions pause and children come for self-study."""
    return (day.month == 1 and day.day >= 20) or (day.month == 2 and day.day <= 20) or \
        (day.month == 7 and day.day >= 10) or day.month == 8


def _at(day, time, tz):
    return dt.datetime.combine(day, time, tzinfo=tz)


def extend(*, rng, logins):
    tz = timezone.get_current_timezone()
    now, today = timezone.now(), timezone.localdate()
    first = today - dt.timedelta(days=365)
    county_user = User.objects.get(username="county")
    staff = User.objects.get(username="staff")
    county = Division.objects.get(code="360724")

    # Programs: one at every classroom room, through the service.
    rooms = list(Room.objects.filter(function=Room.Function.CLASSROOM, site__division__path__startswith=county.path)
                 .select_related("site__division").order_by("site__division__code", "site__name"))
    programs = []
    for i, room in enumerate(rooms):
        programs.append(services.program_create(
            by=county_user, site=room.site, room=room, name="四点半课堂", term_start=first,
            term_end=today + dt.timedelta(days=120), capacity=min(30, room.capacity or 30), offers=OFFERS[i % 3],
            description="放学后作业辅导、阅读与兴趣培养，志愿者老师陪伴成长。演示数据 · demo data", is_demo=True))
    for p in programs:
        services.sessions_generate(program=p, by=county_user)

    # Teacher volunteers: adults not yet volunteering, each with a clear background check.
    taken = set(Volunteer.objects.values_list("person_id", flat=True))
    grid_to_com = dict(Division.objects.filter(path__startswith=county.path, level=Division.Level.GRID)
                       .values_list("pk", "parent_id"))
    adults, kids = {}, {}
    for pk, division_id, born in Person.objects.filter(division__path__startswith=county.path,
                                                       birth_date__isnull=False).values_list(
            "pk", "division_id", "birth_date").order_by("pk"):
        age = (today - born).days // 365
        com = grid_to_com.get(division_id, division_id)
        if 24 <= age <= 60 and pk not in taken:
            adults.setdefault(com, []).append(pk)
        elif 6 <= age <= 12:
            kids.setdefault(com, []).append(pk)
    teachers = Team.objects.filter(code="teachers").first()
    program_coms = [p.site.division_id for p in programs]
    volunteers = []
    for i in range(TEACHERS):
        com = program_coms[i % len(program_coms)]
        pool = adults.get(com) or next((v for v in adults.values() if v), None)
        if pool is None:  # a small demo (tests) runs out of adults: fewer tutors then
            break
        pid = pool.pop(rng.randrange(len(pool)))
        volunteers.append(Volunteer(person_id=pid, division_id=com, number=f"SYJS{i + 1:05d}", skills="辅导作业",
                                    availability="工作日下午", is_demo=True,
                                    background_checked_on=first - dt.timedelta(days=rng.randint(0, 300))))
    Volunteer.objects.bulk_create(volunteers, batch_size=500)
    if teachers is not None:
        Volunteer.teams.through.objects.bulk_create(
            [Volunteer.teams.through(volunteer_id=v.pk, team_id=teachers.pk) for v in volunteers])
    checks = BackgroundCheck.objects.bulk_create([
        BackgroundCheck(volunteer=v, checked_on=v.background_checked_on,
                        valid_until=v.background_checked_on + dt.timedelta(days=services.check_valid_days()),
                        reference=f"犹公证字{2025}第{i + 1:04d}号", checked_by=staff)
        for i, v in enumerate(volunteers)], batch_size=500)
    check_of = {c.volunteer_id: c for c in checks}
    tutors_of = {p.pk: [v for j, v in enumerate(volunteers) if j % len(programs) == i] for i, p in enumerate(programs)}

    # Children: enrolled by their household's guardian (bulk; the demo resident's through the service).
    guardian_of = {}
    for m in Membership.objects.filter(end_date__isnull=True, relation__in=["head", "spouse"],
                                       person__division__path__startswith=county.path).select_related("person"):
        if m.person.phone:
            guardian_of.setdefault(m.household_id, m.person)
    household_of = dict(Membership.objects.filter(end_date__isnull=True).values_list("person_id", "household_id"))
    names = dict(Person.objects.filter(pk__in=[k for v in kids.values() for k in v]).values_list("pk", "name"))
    enrollments, used = [], set()
    for p in programs:
        pool = [k for k in kids.get(p.site.division_id, []) if k not in used and household_of.get(k) in guardian_of]
        for kid in rng.sample(pool, min(len(pool), p.capacity - 4)):
            used.add(kid)
            g = guardian_of[household_of[kid]]
            alone = rng.random() < 0.12
            consent = _at(first + dt.timedelta(days=rng.randint(0, 20)), dt.time(19), tz)
            enrollments.append(Enrollment(
                program=p, child_id=kid, child_name=names[kid], guardian=g, school=rng.choice(SCHOOLS),
                grade=rng.randint(1, 6), medical_notes=rng.choice(["", "", "", "", "对花生过敏", "哮喘，备有喷雾"]),
                may_leave_alone=alone, self_release_consent_at=consent if alone else None, consent_at=consent,
                consent_by=staff, consent_version=services.CONSENT_VERSION, activated_at=consent,
                status=Enrollment.Status.ACTIVE, is_demo=True))
    Enrollment.objects.bulk_create(enrollments, batch_size=500)
    pickups = []
    for e in enrollments:
        g = e.guardian
        pickups.append(PickupPerson(enrollment=e, name=g.name, phone=g.phone, is_guardian=True,
                                    relation="mother" if g.sex == "F" else "father"))
        if rng.random() < 0.6:
            pickups.append(PickupPerson(enrollment=e, name=g.name[0] + rng.choice("奶爷婆公") + rng.choice("奶爷婆公"),
                                        relation="grandparent", phone=f"13{rng.randint(100000000, 999999999)}"))
    PickupPerson.objects.bulk_create(pickups, batch_size=1000)
    pickups_of = {}
    for pp in pickups:
        pickups_of.setdefault(pp.enrollment_id, []).append(pp)
    by_program = {}
    for e in enrollments:
        by_program.setdefault(e.program_id, []).append(e)

    # The past year: sessions on school weekdays, self-study on Saturdays and holiday weekdays.
    closed = set(OpeningException.objects.filter(closed=True).values_list("site_id", "date"))
    sessions, roster, visits = [], [], []
    for p in programs:
        pool, kids_here = tutors_of[p.pk], by_program.get(p.pk, [])
        day = first
        while day < today:
            if (p.site_id, day) in closed:
                day += dt.timedelta(days=1)
                continue
            if day.weekday() < 5 and not _holiday(day):
                s = Session(program=p, date=day, start=_at(day, p.start_time, tz), end=_at(day, p.end_time, tz),
                            tutors_needed=p.tutors_needed)
                sessions.append(s)
                for v in rng.sample(pool, min(2, len(pool))):
                    roster.append(RosterEntry(session=s, volunteer=v, background_check=check_of[v.pk],
                                              assigned_by=staff, checked_in_at=s.start - dt.timedelta(minutes=10),
                                              checked_out_at=s.end, hours=Decimal("2.00")))
                for e in rng.sample(kids_here, min(len(kids_here), rng.randint(1, 4))):
                    visits.append(_visit(rng, e, p, s, day, s.start, s.end, pickups_of, tz))
            elif day.weekday() == 5 or (day.weekday() < 5 and _holiday(day)):
                opens, closes = _at(day, dt.time(9), tz), _at(day, dt.time(18), tz)
                for e in rng.sample(kids_here, min(len(kids_here), rng.randint(0, 3))):
                    visits.append(_visit(rng, e, p, None, day, opens + dt.timedelta(hours=rng.randint(0, 5)),
                                         closes, pickups_of, tz))
            day += dt.timedelta(days=1)
    Session.objects.bulk_create(sessions, batch_size=1000)
    records = []
    for r in roster:
        s = r.session
        r.session = s  # now saved: re-assigning sets session_id and keeps the cached object
        recent = s.end > now - dt.timedelta(days=7)
        records.append(ServiceRecord(
            volunteer=r.volunteer, content=f"四点半课堂 · {s.program.site.name}", start=r.checked_in_at,
            end=r.checked_out_at, hours=r.hours, source=ServiceRecord.Source.CLASSROOM,
            status=ServiceRecord.Status.PENDING if recent else ServiceRecord.Status.CONFIRMED, recorded_by=staff,
            verified_by=None if recent else staff, verified_at=None if recent else s.end + dt.timedelta(days=2)))
    ServiceRecord.objects.bulk_create(records, batch_size=1000)
    for r, rec in zip(roster, records, strict=True):
        r.service_record = rec
    RosterEntry.objects.bulk_create(roster, batch_size=1000)
    for v in visits:
        if v.session is not None:
            v.session = v.session
    Attendance.objects.bulk_create(visits, batch_size=1000)
    LateAlert.objects.bulk_create([LateAlert(attendance=v, site_id=v.site_id, raised_at=v.closes_at + services.late_grace(),
                                             resolved_at=v.released_at)
                                   for v in visits if v.released_at > v.closes_at + services.late_grace()])
    attempts = rng.sample(visits, min(8, len(visits)))
    ReleaseAttempt.objects.bulk_create([ReleaseAttempt(
        attendance=v, enrollment_id=v.enrollment_id, site_id=v.site_id, claimed_name=rng.choice(["自称舅舅", "邻居阿姨", "表哥"]),
        reason=rng.choice([ReleaseAttempt.Reason.NOT_LISTED, ReleaseAttempt.Reason.WRONG_PHONE]), attempted_by=staff)
        for v in attempts])
    # A few children left last term (their records wait out the retention period).
    left = rng.sample(enrollments, min(6, len(enrollments)))
    Enrollment.objects.filter(pk__in=[e.pk for e in left]).update(
        status=Enrollment.Status.LEFT, left_on=today - dt.timedelta(days=rng.randint(20, 200)))

    _demo_people(rng, programs, tutors_of, county_user, staff, today)


def _visit(rng, e, program, session, day, arrive, closes, pickups_of, tz):
    checked_in = arrive + dt.timedelta(minutes=rng.randint(0, 20))
    late = rng.random() < 0.006
    released = closes + dt.timedelta(minutes=rng.randint(20, 50)) if late else \
        closes - dt.timedelta(minutes=rng.randint(0, 40))
    released = max(released, checked_in + dt.timedelta(minutes=30))
    alone = e.may_leave_alone and rng.random() < 0.5
    pickup = None if alone else rng.choice(pickups_of[e.pk])
    return Attendance(enrollment=e, child_id=e.child_id, kind=Attendance.Kind.SESSION if session else
                      Attendance.Kind.SELF_STUDY, session=session, site_id=program.site_id, room_id=program.room_id,
                      date=day, closes_at=closes, checked_in_at=checked_in, released_at=released,
                      released_to=pickup, release_method="self" if alone else rng.choice(["phone", "phone", "qr"]),
                      note=rng.choice(NOTES))


def _demo_people(rng, programs, tutors_of, county_user, staff, today):
    """The demo logins: "tutor" is a rostered teacher volunteer with a background check; "resident"
    is the guardian of an enrolled child. Both through the services."""
    dongmen = next((p for p in programs if p.site.division.name == "东门社区"), programs[0])
    tutor_user = User.objects.filter(username="tutor").first()
    if tutor_user is not None:
        grid = Division.objects.filter(parent=dongmen.site.division).order_by("code").first()
        person = Person.objects.create(name="张老师", sex="F", birth_date=dt.date(1988, 9, 10), phone="13907970088",
                                       division=grid, user=tutor_user, is_demo=True)
        teachers = Team.objects.filter(code="teachers")
        volunteer = volunteer_services.volunteer_register(person=person, by=tutor_user, teams=list(teachers),
                                                          skills="小学语文、作业辅导", availability="工作日下午")
        services.background_check_record(volunteer=volunteer, by=staff, checked_on=today - dt.timedelta(days=40),
                                          reference="犹公证字2026第0188号")
        tutors_of[dongmen.pk] = [volunteer, *tutors_of[dongmen.pk]]
    # The coming week's roster, through the service; a few sessions are left short (flagged).
    for p in programs:
        coming = p.sessions.filter(end__gt=timezone.now(), date__lte=today + dt.timedelta(days=7)).order_by("date")
        for k, s in enumerate(coming):
            pool = tutors_of[p.pk]
            chosen = [pool[0]] if p.pk == dongmen.pk and tutor_user is not None else []
            chosen += [v for v in rng.sample(pool[1:], 2) if v not in chosen][: 2 - len(chosen) - (k % 4 == 3)]
            for v in chosen:
                services.roster_add(session=s, volunteer=v, by=county_user)
    resident = User.objects.filter(username="resident").select_related("person").first()
    if resident is not None and hasattr(resident, "person"):
        person = resident.person
        if not person.phone:
            Person.objects.filter(pk=person.pk).update(phone="13907970066")
        # Children the bulk step already enrolled with this guardian become theirs to see.
        Enrollment.objects.filter(guardian=person).update(guardian_user=resident)
        enrolled = Enrollment.objects.filter(status=Enrollment.Status.ACTIVE).values("child_id")
        kid = next(iter(services._household_children(person).exclude(pk__in=enrolled).filter(
            birth_date__lte=today - dt.timedelta(days=7 * 365), birth_date__gt=today - dt.timedelta(days=12 * 365))),
            None)
        kw = {"child": kid} if kid else {"child_name": person.name[0] + "小雨", "birth_date": dt.date(today.year - 9, 3, 1)}
        enrollment = services.enrollment_create(
            program=dongmen, by=resident, consent=True, school="上犹县东门小学", grade=3, medical_notes="对花生过敏",
            pickups=[{"name": person.name[0] + "奶奶", "relation": "grandparent", "phone": "13907970077"}], **kw)
        if enrollment.status != Enrollment.Status.ACTIVE:
            Enrollment.objects.filter(pk=enrollment.pk).update(status=Enrollment.Status.ACTIVE, activated_at=timezone.now())
        # A month of visits, so the guardian's page has something to show.
        sessions = list(dongmen.sessions.filter(date__lt=today, date__gte=today - dt.timedelta(days=30)))
        pickups = list(enrollment.pickups.all())
        Attendance.objects.bulk_create([
            Attendance(enrollment=enrollment, child_id=enrollment.child_id, session=s, site_id=dongmen.site_id,
                       room_id=dongmen.room_id, date=s.date, closes_at=s.end,
                       checked_in_at=s.start + dt.timedelta(minutes=rng.randint(0, 15)),
                       released_at=s.end - dt.timedelta(minutes=rng.randint(0, 20)), released_to=rng.choice(pickups),
                       release_method="phone", note=rng.choice(NOTES))
            for s in sessions if rng.random() < 0.6])
