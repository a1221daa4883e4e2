"""Writes for the four-thirty classroom.

THE RULES
- No enrollment without the guardian's consent on record; never more active places than the program
  has (the Program row is locked before counting); the earliest waitlisted child takes a freed place.
- No tutor is rostered on a session without a valid background check (clear, dated, recorded by whom,
  not expired on the session's date).
- A child is checked in only if enrolled (active) in the session's program, and only once: the
  Enrollment row is locked before looking for an open visit.
- A child is released only to a person on the child's list, confirmed by the last four digits of that
  person's phone or by their pick-up code, or alone when the guardian's self-release consent is on
  record. The Attendance row is locked, so two tutors cannot release the same child twice. A refused
  release records nothing but a ReleaseAttempt row for staff.
- Tutor hours come from their check-in and check-out at the session, as a pending volunteer service
  record marked as from a classroom session, written through the volunteers app's door for other apps
  (service_record_from) and confirmed by the community like any other record.
"""

import datetime as dt
import logging
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from linli.accounts.models import Role
from linli.core.scoping import has_role_over
from linli.people.models import Membership, Person
from linli.people.services import normalize_phone
from linli.places.models import OpeningException, OpeningHours, Room, Site
from linli.volunteers import services as volunteer_services
from linli.volunteers.models import ServiceRecord, Volunteer

from .models import (
    DEFAULT_WEEKDAYS,
    STAFF_ROLES,
    Attendance,
    BackgroundCheck,
    Enrollment,
    LateAlert,
    Notification,
    PickupPerson,
    Program,
    ReleaseAttempt,
    RosterEntry,
    Session,
)

log = logging.getLogger(__name__)
CONSENT_VERSION = "2026-1"
CHECKIN_OPENS_BEFORE = dt.timedelta(hours=1)
HOURS = Decimal("0.01")


def _setting(name, default):
    return getattr(settings, name, default)


def check_valid_days() -> int:
    return int(_setting("LINLI_CLASSROOM_CHECK_VALID_DAYS", 3 * 365))


def late_grace() -> dt.timedelta:
    return dt.timedelta(minutes=int(_setting("LINLI_CLASSROOM_LATE_AFTER_MINUTES", 15)))


def _aware(day: dt.date, time: dt.time) -> dt.datetime:
    return dt.datetime.combine(day, time, tzinfo=timezone.get_current_timezone())


# Who may do what ----------------------------------------------------------------------------------

def can_run(user, site: Site) -> bool:
    """Staff of the site's community (or above) run its classroom."""
    return has_role_over(user, STAFF_ROLES, site.division)


def is_rostered(user, session: Session) -> bool:
    return session.roster.filter(volunteer__person__user=user).exists() if user.is_authenticated else False


# Self-study runs on days without a session (weekends, holidays): a tutor keeps its desk at a site where
# they are on a session's roster within this many days either side, and nowhere else.
DESK_ROSTER_WINDOW = dt.timedelta(days=30)


def is_rostered_at(user, site: Site, day=None) -> bool:
    """On the roster of a session at the site within DESK_ROSTER_WINDOW of `day` (the self-study desk)."""
    day = day or timezone.localdate()
    return user.is_authenticated and RosterEntry.objects.filter(
        volunteer__person__user=user, session__program__site=site,
        session__date__range=(day - DESK_ROSTER_WINDOW, day + DESK_ROSTER_WINDOW)).exists()


def can_desk(user, site: Site, session: Session | None = None) -> bool:
    """May take children in and out: staff over the site, or a tutor on the session (for self-study:
    on a session's roster at the site these weeks). A tutor role alone reaches no child (least privilege)."""
    if has_role_over(user, STAFF_ROLES, site.division):
        return True
    return is_rostered(user, session) if session is not None else is_rostered_at(user, site)


def _require(ok: bool, message: str) -> None:
    if not ok:
        raise PermissionDenied(message)


# Notifications ------------------------------------------------------------------------------------

def notify(*, users, kind: str, subject: str, body: str = "", enrollment: Enrollment | None = None) -> int:
    """Store one line per user in the child's history (shown on the child's page). Delivery to the
    guardians' phones goes through `linli.notifications` (`_tell_guardians`), not from here."""
    users = [u for u in dict.fromkeys(users) if u is not None]
    Notification.objects.bulk_create([Notification(user=u, kind=kind, subject=subject[:200], body=body[:500],
                                                   enrollment=enrollment) for u in users])
    return len(users)


def guardian_users(enrollment: Enrollment) -> list:
    """Every account that is the child's guardian: the one that enrolled the child, the guardian's
    register entry, and any guardian on the pick-up list whose phone is a register person's with an account."""
    from linli.people.models import Person

    users = [enrollment.guardian_user, enrollment.guardian.user if enrollment.guardian_id and enrollment.guardian else None]
    phones = [p for p in enrollment.pickups.filter(is_guardian=True, active=True).values_list("phone", flat=True) if p]
    if phones:
        users += [p.user for p in Person.objects.filter(phone__in=phones, user__isnull=False).select_related("user")]
    return users


def _tell_guardians(enrollment: Enrollment, key: str, *, safety: bool = False, dedup_key: str | None = None,
                    also=(), **params) -> None:
    from linli.notifications.services import notify_all

    notify_all(recipients=[*guardian_users(enrollment), *also], key=key, safety=safety, dedup_key=dedup_key,
               obj=f"/classroom/children/{enrollment.pk}/", params={"child": enrollment.child_name, **params})


