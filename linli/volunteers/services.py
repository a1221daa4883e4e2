"""Writes for volunteer service.

THE RULES
- A shift never has more sign-ups than volunteers needed: the Shift row is locked before counting.
- Hours come from records: check-in and check-out at the shift (or added by staff, marked so), pending
  until the organiser confirms or rejects them; a confirmed record is never deleted, only reversed.
- Every record says where its hours came from (ServiceRecord.Source). Other apps write hours only
  through service_record_from, with their own source (a resident's order, a classroom session).
- A volunteer's points balance is the sum of the ledger and never goes below zero, and a reward's stock
  never below zero: the Volunteer row (then the Reward row) is locked before the balance is read.
"""

import datetime as dt
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from linli.activities import services as activity_services
from linli.activities.models import Occurrence
from linli.volunteers import selectors
from linli.volunteers.models import (
    Certificate,
    PointsEntry,
    PointsRule,
    Redemption,
    Reward,
    ServiceRecord,
    Shift,
    ShiftSignup,
    Volunteer,
)

CHECKIN_OPENS_BEFORE = dt.timedelta(hours=1)
CHECKIN_CLOSES_AFTER = dt.timedelta(hours=2)
REMIND_AHEAD = dt.timedelta(hours=48)
HOURS = Decimal("0.01")


def _fmt(value) -> str:
    return date_format(timezone.localtime(value), "DATETIME_FORMAT")


def _organises(user, division) -> bool:
    return activity_services.can_organise(user, division)


def _require(ok: bool, message: str) -> None:
    if not ok:
        raise PermissionDenied(message)


def _is_self(user, volunteer: Volunteer) -> bool:
    return volunteer.person.user_id is not None and volunteer.person.user_id == user.pk


def _activity_division(occurrence: Occurrence):
    return occurrence.activity.site.division


def _hours(seconds: float) -> Decimal:
    return (Decimal(seconds) / Decimal(3600)).quantize(HOURS, rounding=ROUND_HALF_UP)


# Volunteers ---------------------------------------------------------------------------------------

@transaction.atomic
def volunteer_register(*, person, by, teams=(), skills: str = "", availability: str = "") -> Volunteer:
    """A resident joins as a volunteer (or an organiser enrols them) in the person's community."""
    community = person.division.community() or person.division
    _require(person.user_id == by.pk or _organises(by, community),
             _("You may register only yourself as a volunteer."))
    if Volunteer.objects.filter(person=person).exists():
        raise ValidationError({"person": _("%(name)s is already a volunteer.") % {"name": person.name}})
    volunteer = Volunteer.objects.create(person=person, division=community, skills=skills[:200],
                                         availability=availability[:200], number=f"tmp-{person.pk}")
    volunteer.number = f"SY{timezone.localdate():%Y}{volunteer.pk:06d}"
    volunteer.save(update_fields=["number"])
    if teams:
        volunteer.teams.set(teams)
    return volunteer


def confirmed_hours(volunteer: Volunteer) -> Decimal:
    total = volunteer.records.filter(status=ServiceRecord.Status.CONFIRMED).aggregate(s=Sum("hours"))["s"]
    return total or Decimal(0)


def points_balance(volunteer: Volunteer) -> int:
    return volunteer.points_entries.aggregate(s=Sum("amount"))["s"] or 0


def _lock_volunteer(volunteer: Volunteer) -> Volunteer:
    """Lock the volunteer row: the serialisation point of every change to their balance."""
    return Volunteer.objects.select_for_update(of=("self",)).select_related("person").get(pk=volunteer.pk)


# Shifts -------------------------------------------------------------------------------------------

