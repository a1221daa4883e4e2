"""The demo county's year of civilization-practice activities and volunteer service.

Past records (nine months back) are written with bulk_create, because the services refuse to create
anything in the past and the volume (about a thousand dates, twenty thousand sign-ups) needs it; the
figures they produce are the same records the services would write. Upcoming dates (three months
ahead) get open sign-ups and shifts. Deterministic with the generator's rng.
"""

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from linli.accounts.models import User
from linli.activities.models import (
    Activity,
    Delivery,
    Method,
    Occurrence,
    Platform,
    Registration,
    Review,
    new_token,
)
from linli.divisions.models import Division
from linli.orgs.models import Organization
from linli.people.models import Person
from linli.places.models import Room, Site
from linli.volunteers.models import (
    PointsEntry,
    PointsRule,
    Reward,
    ServiceRecord,
    Shift,
    ShiftSignup,
    Team,
    Volunteer,
)

# (title, platform, method, delivery, recurrence, [(weekday, hh, mm)], hours, seats, room function, team)
SERIES = [
    ("城市夜话", "theory_policy", "thorough_lectures", None, "monthly", [(3, 19, 30)], 1.5, 50, Room.Function.NIGHT_TALK, "party_member"),
    ("青年读书会", "culture_education", "colourful_culture", "education", "weekly", [(2, 19, 0), (5, 15, 0)], 2, 25, Room.Function.BOOK_BAR, "youth"),
    ("义诊进社区", "health_care", "caring_help", "health", "monthly", [(5, 9, 0)], 2.5, 40, None, "doctors"),
    ("法律咨询进社区", "volunteer_legal", "caring_help", "legal_aid", "monthly", [(1, 15, 0)], 2, 20, None, "lawyers"),
    ("反诈防骗宣讲", "science_skills", "thorough_lectures", "safety", "monthly", [(4, 10, 0)], 1.5, 60, Room.Function.LECTURE_HALL, "police"),
    ("新时代理论宣讲", "theory_policy", "thorough_lectures", "service", "monthly", [(0, 19, 30)], 1.5, 60, Room.Function.LECTURE_HALL, "party_member"),
    ("巾帼手工坊", "science_skills", "colourful_culture", "care", "monthly", [(6, 14, 30)], 2, 20, None, "women"),
    ("邻里节·传统节日活动", "joint_building", "ceremony_heritage", "service", "monthly", [(6, 9, 30)], 2.5, 80, None, "youth"),
    ("居民议事评议会", "joint_building", "interactive_review", None, "monthly", [(2, 19, 30)], 1.5, 40, None, "social_workers"),
]
REWARDS = [("洗衣液", 50, 20), ("毛巾", 30, 30), ("大米（5斤）", 120, 10), ("理发服务券", 40, 15)]
COMMENTS = ["讲得很清楚，收获很大", "希望多办几次", "时间安排合适", "志愿者很热情", "内容贴近生活", ""]


def _dates(recurrence, slots, first, last):
    """(date, weekday slot) pairs: weekly alternates the slots (staggered times), monthly takes the 2nd
    occurrence of the weekday in each month."""
    out = []
    if recurrence == "weekly":
        day, i = first, 0
        while day <= last:
            wd, h, m = slots[i % len(slots)]
            d = day + dt.timedelta(days=(wd - day.weekday()) % 7)
            if d <= last:
                out.append((d, h, m))
            day += dt.timedelta(days=7)
            i += 1
        return out
    wd, h, m = slots[0]
    month = first.replace(day=1)
    while month <= last:
        d = month + dt.timedelta(days=(wd - month.weekday()) % 7 + 7)
        if first <= d <= last:
            out.append((d, h, m))
        month = (month + dt.timedelta(days=32)).replace(day=1)
    return out