def _staff_users(site: Site):
    from linli.accounts.models import User

    return list(User.objects.filter(roles__kind__in=[Role.Kind.COMMUNITY_STAFF, Role.Kind.SITE_MANAGER],
                                    roles__division_id__in=site.division.ancestor_ids()).distinct())


# Programs and sessions ----------------------------------------------------------------------------

@transaction.atomic
def program_create(*, by, site: Site, name: str, term_start: dt.date, term_end: dt.date, capacity: int,
                   room: Room | None = None, weekdays: list[int] | None = None,
                   start_time: dt.time = dt.time(16, 30), end_time: dt.time = dt.time(18, 30),
                   min_age: int = 6, max_age: int = 13, offers: list[str] | None = None, tutors_needed: int = 2,
                   description: str = "", is_demo: bool = False) -> Program:
    """Staff of the site's community set up a program in one of its rooms."""
    _require(can_run(by, site), _("Only the community's staff may set up a classroom here."))
    errors = {}
    if room is not None and room.site_id != site.pk:
        errors["room"] = _("Choose a room of this site.")
    weekdays = sorted(set(DEFAULT_WEEKDAYS if weekdays is None else weekdays))
    if not weekdays or any(d not in range(7) for d in weekdays):
        errors["weekdays"] = _("Choose at least one weekday.")
    if term_end < term_start:
        errors["term_end"] = _("The term must end after it starts.")
    if end_time <= start_time:
        errors["end_time"] = _("The end must be after the start.")
    if max_age < min_age:
        errors["max_age"] = _("The oldest age must not be below the youngest.")
    if room is not None and room.capacity and capacity > room.capacity:
        errors["capacity"] = _("The room holds %(n)s people.") % {"n": room.capacity}
    unknown = set(offers or []) - set(Program.Offer.values)
    if unknown:
        errors["offers"] = _("Unknown activities: %(codes)s.") % {"codes": ", ".join(sorted(unknown))}
    if errors:
        raise ValidationError(errors)
    program = Program(site=site, room=room, name=name.strip(), term_start=term_start, term_end=term_end,
                      weekdays=weekdays, start_time=start_time, end_time=end_time, capacity=capacity,
                      min_age=min_age, max_age=max_age, offers=list(offers or []), tutors_needed=tutors_needed,
                      description=description, created_by=by, is_demo=is_demo)
    program.full_clean()
    program.save()
    return program


def closed_dates(site: Site, first: dt.date, last: dt.date) -> set[dt.date]:
    return set(OpeningException.objects.filter(site=site, date__range=(first, last), closed=True)
               .values_list("date", flat=True))


def sessions_generate(*, program: Program, by, first: dt.date | None = None, last: dt.date | None = None) -> int:
    """Create the term's sessions from the timetable (from today on), skipping dates the site is
    closed and dates already there. Returns how many were created."""
    _require(can_run(by, program.site), _("Only the community's staff may plan sessions."))
    first = max(first or program.term_start, program.term_start, timezone.localdate())
    last = min(last or program.term_end, program.term_end)
    closed = closed_dates(program.site, first, last)
    with transaction.atomic():
        have = set(Session.objects.filter(program=program, date__range=(first, last)).values_list("date", flat=True))
        rows, day = [], first
        while day <= last:
            if day.weekday() in program.weekdays and day not in closed and day not in have:
                rows.append(Session(program=program, date=day, start=_aware(day, program.start_time),
                                    end=_aware(day, program.end_time), tutors_needed=program.tutors_needed))
            day += dt.timedelta(days=1)
        Session.objects.bulk_create(rows)
    return len(rows)


@transaction.atomic
def session_cancel(*, session: Session, by, reason: str = "") -> Session:
    _require(can_run(by, session.program.site), _("Only the community's staff may cancel a session."))
    session = Session.objects.select_for_update().get(pk=session.pk)
    if session.attendances.exists():
        raise ValidationError({"status": _("Children have already been checked in to this session.")})
    session.status, session.note = Session.Status.CANCELLED, reason.strip()[:200]
    session.save(update_fields=["status", "note"])
    return session


# Enrollment ---------------------------------------------------------------------------------------

def _child_age_on(birth_date: dt.date, day: dt.date) -> int:
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


def _household_children(guardian: Person):
    """The guardian's current household members other than the guardian (candidates to enrol)."""
    households = Membership.objects.filter(person=guardian, end_date__isnull=True).values("household_id")
    return Person.objects.filter(memberships__household_id__in=households,
                                 memberships__end_date__isnull=True).exclude(pk=guardian.pk)