@transaction.atomic
def shift_create(*, occurrence: Occurrence, by, role: str, needed: int, start: dt.datetime | None = None,
                 end: dt.datetime | None = None, note: str = "") -> Shift:
    _require(_organises(by, _activity_division(occurrence)), _("Only the community's organisers may do this."))
    if occurrence.is_cancelled:
        raise ValidationError({"occurrence": _("This date is cancelled.")})
    start, end = start or occurrence.start, end or occurrence.end
    if end <= start:
        raise ValidationError({"end": _("The end must be after the start.")})
    if end - start > dt.timedelta(hours=12):
        raise ValidationError({"end": _("A shift lasts at most 12 hours.")})
    if not needed or needed < 1:
        raise ValidationError({"needed": _("A shift needs at least one volunteer.")})
    shift = Shift(occurrence=occurrence, role=role, needed=needed, start=start, end=end, note=note)
    shift.full_clean()
    shift.save()
    return shift


def shift_signup(*, shift: Shift, volunteer: Volunteer, by) -> ShiftSignup:
    """A volunteer takes a place on a shift, or an organiser assigns one. Never more than needed."""
    assigned = not _is_self(by, volunteer)
    if assigned:
        _require(_organises(by, _activity_division(shift.occurrence)),
                 _("You may sign up only yourself."))
    elif not Shift.objects.visible_to(by).filter(pk=shift.pk).exists():
        raise PermissionDenied(_("You may not sign up for this shift."))
    with transaction.atomic():
        shift = Shift.objects.select_for_update(of=("self",)).select_related("occurrence").get(pk=shift.pk)
        if not volunteer.active:
            raise ValidationError({"volunteer": _("This volunteer is inactive.")})
        if shift.occurrence.is_cancelled:
            raise ValidationError({"shift": _("This date is cancelled.")})
        if shift.start <= timezone.now():
            raise ValidationError({"shift": _("This shift has already started.")})
        taken = ShiftSignup.objects.filter(shift=shift, status=ShiftSignup.Status.CONFIRMED)
        if taken.filter(volunteer=volunteer).exists():
            raise ValidationError({"volunteer": _("%(name)s is already on this shift.") % {"name": volunteer.person.name}})
        if taken.count() >= shift.needed:
            raise ValidationError({"shift": _("This shift is full.")})
        return ShiftSignup.objects.create(shift=shift, volunteer=volunteer, assigned_by=by if assigned else None)


@transaction.atomic
def shift_signup_cancel(*, signup: ShiftSignup, by) -> ShiftSignup:
    _require(_is_self(by, signup.volunteer) or _organises(by, _activity_division(signup.shift.occurrence)),
             _("Only the volunteer or an organiser may cancel this."))
    signup = ShiftSignup.objects.select_for_update().get(pk=signup.pk)
    if signup.status != ShiftSignup.Status.CONFIRMED:
        raise ValidationError({"status": _("This sign-up is already cancelled.")})
    if signup.checked_in_at is not None or signup.shift.start <= timezone.now():
        raise ValidationError({"status": _("This shift has already started.")})
    signup.status = ShiftSignup.Status.CANCELLED
    signup.save(update_fields=["status"])
    return signup


def _require_shift_actor(signup: ShiftSignup, by, code: str | None) -> None:
    """The volunteer with the door code, or an organiser from the roster."""
    if code is not None:
        _require(_is_self(by, signup.volunteer), _("Only the volunteer may check in with the code."))
        activity_services.check_code(occurrence=signup.shift.occurrence, code=code)
    else:
        _require(_organises(by, _activity_division(signup.shift.occurrence)),
                 _("Only the community's organisers may do this."))


def _shift_window(shift: Shift, now) -> None:
    if now < shift.start - CHECKIN_OPENS_BEFORE:
        raise ValidationError({"code": _("Check-in opens one hour before the shift (%(when)s).")
                               % {"when": _fmt(shift.start - CHECKIN_OPENS_BEFORE)}})
    if now > shift.end + CHECKIN_CLOSES_AFTER:
        raise ValidationError({"code": _("This shift ended on %(when)s; ask the organiser to add the hours.")
                               % {"when": _fmt(shift.end)}})