def extend(*, rng, logins):
    tz = timezone.get_current_timezone()
    now = timezone.now()
    today = timezone.localdate()
    first, last = today - dt.timedelta(days=270), today + dt.timedelta(days=90)
    platforms = {p.code: p for p in Platform.objects.all()}
    methods = {m.code: m for m in Method.objects.all()}
    deliveries = {d.code: d for d in Delivery.objects.all()}
    teams = {t.code: t for t in Team.objects.all()}
    staff = User.objects.get(username="staff")
    county = Division.objects.get(code="360724")
    communities = list(Division.objects.filter(path__startswith=county.path, level=Division.Level.COMMUNITY))
    county_orgs = list(Organization.objects.filter(division=county))
    hour_rule = PointsRule.objects.filter(per_hour=True, active=True).first()

    # Volunteers: about 25 adults per community, in every team; the demo "volunteer" login is one.
    adults = {}
    for p in Person.objects.filter(division__path__startswith=county.path, birth_date__isnull=False).only(
            "pk", "division_id", "birth_date"):
        age = (today - p.birth_date).days // 365
        if 18 <= age <= 70:
            adults.setdefault(p.division_id, []).append(p.pk)
    grid_to_com = dict(Division.objects.filter(path__startswith=county.path, level=Division.Level.GRID)
                       .values_list("pk", "parent_id"))
    by_com = {}
    for grid, ids in adults.items():
        by_com.setdefault(grid_to_com.get(grid), []).extend(ids)
    vol_user = User.objects.filter(username="volunteer").first()
    first_com = Division.objects.get(name="东门社区", path__startswith=county.path)
    if vol_user is not None and not hasattr(vol_user, "person"):
        grid = Division.objects.filter(parent=first_com).order_by("code").first()
        Person.objects.create(name="赵明", sex="M", birth_date=dt.date(1985, 6, 1), phone="13907970001",
                              division=grid, user=vol_user, is_demo=True)
    volunteers, vol_teams = [], []
    team_codes = list(teams)
    for com in communities:
        chosen = rng.sample(by_com.get(com.pk, []), min(25, len(by_com.get(com.pk, []))))
        if com.pk == first_com.pk and vol_user is not None:
            chosen = [vol_user.person.pk, *chosen]
        for pid in chosen:
            volunteers.append(Volunteer(person_id=pid, division=com, number=f"SY{today:%Y}{len(volunteers) + 1:06d}",
                                        skills=rng.choice(["辅导作业", "急救", "书法", "摄影", "法律咨询", "理发", ""]),
                                        availability=rng.choice(["工作日晚上", "周末", "随时"]), is_demo=True,
                                        background_checked_on=today - dt.timedelta(days=rng.randint(30, 300))))
    Volunteer.objects.bulk_create(volunteers, batch_size=500)
    for i, v in enumerate(volunteers):
        codes = {team_codes[i % 3]} if i % 4 else {team_codes[i % 3], rng.choice(team_codes[3:])}
        if v.person_id == getattr(getattr(vol_user, "person", None), "pk", None):
            codes = {"party_member"}
        vol_teams += [Volunteer.teams.through(volunteer_id=v.pk, team_id=teams[c].pk) for c in codes]
    Volunteer.teams.through.objects.bulk_create(vol_teams, batch_size=1000)
    vols_by_com = {}
    for v in volunteers:
        vols_by_com.setdefault(v.division_id, []).append(v)

    # Activities: each center runs four or five series over the year.
    persons_by_com = {}
    for pid, grid in Person.objects.filter(division__path__startswith=county.path).values_list("pk", "division_id"):
        persons_by_com.setdefault(grid_to_com.get(grid), []).append(pid)
    resident_person = Person.objects.filter(user__username="resident").values_list("pk", flat=True).first()
    occurrences, plan = [], []
    for site in Site.objects.filter(division__in=communities, is_neighborhood_center=True).select_related("division"):
        rooms = {r.function: r for r in site.rooms.all()}
        orgs = list(Organization.objects.filter(division=site.division))
        for spec in rng.sample(SERIES, rng.randint(4, 5)):
            title, plat, meth, deliv, rec, slots, hours, seats, room_fn, team = spec
            room = rooms.get(room_fn) if room_fn else None
            seats = min(seats, room.capacity) if room and room.capacity else seats
            kind = Activity.Kind.NIGHT_TALK if room_fn == Room.Function.NIGHT_TALK else Activity.Kind.ACTIVITY
            act = Activity.objects.create(title=title, kind=kind, site=site, room=room, platform=platforms[plat],
                                          method=methods[meth], delivery=deliveries.get(deliv), team=teams[team],
                                          capacity=seats, recurrence=rec, created_by=staff, is_demo=True,
                                          description="演示数据 · demo data")
            act.organizers.set([*rng.sample(orgs, min(len(orgs), 1)), *rng.sample(county_orgs, 1)])
            for day, h, m in _dates(rec, slots, first, last):
                start = dt.datetime.combine(day, dt.time(h, m), tzinfo=tz)
                occurrences.append(Occurrence(activity=act, start=start, end=start + dt.timedelta(hours=hours),
                                              room=room, capacity=seats, checkin_token=new_token(),
                                              signup_opens=start - dt.timedelta(days=14), signup_closes=start))
                plan.append(site.division_id)
    Occurrence.objects.bulk_create(occurrences, batch_size=500)
    # A few dates cancelled alone (weather), as a series allows.
    for occ in rng.sample(occurrences, 6):
        occ.status, occ.cancel_reason, occ.is_modified = Occurrence.Status.CANCELLED, "天气原因取消", True
    Occurrence.objects.bulk_update([o for o in occurrences if o.is_modified], ["status", "cancel_reason", "is_modified"])

    regs, shifts = [], []
    for occ, com in zip(occurrences, plan, strict=True):
        pool = persons_by_com.get(com, [])
        past = occ.end < now
        if occ.start > now + dt.timedelta(days=14) or occ.is_cancelled:
            taken = 0
        else:
            taken = min(len(pool), int(occ.capacity * rng.uniform(0.5, 1.15)))
        for j, pid in enumerate(rng.sample(pool, taken)):
            confirmed = j < occ.capacity
            checked = past and confirmed and rng.random() < 0.85
            regs.append(Registration(occurrence=occ, person_id=pid, registered_by=staff, division_id=com,
                                     status=Registration.Status.CONFIRMED if confirmed else Registration.Status.WAITLISTED,
                                     checked_in_at=occ.start + dt.timedelta(minutes=rng.randint(-20, 10)) if checked else None))
        if not occ.is_cancelled:
            shifts.append(Shift(occurrence=occ, role=rng.choice(["引导与秩序", "签到服务", "场地布置", "摄影记录"]),
                                needed=rng.randint(2, 4), start=occ.start - dt.timedelta(minutes=30), end=occ.end))
    # The demo resident has seats at the next dates of their community.
    if resident_person:
        upcoming = [o for o, c in zip(occurrences, plan, strict=True)
                    if c == first_com.pk and now < o.start < now + dt.timedelta(days=14) and not o.is_cancelled][:2]
        for o in upcoming:
            mine = [r for r in regs if r.occurrence is o]
            if any(r.person_id == resident_person for r in mine):
                continue
            full = sum(r.status == Registration.Status.CONFIRMED for r in mine) >= o.capacity
            regs.append(Registration(occurrence=o, person_id=resident_person, registered_by=staff,
                                     division_id=first_com.pk,
                                     status=Registration.Status.WAITLISTED if full else Registration.Status.CONFIRMED))
    Registration.objects.bulk_create(regs, batch_size=1000)
    reviews = [Review(registration=r, occurrence=r.occurrence, rating=rng.choices([3, 4, 5], weights=[1, 4, 6])[0],
                      comment=rng.choice(COMMENTS)) for r in regs if r.checked_in_at and rng.random() < 0.3]
    Review.objects.bulk_create(reviews, batch_size=1000)
    Shift.objects.bulk_create(shifts, batch_size=500)

    # Volunteers take the shifts; past ones were checked in and out, and confirmed (the last week's wait).
    signups, records = [], []
    for shift, com in ((s, s.occurrence.activity.site.division_id) for s in shifts):
        pool = vols_by_com.get(com, [])
        for v in rng.sample(pool, min(len(pool), shift.needed if shift.start < now + dt.timedelta(days=10) else 1)):
            done = shift.end < now
            signups.append(ShiftSignup(shift=shift, volunteer=v, checked_in_at=shift.start if done else None,
                                       checked_out_at=shift.end if done else None))
    ShiftSignup.objects.bulk_create(signups, batch_size=1000)
    staff_ids = list(User.objects.filter(username__in=["staff", "county"]).values_list("pk", flat=True))
    for s in signups:
        if s.checked_out_at is None:
            continue
        shift = s.shift
        recent = shift.end > now - dt.timedelta(days=7)
        hours = Decimal((shift.end - shift.start).total_seconds() / 3600).quantize(Decimal("0.01"))
        records.append(ServiceRecord(
            volunteer=s.volunteer, signup=s, occurrence=shift.occurrence, start=shift.start, end=shift.end,
            content=f"{shift.occurrence.activity.title} · {shift.role}", hours=hours,
            source=ServiceRecord.Source.CHECKIN, recorded_by_id=staff_ids[0],
            status=ServiceRecord.Status.PENDING if recent else ServiceRecord.Status.CONFIRMED,
            verified_by_id=None if recent else rng.choice(staff_ids), verified_at=None if recent else shift.end + dt.timedelta(days=1)))
    # Long-serving volunteers bring hours from earlier years, entered by staff (marked so) and confirmed.
    for v in rng.sample(volunteers, len(volunteers) // 8):
        hours = Decimal(rng.choice([120, 180, 320, 450, 650, 1100]))
        start = dt.datetime.combine(today.replace(month=1, day=1) - dt.timedelta(days=365), dt.time(9), tzinfo=tz)
        records.append(ServiceRecord(
            volunteer=v, content="往年志愿服务时长（纸质台账录入）", start=start, end=start + dt.timedelta(days=300),
            hours=hours, source=ServiceRecord.Source.ADMIN, status=ServiceRecord.Status.CONFIRMED,
            recorded_by_id=staff_ids[0], verified_by_id=staff_ids[-1], verified_at=start + dt.timedelta(days=301)))
    ServiceRecord.objects.bulk_create(records, batch_size=1000)
    if hour_rule is not None:
        PointsEntry.objects.bulk_create([
            PointsEntry(volunteer=r.volunteer, amount=int(r.hours * hour_rule.points), kind=PointsEntry.Kind.EARNED,
                        rule=hour_rule, record=r, created_by_id=r.verified_by_id)
            for r in records if r.status == ServiceRecord.Status.CONFIRMED and r.source == ServiceRecord.Source.CHECKIN
            and int(r.hours * hour_rule.points) > 0],
            batch_size=1000)
    Reward.objects.bulk_create([Reward(name=name, division=com, cost=cost, stock=stock)
                                for com in communities for name, cost, stock in REWARDS])