def enrollment_create(*, program: Program, by, consent: bool, child: Person | None = None,
                      child_name: str = "", birth_date: dt.date | None = None, sex: str = "",
                      school: str = "", grade: int | None = None, medical_notes: str = "",
                      may_leave_alone: bool = False, pickups: list[dict] = (),
                      guardian: Person | None = None) -> Enrollment:
    """A guardian enrols their child (one of their household, or a child named here) with consent,
    listing who may collect the child; the guardian is always on the list. Waitlisted when full."""
    if not Program.objects.visible_to(by).filter(pk=program.pk).exists():
        raise PermissionDenied(_("This program is not open to you."))
    on_behalf = guardian is not None and guardian.user_id != by.pk
    if on_behalf:
        _require(can_run(by, program.site), _("Only the community's staff may enrol a child for a guardian."))
    else:
        guardian = Person.objects.filter(user=by).first()
        if guardian is None:
            raise ValidationError({"guardian": _("Your account is not linked to a resident record; ask the "
                                                 "community to link it before enrolling a child.")})
    errors = {}
    if not consent:
        errors["consent"] = _("The guardian's consent to the processing of the child's personal data is "
                              "required (PIPL, children under 14).")
    if child is not None:
        if not on_behalf and not _household_children(guardian).filter(pk=child.pk).exists():
            errors["child"] = _("Choose a child of your household.")
        child_name, birth_date = child.name, child.birth_date
    else:
        child_name = (child_name or "").strip()
        if not child_name:
            errors["child_name"] = _("Give the child's name.")
        if birth_date is None:
            errors["birth_date"] = _("Give the child's birth date.")
    today = timezone.localdate()
    if birth_date is not None:
        age = _child_age_on(birth_date, today)
        if birth_date > today or not program.min_age <= age <= program.max_age:
            errors["birth_date"] = _("This program is for children aged %(min)s to %(max)s.") % {
                "min": program.min_age, "max": program.max_age}
    if program.term_end < today:
        errors["program"] = _("This program's term has ended.")
    if not guardian.phone:
        errors["guardian"] = _("The guardian needs a phone number on record to collect the child.")
    clean_pickups = []
    for i, p in enumerate(pickups or []):
        name, phone = (p.get("name") or "").strip(), p.get("phone") or ""
        if not name and not phone:
            continue
        try:
            phone = normalize_phone(phone)
        except ValidationError as exc:
            errors[f"pickup_{i}_phone"] = exc.message_dict["phone"]
            continue
        if not name or not phone:
            errors[f"pickup_{i}_name"] = _("Give the name and phone of each person who may collect the child.")
            continue
        if p.get("relation") not in PickupPerson.Relation.values:
            errors[f"pickup_{i}_relation"] = _("Choose the relation to the child.")
            continue
        clean_pickups.append({"name": name[:50], "phone": phone, "relation": p["relation"]})
    if errors:
        raise ValidationError(errors)

    now = timezone.now()
    with transaction.atomic():
        program = Program.objects.select_for_update().get(pk=program.pk)
        if child is not None and Enrollment.objects.filter(program=program, child=child,
                                                           status__in=Enrollment.OPEN).exists():
            raise ValidationError({"child": _("%(name)s is already enrolled or waiting in this program.")
                                   % {"name": child.name}})
        created_here = child is None
        if created_here:
            # The classroom keeps the least it needs of a child: name, birth date, sex; no ID number.
            child = Person(name=child_name[:50], birth_date=birth_date, sex=sex or "", division=guardian.division)
            child.full_clean(exclude=["id_number_index", "user"])
            child.save()
        active = Enrollment.objects.filter(program=program, status=Enrollment.Status.ACTIVE).count()
        full = active >= program.capacity
        enrollment = Enrollment(
            program=program, child=child, child_name=child.name, guardian=guardian, guardian_user=guardian.user,
            school=school.strip()[:100], grade=grade, medical_notes=medical_notes.strip()[:300],
            may_leave_alone=may_leave_alone, self_release_consent_at=now if may_leave_alone else None,
            consent_at=now, consent_by=by, consent_version=CONSENT_VERSION, child_created_here=created_here,
            status=Enrollment.Status.WAITLISTED if full else Enrollment.Status.ACTIVE,
            activated_at=None if full else now)
        try:
            with transaction.atomic():
                enrollment.save()
        except IntegrityError:
            raise ValidationError({"child": _("%(name)s is already enrolled or waiting in this program.")
                                   % {"name": child.name}}) from None
        relation = PickupPerson.Relation.MOTHER if guardian.sex == Person.Sex.FEMALE else PickupPerson.Relation.FATHER
        rows = [PickupPerson(enrollment=enrollment, name=guardian.name, relation=relation, phone=guardian.phone,
                             is_guardian=True)]
        rows += [PickupPerson(enrollment=enrollment, **p) for p in clean_pickups
                 if p["phone"] != guardian.phone]
        PickupPerson.objects.bulk_create(rows)
    return enrollment


def _require_guardian_or_staff(by, enrollment: Enrollment) -> None:
    _require(enrollment.guardian_user_id == by.pk or can_run(by, enrollment.program.site),
             _("Only the child's guardian or the community's staff may do this."))


def enrollment_leave(*, enrollment: Enrollment, by, on: dt.date | None = None) -> Enrollment:
    """The child leaves (or the guardian withdraws consent); the earliest waitlisted child takes the
    place. The retention period starts on the day the child leaves."""
    _require_guardian_or_staff(by, enrollment)
    promoted = None
    with transaction.atomic():
        program = Program.objects.select_for_update().get(pk=enrollment.program_id)
        enrollment = Enrollment.objects.select_for_update().get(pk=enrollment.pk)
        if enrollment.status == Enrollment.Status.LEFT:
            raise ValidationError({"status": _("This child has already left the program.")})
        if enrollment.attendances.filter(released_at__isnull=True).exists():
            raise ValidationError({"status": _("The child is checked in right now; release the child first.")})
        was_active = enrollment.status == Enrollment.Status.ACTIVE
        enrollment.status, enrollment.left_on = Enrollment.Status.LEFT, on or timezone.localdate()
        enrollment.save(update_fields=["status", "left_on"])
        if was_active:
            promoted = _promote_waitlisted(program)
    if promoted is not None:
        with transaction.atomic():
            _tell_guardians(promoted, "classroom.place", program=program.name)
    if promoted is not None and promoted.guardian_user_id:
        notify(users=[promoted.guardian_user], kind=Notification.Kind.PLACE, enrollment=promoted,
               subject=_("A place for %(child)s at %(program)s") % {"child": promoted.child_name,
                                                                       "program": program.name},
               body=_("A place has opened and %(child)s is now enrolled. If you no longer need it, "
                      "withdraw on the classroom page so the next child can have it.") % {"child": promoted.child_name})
    return enrollment