@transaction.atomic
def shift_check_in(*, signup: ShiftSignup, by, code: str | None = None) -> ShiftSignup:
    signup = ShiftSignup.objects.select_for_update(of=("self",)).select_related(
        "shift__occurrence__activity__site__division", "volunteer__person").get(pk=signup.pk)
    _require_shift_actor(signup, by, code)
    if signup.status != ShiftSignup.Status.CONFIRMED:
        raise ValidationError({"status": _("This sign-up is not active.")})
    _shift_window(signup.shift, timezone.now())
    if signup.checked_in_at is None:
        signup.checked_in_at = timezone.now()
        signup.save(update_fields=["checked_in_at"])
    return signup


@transaction.atomic
def shift_check_out(*, signup: ShiftSignup, by, code: str | None = None) -> ServiceRecord:
    """Check out and write a pending service record: the hours inside the shift between check-in and
    check-out (time outside the shift does not count)."""
    signup = ShiftSignup.objects.select_for_update(of=("self",)).select_related(
        "shift__occurrence__activity__site__division", "volunteer__person").get(pk=signup.pk)
    _require_shift_actor(signup, by, code)
    if signup.checked_in_at is None:
        raise ValidationError({"code": _("Check in before checking out.")})
    if signup.checked_out_at is not None:
        raise ValidationError({"code": _("Already checked out.")})
    now = timezone.now()
    shift = signup.shift
    signup.checked_out_at = now
    signup.save(update_fields=["checked_out_at"])
    start, end = max(signup.checked_in_at, shift.start), min(now, shift.end)
    seconds = max((end - start).total_seconds(), 0)
    return ServiceRecord.objects.create(
        volunteer=signup.volunteer, signup=signup, occurrence=shift.occurrence,
        content=f"{shift.occurrence.activity.title} · {shift.role}", start=signup.checked_in_at, end=now,
        hours=_hours(seconds), source=ServiceRecord.Source.CHECKIN, recorded_by=by)


@transaction.atomic
def signup_mark_no_show(*, signup: ShiftSignup, by) -> ShiftSignup:
    _require(_organises(by, _activity_division(signup.shift.occurrence)), _("Only the community's organisers may do this."))
    signup = ShiftSignup.objects.select_for_update(of=("self",)).select_related("shift").get(pk=signup.pk)
    if signup.status != ShiftSignup.Status.CONFIRMED:
        raise ValidationError({"status": _("This sign-up is not active.")})
    if signup.shift.start > timezone.now():
        raise ValidationError({"status": _("The shift has not started yet.")})
    if signup.checked_in_at is not None:
        raise ValidationError({"status": _("This volunteer checked in.")})
    signup.status = ShiftSignup.Status.NO_SHOW
    signup.save(update_fields=["status"])
    return signup


# Service records ----------------------------------------------------------------------------------

# The sources other apps record through service_record_from; the others are written here only.
FROM_OTHER_APPS = (ServiceRecord.Source.ORDER, ServiceRecord.Source.CLASSROOM, ServiceRecord.Source.CANTEEN)


def _record_create(*, volunteer: Volunteer, source: str, by, content: str, start: dt.datetime, end: dt.datetime,
                   hours: Decimal, signup: ShiftSignup | None = None,
                   occurrence: Occurrence | None = None) -> ServiceRecord:
    """A new pending record: the service is done, its hours fit between its start and end, and it says
    what the service was."""
    if end <= start:
        raise ValidationError({"end": _("The end must be after the start.")})
    if end > timezone.now():
        raise ValidationError({"end": _("Hours can be recorded only for service already done.")})
    if hours < 0:
        raise ValidationError({"hours": _("Hours cannot be negative.")})
    span = _hours((end - start).total_seconds())
    if hours > span:
        raise ValidationError({"hours": _("%(h)s hours do not fit between the start and the end.") % {"h": hours}})
    if not content.strip():
        raise ValidationError({"content": _("Say what the service was.")})
    return ServiceRecord.objects.create(volunteer=volunteer, signup=signup, occurrence=occurrence,
                                        content=content.strip()[:200], start=start, end=end, hours=hours,
                                        source=source, status=ServiceRecord.Status.PENDING, recorded_by=by)


@transaction.atomic
def service_record_add(*, volunteer: Volunteer, by, content: str, start: dt.datetime, end: dt.datetime,
                       hours: Decimal, signup: ShiftSignup | None = None,
                       occurrence: Occurrence | None = None) -> ServiceRecord:
    """Staff add hours by hand (marked 'added by staff'); pending until confirmed like any record."""
    _require(_organises(by, volunteer.division)
             or (occurrence is not None and _organises(by, _activity_division(occurrence))),
             _("Only the community's organisers may do this."))
    hours = Decimal(hours)
    if hours <= 0:
        raise ValidationError({"hours": _("Give more than zero hours.")})
    if signup is not None:
        if signup.volunteer_id != volunteer.pk:
            raise ValidationError({"signup": _("This shift sign-up is someone else's.")})
        length = _hours((signup.shift.end - signup.shift.start).total_seconds())
        if hours > length:
            raise ValidationError({"hours": _("The shift lasts %(n)s hours; the record cannot have more.")
                                   % {"n": length}})
        occurrence = occurrence or signup.shift.occurrence
    return _record_create(volunteer=volunteer, source=ServiceRecord.Source.ADMIN, by=by, content=content,
                          start=start, end=end, hours=hours, signup=signup, occurrence=occurrence)


@transaction.atomic
def service_record_from(*, source: str, volunteer: Volunteer, by, content: str, start: dt.datetime,
                        end: dt.datetime, hours: Decimal) -> ServiceRecord:
    """The one door through which other apps write hours: a resident's order the volunteer completed
    (cases) or a tutor's classroom session (classroom). The calling service has already decided that
    `by` may report the work (the volunteer or staff); here the ledger's rules hold: the record names
    its source, the service is done and its hours fit its time, and it is pending until an organiser
    confirms it. Staff adding hours by hand use service_record_add instead (marked so)."""
    if source not in FROM_OTHER_APPS:
        raise ValueError(f"hours from {source!r} are not recorded through service_record_from")
    return _record_create(volunteer=volunteer, source=source, by=by, content=content, start=start, end=end,
                          hours=Decimal(hours))


def _require_verifier(record: ServiceRecord, by) -> None:
    ok = _organises(by, record.volunteer.division) or (
        record.occurrence_id is not None and _organises(by, _activity_division(record.occurrence)))
    _require(ok, _("Only the activity's organisers may verify hours."))


def _per_hour_points(hours: Decimal) -> tuple[PointsRule | None, int]:
    rule = PointsRule.objects.filter(per_hour=True, active=True).order_by("pk").first()
    if rule is None:
        return None, 0
    return rule, int((hours * rule.points).to_integral_value(rounding=ROUND_DOWN))


def service_record_confirm(*, record: ServiceRecord, by) -> ServiceRecord:
    """The organiser confirms pending hours; the volunteer earns the per-hour points."""
    _require_verifier(record, by)
    with transaction.atomic():
        volunteer = _lock_volunteer(record.volunteer)
        record = ServiceRecord.objects.select_for_update().get(pk=record.pk)
        if record.status != ServiceRecord.Status.PENDING:
            raise ValidationError({"status": _("Only a record awaiting confirmation can be confirmed.")})
        if _is_self(by, volunteer) and not by.is_superuser:
            raise ValidationError({"status": _("You may not confirm your own hours.")})
        record.status, record.verified_by, record.verified_at = ServiceRecord.Status.CONFIRMED, by, timezone.now()
        record.save(update_fields=["status", "verified_by", "verified_at"])
        rule, points = _per_hour_points(record.hours)
        if points > 0:
            PointsEntry.objects.create(volunteer=volunteer, amount=points, kind=PointsEntry.Kind.EARNED, rule=rule,
                                       record=record, created_by=by)
    return record