def _promote_waitlisted(program: Program) -> Enrollment | None:
    """Inside the program lock: give a freed place to the earliest waitlisted child."""
    active = Enrollment.objects.filter(program=program, status=Enrollment.Status.ACTIVE).count()
    if active >= program.capacity:
        return None
    nxt = (Enrollment.objects.select_for_update().filter(program=program, status=Enrollment.Status.WAITLISTED)
           .order_by("created_at", "pk").first())
    if nxt is not None:
        nxt.status, nxt.activated_at = Enrollment.Status.ACTIVE, timezone.now()
        nxt.save(update_fields=["status", "activated_at"])
    return nxt


@transaction.atomic
def pickup_add(*, enrollment: Enrollment, by, name: str, relation: str, phone: str) -> PickupPerson:
    """Only the guardian (or staff with the guardian's written form) adds someone to the list."""
    _require_guardian_or_staff(by, enrollment)
    errors = {}
    name = (name or "").strip()
    if not name:
        errors["name"] = _("Give the person's name.")
    if relation not in PickupPerson.Relation.values:
        errors["relation"] = _("Choose the relation to the child.")
    try:
        phone = normalize_phone(phone)
        if not phone:
            errors["phone"] = _("Give the person's phone: it confirms them at the door.")
    except ValidationError as exc:
        errors["phone"] = exc.message_dict["phone"]
    if errors:
        raise ValidationError(errors)
    if enrollment.pickups.filter(active=True, phone=phone).exists():
        raise ValidationError({"phone": _("Someone with this phone is already on the list.")})
    return PickupPerson.objects.create(enrollment=enrollment, name=name[:50], relation=relation, phone=phone)


@transaction.atomic
def pickup_withdraw(*, pickup: PickupPerson, by) -> PickupPerson:
    """Take someone off the list; their code stops working at once."""
    _require_guardian_or_staff(by, pickup.enrollment)
    if pickup.is_guardian:
        raise ValidationError({"pickup": _("The guardian stays on the list.")})
    pickup.active = False
    pickup.token = f"x-{pickup.pk}-{pickup.token[:8]}"
    pickup.save(update_fields=["active", "token"])
    return pickup


@transaction.atomic
def self_release_set(*, enrollment: Enrollment, by, allowed: bool) -> Enrollment:
    """Only the guardian gives or withdraws consent for the child to leave alone."""
    _require(enrollment.guardian_user_id == by.pk, _("Only the child's guardian may decide this."))
    enrollment.may_leave_alone = allowed
    enrollment.self_release_consent_at = timezone.now() if allowed else None
    enrollment.save(update_fields=["may_leave_alone", "self_release_consent_at"])
    return enrollment


# Tutors -------------------------------------------------------------------------------------------

@transaction.atomic
def background_check_record(*, volunteer: Volunteer, by, checked_on: dt.date, valid_until: dt.date | None = None,
                            result: str = BackgroundCheck.Result.CLEAR, reference: str = "") -> BackgroundCheck:
    """Staff record a check for offences against minors: its date, result and validity."""
    _require(has_role_over(by, STAFF_ROLES, volunteer.division),
             _("Only the community's staff may record background checks."))
    errors = {}
    if checked_on > timezone.localdate():
        errors["checked_on"] = _("A check cannot be dated in the future.")
    valid_until = valid_until or checked_on + dt.timedelta(days=check_valid_days())
    if valid_until < checked_on:
        errors["valid_until"] = _("The validity must end after the check.")
    if result not in BackgroundCheck.Result.values:
        errors["result"] = _("Choose the result.")
    if errors:
        raise ValidationError(errors)
    return BackgroundCheck.objects.create(volunteer=volunteer, checked_on=checked_on, valid_until=valid_until,
                                          result=result, reference=reference.strip()[:60], checked_by=by)


def valid_check(volunteer: Volunteer, day: dt.date) -> BackgroundCheck | None:
    """The volunteer's newest check, if it is clear and valid on `day` (a later adverse check wins)."""
    latest = volunteer.classroom_checks.filter(checked_on__lte=day).order_by("-checked_on", "-pk").first()
    return latest if latest is not None and latest.is_valid_on(day) else None


def roster_add(*, session: Session, volunteer: Volunteer, by) -> RosterEntry:
    """A teacher volunteer signs up for a session, or staff assign one. Refused without a valid
    background check on the session's date."""
    own = volunteer.person.user_id is not None and volunteer.person.user_id == by.pk
    site = session.program.site
    _require(own or can_run(by, site), _("You may sign up only yourself."))
    with transaction.atomic():
        session = Session.objects.select_for_update().select_related("program__site").get(pk=session.pk)
        if session.status != Session.Status.SCHEDULED:
            raise ValidationError({"session": _("This session is cancelled.")})
        if session.end <= timezone.now():
            raise ValidationError({"session": _("This session is over.")})
        if not volunteer.active:
            raise ValidationError({"volunteer": _("This volunteer is inactive.")})
        check = valid_check(volunteer, session.date)
        if check is None:
            raise ValidationError({"volunteer": _(
                "%(name)s has no valid background check on record; staff must record one (date, result, "
                "by whom) before the tutor works with children.") % {"name": volunteer.person.name}})
        if session.roster.filter(volunteer=volunteer).exists():
            raise ValidationError({"volunteer": _("%(name)s is already on this session.") % {
                "name": volunteer.person.name}})
        return RosterEntry.objects.create(session=session, volunteer=volunteer, background_check=check,
                                          assigned_by=None if own else by)


@transaction.atomic
def roster_remove(*, entry: RosterEntry, by) -> None:
    own = entry.volunteer.person.user_id == by.pk
    _require(own or can_run(by, entry.session.program.site), _("You may take only yourself off a session."))
    entry = RosterEntry.objects.select_for_update().get(pk=entry.pk)
    if entry.checked_in_at is not None:
        raise ValidationError({"session": _("You have already checked in to this session.")})
    entry.delete()


def _lock_entry(entry: RosterEntry) -> RosterEntry:
    return (RosterEntry.objects.select_for_update(of=("self",))
            .select_related("session__program__site__division", "volunteer__person").get(pk=entry.pk))


@transaction.atomic
def tutor_check_in(*, entry: RosterEntry, by) -> RosterEntry:
    entry = _lock_entry(entry)
    session = entry.session
    _require(entry.volunteer.person.user_id == by.pk or can_run(by, session.program.site),
             _("Only the tutor or the community's staff may check the tutor in."))
    now = timezone.now()
    if session.status != Session.Status.SCHEDULED:
        raise ValidationError({"session": _("This session is cancelled.")})
    if now < session.start - CHECKIN_OPENS_BEFORE or now > session.end:
        raise ValidationError({"session": _("Check-in is open from one hour before the session until it ends.")})
    if entry.checked_in_at is not None:
        raise ValidationError({"session": _("Already checked in.")})
    entry.checked_in_at = now
    entry.save(update_fields=["checked_in_at"])
    return entry


def tutor_service_record(*, entry: RosterEntry, by, end: dt.datetime) -> ServiceRecord:
    """The volunteer service record a tutor's session earns: the time inside the session between
    check-in and check-out, pending until the community confirms it (source: classroom session)."""
    session = entry.session
    start, stop = max(entry.checked_in_at, session.start), min(end, session.end)
    seconds = max((stop - start).total_seconds(), 0)
    hours = (Decimal(seconds) / Decimal(3600)).quantize(HOURS, rounding=ROUND_HALF_UP)
    record = volunteer_services.service_record_from(
        source=ServiceRecord.Source.CLASSROOM, volunteer=entry.volunteer, by=by,
        content=_("Four-thirty classroom · %(program)s") % {"program": session.program.name},
        start=entry.checked_in_at, end=end, hours=hours)
    entry.hours, entry.service_record = hours, record
    return record


@transaction.atomic
def tutor_check_out(*, entry: RosterEntry, by) -> ServiceRecord:
    """Check out: writes the pending service record; the children must all be released first."""
    entry = _lock_entry(entry)
    session = entry.session
    _require(entry.volunteer.person.user_id == by.pk or can_run(by, session.program.site),
             _("Only the tutor or the community's staff may check the tutor out."))
    if entry.checked_in_at is None:
        raise ValidationError({"session": _("Check in before checking out.")})
    if entry.checked_out_at is not None:
        raise ValidationError({"session": _("Already checked out.")})
    others = RosterEntry.objects.filter(session=session, checked_in_at__isnull=False,
                                        checked_out_at__isnull=True).exclude(pk=entry.pk).exists()
    if not others and session.attendances.filter(released_at__isnull=True).exists():
        raise ValidationError({"session": _("Children are still here: release them before the last tutor leaves.")})
    now = timezone.now()
    entry.checked_out_at = now
    record = tutor_service_record(entry=entry, by=by, end=now)
    entry.save(update_fields=["checked_out_at", "hours", "service_record"])
    return record


# Check-in and release -----------------------------------------------------------------------------

def _lock_enrollment(enrollment: Enrollment) -> Enrollment:
    return Enrollment.objects.select_for_update(of=("self",)).select_related("program__site").get(pk=enrollment.pk)


def _open_visit_error(enrollment: Enrollment):
    other = Attendance.objects.filter(enrollment__child_id=enrollment.child_id, released_at__isnull=True,
                                      enrollment__child__isnull=False).select_related("site").first()
    if other is None:
        other = Attendance.objects.filter(enrollment=enrollment, released_at__isnull=True).select_related("site").first()
    if other is not None:
        return ValidationError({"enrollment": _("%(child)s is already checked in (%(site)s, since %(time)s).") % {
            "child": enrollment.child_name, "site": other.site.name,
            "time": timezone.localtime(other.checked_in_at).strftime("%H:%M")}})
    return None


def _save_visit(visit: Attendance, enrollment: Enrollment) -> Attendance:
    try:
        with transaction.atomic():
            visit.save()
    except IntegrityError:  # the database's own guard against a double check-in
        raise ValidationError({"enrollment": _("%(child)s is already checked in.") % {
            "child": enrollment.child_name}}) from None
    return visit