@transaction.atomic
def service_record_reject(*, record: ServiceRecord, by, reason: str) -> ServiceRecord:
    _require_verifier(record, by)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the hours are rejected.")})
    record = ServiceRecord.objects.select_for_update().get(pk=record.pk)
    if record.status != ServiceRecord.Status.PENDING:
        raise ValidationError({"status": _("Only a record awaiting confirmation can be rejected.")})
    record.status, record.reason = ServiceRecord.Status.REJECTED, reason[:200]
    record.verified_by, record.verified_at = by, timezone.now()
    record.save(update_fields=["status", "reason", "verified_by", "verified_at"])
    return record


def service_record_reverse(*, record: ServiceRecord, by, reason: str) -> ServiceRecord:
    """Undo a confirmed record with a new confirmed record of the opposite hours; the points it earned
    are taken back as far as the balance allows (a balance never goes below zero)."""
    _require_verifier(record, by)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the record is reversed.")})
    with transaction.atomic():
        volunteer = _lock_volunteer(record.volunteer)
        record = ServiceRecord.objects.select_for_update().get(pk=record.pk)
        if record.status != ServiceRecord.Status.CONFIRMED or record.source == ServiceRecord.Source.REVERSAL:
            raise ValidationError({"status": _("Only a confirmed record can be reversed.")})
        if ServiceRecord.objects.filter(reverses=record).exists():
            raise ValidationError({"status": _("This record is already reversed.")})
        now = timezone.now()
        reversal = ServiceRecord.objects.create(
            volunteer=volunteer, occurrence=record.occurrence, content=record.content, start=record.start,
            end=record.end, hours=-record.hours, source=ServiceRecord.Source.REVERSAL, reverses=record,
            status=ServiceRecord.Status.CONFIRMED, reason=reason[:200], recorded_by=by, verified_by=by,
            verified_at=now)
        earned = record.points_entries.aggregate(s=Sum("amount"))["s"] or 0
        take = min(earned, points_balance(volunteer))
        if take > 0:
            PointsEntry.objects.create(volunteer=volunteer, amount=-take, kind=PointsEntry.Kind.REVERSED,
                                       record=reversal, note=reason[:200], created_by=by)
    return reversal


# Points and rewards -------------------------------------------------------------------------------

def points_award(*, volunteer: Volunteer, rule: PointsRule, by, note: str = "") -> PointsEntry:
    """An organiser awards the points of a county rule (not a per-hour rule)."""
    _require(_organises(by, volunteer.division), _("Only the community's organisers may do this."))
    if rule.per_hour or not rule.active:
        raise ValidationError({"rule": _("Choose a rule in use that is not per hour.")})
    with transaction.atomic():
        volunteer = _lock_volunteer(volunteer)
        return PointsEntry.objects.create(volunteer=volunteer, amount=rule.points, kind=PointsEntry.Kind.AWARD,
                                          rule=rule, note=note[:200], created_by=by)


def reward_redeem(*, volunteer: Volunteer, reward: Reward, by, quantity: int = 1) -> Redemption:
    """Spend points on a reward. Never below a zero balance or zero stock, even when redemptions race:
    the volunteer row, then the reward row, is locked before either is read."""
    _require(_is_self(by, volunteer) or _organises(by, volunteer.division),
             _("Only the volunteer or an organiser may redeem points."))
    if quantity < 1:
        raise ValidationError({"quantity": _("Redeem at least one.")})
    with transaction.atomic():
        volunteer = _lock_volunteer(volunteer)
        reward = Reward.objects.select_for_update().get(pk=reward.pk)
        if not reward.active:
            raise ValidationError({"reward": _("This reward is no longer offered.")})
        if not Reward.objects.visible_to(by).filter(pk=reward.pk).exists() and not by.is_superuser:
            raise PermissionDenied(_("This reward is not offered in your community."))
        cost = reward.cost * quantity
        balance = points_balance(volunteer)
        if cost > balance:
            raise ValidationError({"quantity": _("This needs %(cost)d points; the balance is %(balance)d.")
                                   % {"cost": cost, "balance": balance}})
        if quantity > reward.stock:
            raise ValidationError({"quantity": _("Only %(n)d left in stock.") % {"n": reward.stock}})
        reward.stock -= quantity
        reward.save(update_fields=["stock"])
        redemption = Redemption.objects.create(volunteer=volunteer, reward=reward, quantity=quantity, points=cost,
                                               created_by=by)
        PointsEntry.objects.create(volunteer=volunteer, amount=-cost, kind=PointsEntry.Kind.REDEEMED,
                                   redemption=redemption, note=f"{reward.name} × {quantity}", created_by=by)
    return redemption