def child_check_in(*, session: Session, enrollment: Enrollment, by) -> Attendance:
    """Check a child in at a session: enrolled (active) in its program, once, while it runs."""
    program = session.program
    _require(can_desk(by, program.site, session), _("Only the session's tutors or staff may check children in."))
    now = timezone.now()
    with transaction.atomic():
        enrollment = _lock_enrollment(enrollment)
        if enrollment.program_id != program.pk or enrollment.status != Enrollment.Status.ACTIVE:
            raise ValidationError({"enrollment": _("%(child)s is not enrolled in this program.") % {
                "child": enrollment.child_name}})
        if session.status != Session.Status.SCHEDULED:
            raise ValidationError({"session": _("This session is cancelled.")})
        if not session.start - CHECKIN_OPENS_BEFORE <= now <= session.end:
            raise ValidationError({"session": _("Children are checked in while the session runs (%(from)s–%(to)s).") % {
                "from": timezone.localtime(session.start).strftime("%H:%M"),
                "to": timezone.localtime(session.end).strftime("%H:%M")}})
        if Attendance.objects.filter(enrollment=enrollment, session=session).exists():
            raise ValidationError({"enrollment": _("%(child)s has already been checked in to this session.") % {
                "child": enrollment.child_name}})
        error = _open_visit_error(enrollment)
        if error is not None:
            raise error
        visit = _save_visit(Attendance(enrollment=enrollment, child_id=enrollment.child_id, session=session,
                                       kind=Attendance.Kind.SESSION, site=program.site, room=program.room,
                                       date=session.date, closes_at=session.end, checked_in_at=now,
                                       checked_in_by=by), enrollment)
        _tell_guardians(enrollment, "classroom.checked_in", site=program.site.name,
                        time=timezone.localtime(now).strftime("%H:%M"))
    _notify_guardian(visit, Notification.Kind.CHECK_IN,
                     _("%(child)s has arrived at %(site)s") % {"child": enrollment.child_name, "site": program.site.name},
                     _("Checked in at %(time)s.") % {"time": timezone.localtime(now).strftime("%H:%M")})
    return visit


def site_closes_at(site: Site, day: dt.date) -> dt.datetime | None:
    """When the site closes on `day` (its latest opening interval), or None if closed all day."""
    exception = OpeningException.objects.filter(site=site, date=day).first()
    if exception is not None:
        return None if exception.closed or not exception.closes else _aware(day, exception.closes)
    closes = (OpeningHours.objects.filter(site=site, weekday=day.weekday()).order_by("-closes")
              .values_list("closes", flat=True).first())
    return _aware(day, closes) if closes else None


def is_self_study_day(site: Site, day: dt.date) -> bool:
    """Self-study days: weekends, and weekdays when no session of the site's programs is planned
    (school holidays, when the sessions pause)."""
    if day.weekday() >= 5:
        return True
    return not Session.objects.filter(program__site=site, date=day).exclude(status=Session.Status.CANCELLED).exists()


def self_study_check_in(*, site: Site, enrollment: Enrollment, by, room: Room | None = None) -> Attendance:
    """On weekends and holidays a child enrolled at the site may come to read and do homework with
    no session scheduled; it counts as a student-visit and is released like any other."""
    _require(can_desk(by, site), _("Only the site's tutors or staff may check children in."))
    now = timezone.now()
    today = timezone.localdate()
    if not is_self_study_day(site, today):
        raise ValidationError({"site": _("Self-study is on weekends and holidays; today the children come to "
                                         "the session.")})
    closes = site_closes_at(site, today)
    with transaction.atomic():
        enrollment = _lock_enrollment(enrollment)
        if enrollment.program.site_id != site.pk or enrollment.status != Enrollment.Status.ACTIVE:
            raise ValidationError({"enrollment": _("%(child)s is not enrolled in a program at this site.") % {
                "child": enrollment.child_name}})
        if room is not None and room.site_id != site.pk:
            raise ValidationError({"room": _("Choose a room of this site.")})
        if closes is None or now >= closes:
            raise ValidationError({"site": _("The site is closed now.")})
        error = _open_visit_error(enrollment)
        if error is not None:
            raise error
        visit = _save_visit(Attendance(enrollment=enrollment, child_id=enrollment.child_id,
                                       kind=Attendance.Kind.SELF_STUDY, site=site,
                                       room=room or enrollment.program.room, date=today, closes_at=closes,
                                       checked_in_at=now, checked_in_by=by), enrollment)
        _tell_guardians(enrollment, "classroom.checked_in", site=site.name,
                        time=timezone.localtime(now).strftime("%H:%M"))
    _notify_guardian(visit, Notification.Kind.CHECK_IN,
                     _("%(child)s has arrived at %(site)s") % {"child": enrollment.child_name, "site": site.name},
                     _("Self-study, checked in at %(time)s.") % {"time": timezone.localtime(now).strftime("%H:%M")})
    return visit


class _Refused(Exception):
    def __init__(self, reason, field, message, pickup=None, name=""):
        super().__init__(message)
        self.reason, self.field, self.message, self.pickup, self.name = reason, field, message, pickup, name


def child_release(*, enrollment: Enrollment, by, pickup: PickupPerson | None = None, phone_last4: str = "",
                  token: str = "", self_release: bool = False, claimed_name: str = "") -> Attendance:
    """Release a checked-in child: to a person on the child's list confirmed by the last four digits
    of their phone or by their pick-up code, or alone on the guardian's recorded consent. Anything
    else is refused, nothing about the visit changes, and the attempt is logged for staff."""
    site = enrollment.program.site
    visit = None
    try:
        with transaction.atomic():
            enrollment = _lock_enrollment(enrollment)
            visit = (Attendance.objects.select_for_update(of=("self",)).select_related("session", "site")
                     .filter(enrollment=enrollment, released_at__isnull=True).first())
            if visit is None:
                # Not here, or another tutor released the child a moment ago: nothing to log.
                raise ValidationError({"enrollment": _("%(child)s is not checked in.") % {
                    "child": enrollment.child_name}})
            site = visit.site
            if not can_desk(by, visit.site, visit.session):
                raise _Refused(ReleaseAttempt.Reason.NOT_ALLOWED, "enrollment",
                               _("Only the session's tutors or staff may release children."), pickup, claimed_name)
            method = _release_method(enrollment, pickup=pickup, phone_last4=phone_last4, token=token,
                                     self_release=self_release, claimed_name=claimed_name)
            if method == Attendance.Method.QR:
                pickup = PickupPerson.objects.get(token=token.strip())
            now = timezone.now()
            visit.released_at, visit.released_by = now, by
            visit.released_to = None if method == Attendance.Method.SELF else pickup
            visit.release_method = method
            visit.save(update_fields=["released_at", "released_by", "released_to", "release_method"])
            LateAlert.objects.filter(attendance=visit, resolved_at__isnull=True).update(resolved_at=now, resolved_by=by)
            _tell_guardians(enrollment, "classroom.released", site=visit.site.name,
                            time=timezone.localtime(now).strftime("%H:%M"),
                            who="" if method == Attendance.Method.SELF else visit.released_to.name,
                            relation="self" if method == Attendance.Method.SELF else visit.released_to.relation)
    except _Refused as refusal:
        with transaction.atomic():
            attempt = ReleaseAttempt.objects.create(attendance=visit, enrollment=enrollment, site=site,
                                                    attempted_by=by, claimed_pickup=refusal.pickup,
                                                    claimed_name=refusal.name[:50], reason=refusal.reason)
            # Every refused attempt, at once, at any hour: a safety alert to all the child's guardians.
            _tell_guardians(enrollment, "classroom.refused", safety=True, site=site.name,
                            time=timezone.localtime(attempt.at).strftime("%H:%M"),
                            claimed=refusal.name or "—", reason=refusal.reason)
        log.warning("classroom: refused release of enrollment %s by %s (%s)", enrollment.pk, by, refusal.reason)
        if refusal.reason == ReleaseAttempt.Reason.NOT_ALLOWED:
            raise PermissionDenied(refusal.message) from None
        raise ValidationError({refusal.field: refusal.message}) from None
    who = _("alone (guardian's consent)") if visit.release_method == Attendance.Method.SELF else \
        f"{visit.released_to.name}（{visit.released_to.get_relation_display()}）"
    _notify_guardian(visit, Notification.Kind.RELEASE,
                     _("%(child)s has left %(site)s") % {"child": enrollment.child_name, "site": visit.site.name},
                     _("Collected at %(time)s by %(who)s.") % {
                         "time": timezone.localtime(visit.released_at).strftime("%H:%M"), "who": who})
    return visit


def _release_method(enrollment, *, pickup, phone_last4, token, self_release, claimed_name) -> str:
    """Which confirmation the release rests on, or _Refused."""
    if self_release:
        if enrollment.may_leave_alone and enrollment.self_release_consent_at is not None:
            return Attendance.Method.SELF
        raise _Refused(ReleaseAttempt.Reason.NO_CONSENT, "self_release",
                       _("%(child)s may not leave alone: the guardian has not consented.") % {
                           "child": enrollment.child_name})
    if token:
        listed = PickupPerson.objects.filter(token=token.strip(), enrollment=enrollment, active=True).first()
        if listed is None:
            raise _Refused(ReleaseAttempt.Reason.BAD_CODE, "token",
                           _("This pick-up code is not valid for %(child)s.") % {"child": enrollment.child_name},
                           None, claimed_name)
        return Attendance.Method.QR
    if pickup is None or pickup.enrollment_id != enrollment.pk or not pickup.active:
        raise _Refused(ReleaseAttempt.Reason.NOT_LISTED, "pickup",
                       _("This person is not on %(child)s's list of authorised pick-up persons. Do not release "
                         "the child; call the guardian.") % {"child": enrollment.child_name},
                       pickup if pickup is not None and pickup.enrollment_id == enrollment.pk else None,
                       claimed_name or (pickup.name if pickup is not None else ""))
    digits = "".join(c for c in (phone_last4 or "") if c.isdigit())
    if len(digits) != 4 or not pickup.phone.endswith(digits):
        raise _Refused(ReleaseAttempt.Reason.WRONG_PHONE, "phone_last4",
                       _("The last four digits do not match %(name)s's phone.") % {"name": pickup.name},
                       pickup, pickup.name)
    return Attendance.Method.PHONE


def _notify_guardian(visit: Attendance, kind: str, subject: str, body: str) -> None:
    enrollment = visit.enrollment
    if enrollment.guardian_user_id:
        notify(users=[enrollment.guardian_user], kind=kind, subject=subject, body=body, enrollment=enrollment)


@transaction.atomic
def attendance_note(*, visit: Attendance, by, note: str) -> Attendance:
    """A short note from the tutor the guardian sees (homework done, a word about the day)."""
    _require(can_desk(by, visit.site, visit.session), _("Only the session's tutors or staff may write notes."))
    visit.note = (note or "").strip()[:300]
    visit.save(update_fields=["note"])
    return visit