@transaction.atomic
def reward_create(*, division, by, name: str, cost: int, stock: int) -> Reward:
    _require(_organises(by, division), _("Only the community's organisers may do this."))
    reward = Reward(division=division, name=name, cost=cost, stock=stock)
    reward.full_clean()
    reward.save()
    return reward


# Certificates -------------------------------------------------------------------------------------

@transaction.atomic
def certificate_issue(*, volunteer: Volunteer, by) -> Certificate:
    """Issue a service record certificate (a platform record) from the confirmed records as they stand."""
    _require(_is_self(by, volunteer) or _organises(by, volunteer.division),
             _("Only the volunteer or an organiser may issue this certificate."))
    confirmed = volunteer.records.filter(status=ServiceRecord.Status.CONFIRMED)
    agg = confirmed.aggregate(h=Sum("hours"))
    hours = agg["h"] or Decimal(0)
    if hours <= 0:
        raise ValidationError({"volunteer": _("There are no confirmed hours to certify yet.")})
    first = confirmed.order_by("start").values_list("start", flat=True).first()
    last = confirmed.order_by("-end").values_list("end", flat=True).first()
    by_source = {source: str(h.quantize(HOURS)) for source, h in selectors.hours_by_source(confirmed).items()}
    cert = Certificate.objects.create(
        volunteer=volunteer, hours=hours, records=confirmed.exclude(source=ServiceRecord.Source.REVERSAL).count(),
        hours_by_source=by_source,
        first_service=timezone.localtime(first).date(), last_service=timezone.localtime(last).date(),
        issuer=_("%(community)s civilization-practice station") % {"community": volunteer.division.name},
        issued_by=by, number=f"tmp-{volunteer.pk}-{timezone.now().timestamp()}")
    cert.number = f"LLZM{timezone.localdate():%Y}{cert.pk:06d}"
    cert.save(update_fields=["number"])
    return cert


# Reminders ----------------------------------------------------------------------------------------

def _tell_reminder(signup) -> None:
    from linli.notifications.services import notify

    shift = signup.shift
    notify(recipient=signup.volunteer.person.user, key="shift.reminder", dedup_key=f"shift.reminder:{signup.pk}",
           obj=f"/activities/{shift.occurrence.activity_id}/",
           params={"role": shift.role, "activity": shift.occurrence.activity.title,
                   "site": shift.occurrence.activity.site.name,
                   "when": timezone.localtime(shift.start).strftime("%Y-%m-%d %H:%M")})


def shift_reminders_send(*, now: dt.datetime | None = None, ahead: dt.timedelta = REMIND_AHEAD) -> int:
    """Remind each volunteer once of a shift starting within `ahead` (48 hours by default)."""
    now = now or timezone.now()
    due = (ShiftSignup.objects.filter(status=ShiftSignup.Status.CONFIRMED, reminded_at__isnull=True,
                                      shift__start__gt=now, shift__start__lte=now + ahead,
                                      volunteer__person__user__isnull=False)
           .select_related("shift__occurrence__activity__site", "volunteer__person__user"))
    sent = 0
    for signup in due:
        with transaction.atomic():
            ShiftSignup.objects.filter(pk=signup.pk).update(reminded_at=now)
            _tell_reminder(signup)
        sent += 1
    return sent