@transaction.atomic
def release_attempt_review(*, attempt: ReleaseAttempt, by) -> ReleaseAttempt:
    _require(can_run(by, attempt.site), _("Only the community's staff may review refused releases."))
    attempt.reviewed_by, attempt.reviewed_at = by, timezone.now()
    attempt.save(update_fields=["reviewed_by", "reviewed_at"])
    return attempt


# Late pick-up -------------------------------------------------------------------------------------

def late_pickup_scan(*, now: dt.datetime | None = None) -> list[LateAlert]:
    """Raise one alert per child still checked in past closing time (plus the grace minutes), and
    tell the guardian, the session's tutors and the community's staff. Run every few minutes."""
    now = now or timezone.now()
    due = (Attendance.objects.filter(released_at__isnull=True, closes_at__lt=now - late_grace(),
                                     late_alert__isnull=True)
           .select_related("enrollment__guardian_user", "site__division", "session"))
    alerts = []
    for visit in due:
        with transaction.atomic():
            alert, created = LateAlert.objects.get_or_create(attendance=visit, defaults={"site": visit.site,
                                                                                         "raised_at": now})
            if created:
                tutors = ([e.volunteer.person.user for e in visit.session.roster.select_related("volunteer__person__user")]
                          if visit.session_id else [])
                _tell_guardians(visit.enrollment, "classroom.late", site=visit.site.name, safety=True,
                                also=[*_staff_users(visit.site), *tutors],
                                time=timezone.localtime(visit.closes_at).strftime("%H:%M"),
                                dedup_key=f"classroom.late:{visit.pk}")
        if not created:
            continue
        alerts.append(alert)
        enrollment = visit.enrollment
        users = _staff_users(visit.site)
        if visit.session_id:
            users += [e.volunteer.person.user for e in visit.session.roster.select_related("volunteer__person__user")]
        closes = timezone.localtime(visit.closes_at).strftime("%H:%M")
        notify(users=[enrollment.guardian_user, *users], kind=Notification.Kind.LATE, enrollment=enrollment,
               subject=_("%(child)s has not been collected at %(site)s") % {"child": enrollment.child_name,
                                                                             "site": visit.site.name},
               body=_("The classroom closed at %(time)s and %(child)s is still there. Please collect the child "
                      "or call the site.") % {"time": closes, "child": enrollment.child_name})
    return alerts


@transaction.atomic
def late_alert_resolve(*, alert: LateAlert, by) -> LateAlert:
    _require(can_desk(by, alert.site), _("Only the site's tutors or staff may close an alert."))
    alert = LateAlert.objects.select_for_update().get(pk=alert.pk)
    if alert.resolved_at is None:
        alert.resolved_at, alert.resolved_by = timezone.now(), by
        alert.save(update_fields=["resolved_at", "resolved_by"])
    return alert


# Retention ----------------------------------------------------------------------------------------

ANONYMISED = "—"


def retention_days() -> int:
    return int(_setting("LINLI_CLASSROOM_RETENTION_DAYS", 365))


def anonymise_expired(*, today: dt.date | None = None, dry_run: bool = False) -> int:
    """Anonymise the records of children who left more than the retention period ago (a program
    whose term ended counts as the day they left). Names, school, notes, pick-up persons and
    messages go; the counts (visits, sessions, hours, late pick-ups) stay. Returns how many."""
    today = today or timezone.localdate()
    cutoff = today - dt.timedelta(days=retention_days())
    expired = Enrollment.objects.filter(anonymised_at__isnull=True).filter(
        Q(status=Enrollment.Status.LEFT, left_on__lt=cutoff)
        | Q(status__in=Enrollment.OPEN, program__term_end__lt=cutoff))
    ids = list(expired.values_list("pk", flat=True))
    if dry_run or not ids:
        return len(ids)
    now = timezone.now()
    with transaction.atomic():
        rows = list(Enrollment.objects.select_for_update(of=("self",)).select_related("program").filter(pk__in=ids))
        children = {e.child_id for e in rows if e.child_created_here and e.child_id}
        for e in rows:
            if e.status != Enrollment.Status.LEFT:
                e.status, e.left_on = Enrollment.Status.LEFT, e.program.term_end
        Enrollment.objects.bulk_update(rows, ["status", "left_on"])
        Enrollment.objects.filter(pk__in=ids).update(
            child=None, child_name=ANONYMISED, guardian=None, guardian_user=None, school="", grade=None,
            medical_notes="", may_leave_alone=False, self_release_consent_at=None, anonymised_at=now)
        for p in PickupPerson.objects.filter(enrollment_id__in=ids):
            p.name, p.phone, p.active, p.token = ANONYMISED, "", False, f"x-{p.pk}-anonymised"
            p.save(update_fields=["name", "phone", "active", "token"])
        Attendance.objects.filter(enrollment_id__in=ids).update(child=None, note="")
        ReleaseAttempt.objects.filter(enrollment_id__in=ids).update(claimed_name="")
        Notification.objects.filter(enrollment_id__in=ids).delete()
        # Children the classroom itself registered, and nobody else refers to, are erased.
        still_used = set(Enrollment.objects.filter(child_id__in=children).values_list("child_id", flat=True))
        for person in Person.objects.filter(pk__in=children - still_used, user__isnull=True):
            if person.memberships.exists():
                continue
            try:
                with transaction.atomic():
                    person.delete()
            except (IntegrityError, ProtectedError):
                Person.objects.filter(pk=person.pk).update(name=ANONYMISED, birth_date=None, sex="", phone="")
    return len(ids)

