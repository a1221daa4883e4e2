"""Writes for activities: series and occurrences, registrations, check-in and reviews.

THE RULE: an occurrence never has more confirmed registrations than seats. Every service that can
add a confirmed registration locks the Occurrence row (select_for_update inside one transaction)
before counting, so concurrent sign-ups are serialised; on SQLite the IMMEDIATE transaction mode
serialises them too. A freed seat goes to the earliest waitlisted sign-up, in order, never skipping.

A date in a room holds the room: every service that creates, moves or cancels dates keeps a confirmed
places booking per date in step (places.services.room_hold, in the same transaction), so no booking
and no other activity can take the room then. Locks are taken activity → occurrences → room.
"""

import contextlib
import datetime as dt
from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from linli.activities.models import (
    ORGANISER_ROLES,
    Activity,
    Delivery,
    Method,
    Occurrence,
    Platform,
    Registration,
    Review,
    new_token,
)
from linli.core.dates import check_event_dates
from linli.core.scoping import has_role_over
from linli.places import services as places
from linli.places.models import Booking

MAX_OCCURRENCES = 120
MAX_SERIES_DAYS = 366
# A door code works from an hour before the start until half an hour after the end.
CHECKIN_OPENS_BEFORE = dt.timedelta(hours=1)
CHECKIN_CLOSES_AFTER = dt.timedelta(minutes=30)
ACTIVITY_FIELDS = ("title", "description", "room", "platform", "method", "delivery", "team")


def _fmt(value: dt.datetime) -> str:
    return date_format(timezone.localtime(value), "DATETIME_FORMAT")


def can_organise(user, division) -> bool:
    return has_role_over(user, ORGANISER_ROLES, division)


def _require_organiser(user, activity_or_site) -> None:
    site = getattr(activity_or_site, "site", activity_or_site)
    if not can_organise(user, site.division):
        raise PermissionDenied(_("Only the community's organisers may do this."))


# Series and occurrences ---------------------------------------------------------------------------

def series_dates(*, first: dt.date, recurrence: str, until: dt.date | None) -> list[dt.date]:
    """The dates of a series: weekly, every two weeks, or monthly on the same weekday of the month
    (the 2nd Thursday stays the 2nd Thursday; a month without a 5th Thursday is skipped)."""
    if recurrence == Activity.Recurrence.ONCE or until is None:
        return [first]
    dates = []
    if recurrence in (Activity.Recurrence.WEEKLY, Activity.Recurrence.BIWEEKLY):
        step = dt.timedelta(weeks=1 if recurrence == Activity.Recurrence.WEEKLY else 2)
        day = first
        while day <= until:
            dates.append(day)
            day += step
        return dates
    nth, weekday = (first.day - 1) // 7, first.weekday()
    year, month = first.year, first.month
    while True:
        start_of_month = dt.date(year, month, 1)
        if start_of_month > until:
            break
        day = start_of_month + dt.timedelta(days=(weekday - start_of_month.weekday()) % 7 + 7 * nth)
        if day.month == month and first <= day <= until:
            dates.append(day)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return dates


def _check_place(site, room, capacity) -> None:
    if room is not None and room.site_id != site.pk:
        raise ValidationError({"room": _("Choose a room of this site.")})
    if capacity is None or capacity < 1:
        raise ValidationError({"capacity": _("An activity needs at least one seat.")})
    if room is not None and room.capacity and capacity > room.capacity:
        raise ValidationError({"capacity": _("This room holds at most %(n)d people.") % {"n": room.capacity}})


@transaction.atomic
def activity_create(*, by, title: str, site, platform: Platform, method: Method, capacity: int,
                    start: dt.datetime, end: dt.datetime, room=None, delivery: Delivery | None = None,
                    organizers: Iterable = (), team=None, description: str = "",
                    recurrence: str = Activity.Recurrence.ONCE, until: dt.date | None = None,
                    signup_opens_days: int | None = None, signup_closes_minutes: int = 0,
                    kind: str = Activity.Kind.ACTIVITY) -> Activity:
    """Create an activity and its occurrences: one, or a series repeating until `until` (at most a year
    and 120 dates). Sign-up opens `signup_opens_days` before each start (None: at once) and closes
    `signup_closes_minutes` before it. A city night talk is created here too (kind NIGHT_TALK): it is
    signed up for, holds its room and is in the ledger like any activity."""
    _require_organiser(by, site)
    check_event_dates(start=start, end=end, until=until)
    if end <= start:
        raise ValidationError({"end": _("The end must be after the start.")})
    if end - start > dt.timedelta(hours=24):
        raise ValidationError({"end": _("An occurrence lasts at most a day; make a series instead.")})
    if start < timezone.now():
        raise ValidationError({"start": _("This time has already passed.")})
    _check_place(site, room, capacity)
    first = timezone.localtime(start).date()
    if recurrence != Activity.Recurrence.ONCE:
        if until is None:
            raise ValidationError({"until": _("Say until when the activity repeats.")})
        if until < first:
            raise ValidationError({"until": _("The last date must not be before the first.")})
        if (until - first).days >= MAX_SERIES_DAYS:
            raise ValidationError({"until": _("A series may span at most one year.")})
    if signup_opens_days is not None and signup_opens_days < 0:
        raise ValidationError({"signup_opens_days": _("Give a number of days, 0 or more.")})
    dates = series_dates(first=first, recurrence=recurrence, until=until)
    if len(dates) > MAX_OCCURRENCES:
        raise ValidationError({"until": _("A series may have at most %(n)d dates.") % {"n": MAX_OCCURRENCES}})
    activity = Activity(title=title, kind=kind, description=description, site=site, room=room, platform=platform,
                        method=method, delivery=delivery, team=team, capacity=capacity, recurrence=recurrence,
                        created_by=by)
    activity.full_clean()
    activity.save()
    if organizers:
        activity.organizers.set(organizers)
    tz = timezone.get_current_timezone()
    local_start, length = timezone.localtime(start), end - start
    occurrences = []
    for day in dates:
        s = dt.datetime.combine(day, local_start.time(), tzinfo=tz)
        occurrences.append(Occurrence(
            activity=activity, start=s, end=s + length, room=room, capacity=capacity,
            signup_opens=None if signup_opens_days is None else s - dt.timedelta(days=signup_opens_days),
            signup_closes=s - dt.timedelta(minutes=signup_closes_minutes)))
    for occ in occurrences:
        occ.checkin_token = new_token()
    Occurrence.objects.bulk_create(occurrences)
    if room is not None:  # all or nothing: one date in a taken room refuses the whole series
        places.room_hold(room=room, by=by, occurrences=occurrences, purpose=title)
    return activity


@transaction.atomic
def activity_update(*, activity: Activity, by, data: dict) -> Activity:
    """Change what the series is (title, taxonomy, room …); each occurrence keeps its own times. A new
    room moves the future dates not changed alone, with their holds: refused as a whole, naming the
    dates, when the new room is taken at any of them."""
    _require_organiser(by, activity)
    activity = Activity.objects.select_for_update().get(pk=activity.pk)
    old_title = activity.title
    organizers = data.pop("organizers", None)
    for field in ACTIVITY_FIELDS:
        if field in data:
            setattr(activity, field, data[field])
    if activity.room is not None and activity.room.site_id != activity.site_id:
        raise ValidationError({"room": _("Choose a room of this site.")})
    activity.full_clean()
    activity.save()
    if organizers is not None:
        activity.organizers.set(organizers)
    if "room" in data:
        future = activity.occurrences.select_for_update().filter(is_modified=False, start__gt=timezone.now())
        moving = list(future.exclude(room=activity.room) if activity.room else future.filter(room__isnull=False))
        Occurrence.objects.filter(pk__in=[o.pk for o in moving]).update(room=activity.room)
        scheduled = [o for o in moving if not o.is_cancelled]
        if activity.room is None:
            places.room_hold_release(occurrences=scheduled, by=by)
        elif scheduled:
            places.room_hold(room=activity.room, by=by, occurrences=scheduled, purpose=activity.title)
    if activity.title != old_title:  # after the room lock above: locks stay in one order
        places.room_hold_rename(occurrences=activity.occurrences.all(), purpose=activity.title)
    return activity


@transaction.atomic
def activity_cancel(*, activity: Activity, by, reason: str = "") -> int:
    """Cancel every occurrence of the series that has not started, freeing their rooms; returns how many."""
    _require_organiser(by, activity)
    ids = list(activity.occurrences.select_for_update().filter(
        start__gt=timezone.now(), status=Occurrence.Status.SCHEDULED).values_list("pk", flat=True))
    Occurrence.objects.filter(pk__in=ids).update(status=Occurrence.Status.CANCELLED, cancel_reason=reason[:200])
    places.room_hold_release(occurrences=ids, by=by)
    return len(ids)


def _lock(occurrence: Occurrence) -> Occurrence:
    """Lock the occurrence row until the transaction ends: the serialisation point of THE RULE."""
    return Occurrence.objects.select_for_update().get(pk=occurrence.pk)


def _confirmed(occ: Occurrence) -> int:
    return Registration.objects.filter(occurrence=occ, status=Registration.Status.CONFIRMED).count()


def _promote(occ: Occurrence) -> list[Registration]:
    """Fill free seats from the waitlist, earliest sign-up first. Call with the occurrence locked."""
    free = occ.capacity - _confirmed(occ)
    if free <= 0:
        return []
    waiting = list(Registration.objects.filter(occurrence=occ, status=Registration.Status.WAITLISTED)
                   .order_by("pk")[:free])
    now = timezone.now()
    for reg in waiting:
        reg.status, reg.promoted_at = Registration.Status.CONFIRMED, now
        reg.save(update_fields=["status", "promoted_at"])
        _tell(reg, "activity.promoted", dedup_key=f"activity.promoted:{reg.pk}")
    return waiting


def _tell(reg: Registration, key: str, dedup_key: str) -> None:
    from linli.notifications.services import notify

    occ = reg.occurrence
    notify(recipient=reg.person.user, key=key, dedup_key=dedup_key, obj=f"/activities/{occ.activity_id}/",
           params={"activity": occ.activity.title, "site": occ.activity.site.name,
                   "when": timezone.localtime(occ.start).strftime("%Y-%m-%d %H:%M")})


REMIND_AHEAD = dt.timedelta(hours=24)


def activity_reminders_send(*, now: dt.datetime | None = None, ahead: dt.timedelta = REMIND_AHEAD) -> int:
    """Remind each person with a confirmed seat, once, of an activity date starting within `ahead`
    (24 hours by default): a night talk, a reading-club evening, any activity. Idempotent: a reminded
    registration is marked (`reminded_at`) in the same transaction, and the notification's
    de-duplication key is the registration."""
    from linli.notifications.services import already_notified

    now = now or timezone.now()
    due = list(Registration.objects.filter(status=Registration.Status.CONFIRMED, person__user__isnull=False,
                                           reminded_at__isnull=True,
                                           occurrence__status=Occurrence.Status.SCHEDULED,
                                           occurrence__start__gt=now, occurrence__start__lte=now + ahead)
               .select_related("occurrence__activity__site", "person__user"))
    sent = 0
    for reg in due:
        key = f"activity.reminder:{reg.pk}"
        with transaction.atomic():
            if Registration.objects.filter(pk=reg.pk, reminded_at__isnull=True).update(reminded_at=now) != 1:
                continue  # another run reminded it meanwhile
            if already_notified(dedup_key=key, user_ids=[reg.person.user_id]):
                continue
            _tell(reg, "activity.reminder", dedup_key=key)
        sent += 1
    return sent


def occurrence_update(*, occurrence: Occurrence, by, start: dt.datetime | None = None,
                      end: dt.datetime | None = None, room=..., capacity: int | None = None) -> Occurrence:
    """Change one date alone (time, room, seats). More seats move waitlisted people up, in order; fewer
    seats than people already confirmed is refused. A new time or room moves the date's hold, refused
    when the room is taken then; no room frees it."""
    _require_organiser(by, occurrence.activity)
    check_event_dates(start=start, end=end)
    with transaction.atomic():
        occ = _lock(occurrence)
        if occ.is_cancelled:
            raise ValidationError({"status": _("This date is cancelled.")})
        start = start or occ.start
        end = end or occ.end
        if end <= start:
            raise ValidationError({"end": _("The end must be after the start.")})
        before = (occ.room_id, occ.start, occ.end)
        if room is not ...:
            occ.room = room
        capacity = occ.capacity if capacity is None else capacity
        _check_place(occ.activity.site, occ.room, capacity)
        confirmed = _confirmed(occ)
        if capacity < confirmed:
            raise ValidationError({"capacity": _("%(n)d people already have a seat; cancel some first or keep "
                                                 "at least %(n)d seats.") % {"n": confirmed}})
        if start != occ.start and occ.signup_closes and occ.signup_closes == occ.start:
            occ.signup_closes = start
        occ.start, occ.end, occ.capacity, occ.is_modified = start, end, capacity, True
        occ.save()
        if (occ.room_id, occ.start, occ.end) != before:
            if occ.room is None:
                places.room_hold_release(occurrences=[occ], by=by)
            else:
                places.room_hold(room=occ.room, by=by, occurrences=[occ], purpose=occ.activity.title)
        _promote(occ)
    return occ


@transaction.atomic
def occurrence_cancel(*, occurrence: Occurrence, by, reason: str = "") -> Occurrence:
    """Cancel one date of a series (or a one-off activity); its registrations stay on record and its
    room is free again."""
    _require_organiser(by, occurrence.activity)
    occ = _lock(occurrence)
    if occ.is_cancelled:
        raise ValidationError({"status": _("This date is already cancelled.")})
    if occ.end <= timezone.now():
        raise ValidationError({"status": _("This date is over and cannot be cancelled.")})
    occ.status, occ.cancel_reason, occ.is_modified = Occurrence.Status.CANCELLED, reason[:200], True
    occ.save(update_fields=["status", "cancel_reason", "is_modified"])
    places.room_hold_release(occurrences=[occ], by=by)
    return occ


def occurrence_holds_sync(*, dry_run: bool = False) -> tuple[int, list[tuple[Occurrence, str]]]:
    """Dates written before dates held rooms (or in bulk): every scheduled date with a room that has not
    ended and holds no room gets its hold, booked by the activity's creator. A date whose room is taken
    then is left as it is and returned with the reason, for a person to resolve; nothing is forced.
    Returns (dates held, [(date, reason)]); with dry_run nothing is saved."""
    held, conflicts = 0, []
    todo = (Occurrence.objects.filter(status=Occurrence.Status.SCHEDULED, room__isnull=False, end__gt=timezone.now())
            .exclude(pk__in=Booking.objects.filter(status=Booking.Status.CONFIRMED, occurrence__isnull=False)
                     .values("occurrence_id"))
            .select_related("activity__created_by", "room").order_by("start", "pk"))
    # Each date in its own transaction (short room locks on a live site); a dry run holds them all in
    # one that is rolled back, so dates that would collide with each other are reported too.
    with transaction.atomic() if dry_run else contextlib.nullcontext():
        for occ in todo:
            try:
                with transaction.atomic():
                    places.room_hold(room=occ.room, by=occ.activity.created_by, occurrences=[occ],
                                     purpose=occ.activity.title)
            except ValidationError as e:
                conflicts.append((occ, " ".join(e.messages)))
            else:
                held += 1
        if dry_run:
            transaction.set_rollback(True)
    return held, conflicts


# Registrations ------------------------------------------------------------------------------------

def _require_may_register(by, person, occurrence) -> None:
    if getattr(person, "user_id", None) == by.pk:
        if not Occurrence.objects.visible_to(by).filter(pk=occurrence.pk).exists():
            raise PermissionDenied(_("You may not sign up for this activity."))
        return
    if not can_organise(by, occurrence.activity.site.division):
        raise PermissionDenied(_("You may sign up only yourself."))


def registration_create(*, occurrence: Occurrence, person, by, walk_in: bool = False) -> Registration:
    """Sign a person up: a seat if one is free, else the waitlist. Refused before sign-up opens, after it
    closes, for a cancelled date, and when the person is already signed up."""
    _require_may_register(by, person, occurrence)
    now = timezone.now()
    with transaction.atomic():
        occ = _lock(occurrence)
        if occ.is_cancelled:
            raise ValidationError({"occurrence": _("This date is cancelled.")})
        if not walk_in:
            if occ.signup_opens and now < occ.signup_opens:
                raise ValidationError({"occurrence": _("Sign-up opens on %(when)s.") % {"when": _fmt(occ.signup_opens)}})
            if now >= (occ.signup_closes or occ.start):
                raise ValidationError({"occurrence": _("Sign-up closed on %(when)s.")
                                       % {"when": _fmt(occ.signup_closes or occ.start)}})
        if Registration.objects.filter(occurrence=occ, person=person, status__in=Registration.ACTIVE).exists():
            raise ValidationError({"person": _("%(name)s is already signed up for this date.") % {"name": person.name}})
        full = _confirmed(occ) >= occ.capacity
        if full and walk_in:
            raise ValidationError({"occurrence": _("All seats are taken.")})
        status = Registration.Status.WAITLISTED if full else Registration.Status.CONFIRMED
        return Registration.objects.create(occurrence=occ, person=person, status=status, registered_by=by,
                                           walk_in=walk_in)


def registration_cancel(*, registration: Registration, by) -> Registration:
    """The person (or an organiser) gives up a seat or waitlist place before the start; the freed seat
    goes to the earliest waitlisted sign-up."""
    occurrence = registration.occurrence
    if registration.person.user_id != by.pk and not can_organise(by, occurrence.activity.site.division):
        raise PermissionDenied(_("Only the person or an organiser may cancel this sign-up."))
    with transaction.atomic():
        occ = _lock(occurrence)
        reg = Registration.objects.select_for_update().get(pk=registration.pk)
        if reg.status == Registration.Status.CANCELLED:
            raise ValidationError({"status": _("This sign-up is already cancelled.")})
        if occ.start <= timezone.now():
            raise ValidationError({"status": _("The activity has started; a sign-up can no longer be cancelled.")})
        reg.status, reg.cancelled_at = Registration.Status.CANCELLED, timezone.now()
        reg.save(update_fields=["status", "cancelled_at"])
        _promote(occ)
    return reg


# Check-in -----------------------------------------------------------------------------------------

def _check_in_window(occ: Occurrence, now) -> None:
    if occ.is_cancelled:
        raise ValidationError({"code": _("This date is cancelled.")})
    if now < occ.start - CHECKIN_OPENS_BEFORE:
        raise ValidationError({"code": _("Check-in opens one hour before the start (%(when)s).")
                               % {"when": _fmt(occ.start - CHECKIN_OPENS_BEFORE)}})
    if now > occ.end + CHECKIN_CLOSES_AFTER:
        raise ValidationError({"code": _("This check-in code has expired: the activity ended on %(when)s.")
                               % {"when": _fmt(occ.end)}})


def check_code(*, occurrence: Occurrence, code: str) -> None:
    """Refuse a code that is not this occurrence's (a foreign or forged code) or no longer valid."""
    if not code or code != occurrence.checkin_token:
        raise ValidationError({"code": _("This check-in code is not for this activity. Scan the code at "
                                         "the door of the activity you are attending.")})
    _check_in_window(occurrence, timezone.now())


def check_in_by_code(*, occurrence: Occurrence, code: str, by) -> Registration:
    """A resident scans the door code: their seat is checked in. Without a sign-up they come in as a
    walk-in if a seat is free. Checking in twice is harmless."""
    check_code(occurrence=occurrence, code=code)
    person = getattr(by, "person", None)
    if person is None:
        raise ValidationError({"code": _("Your account is not linked to a resident record; ask the staff "
                                         "at the door to check you in.")})
    with transaction.atomic():
        occ = _lock(occurrence)
        reg = (Registration.objects.select_for_update()
               .filter(occurrence=occ, person=person, status__in=Registration.ACTIVE).first())
        if reg is None:
            if _confirmed(occ) >= occ.capacity:
                raise ValidationError({"code": _("You are not signed up and all seats are taken.")})
            reg = Registration.objects.create(occurrence=occ, person=person, registered_by=by, walk_in=True,
                                              status=Registration.Status.CONFIRMED)
        elif reg.status == Registration.Status.WAITLISTED:
            raise ValidationError({"code": _("You are on the waitlist; please wait until a seat is free.")})
        if reg.checked_in_at is None:
            reg.checked_in_at = timezone.now()
            reg.save(update_fields=["checked_in_at"])
    return reg


@transaction.atomic
def check_in_by_staff(*, registration: Registration, by, undo: bool = False) -> Registration:
    """An organiser checks a person in from the roster (or undoes a mistaken check-in)."""
    reg = Registration.objects.select_for_update(of=("self",)).select_related("occurrence__activity__site__division").get(
        pk=registration.pk)
    _require_organiser(by, reg.occurrence.activity)
    _check_in_window(reg.occurrence, timezone.now())
    if reg.status != Registration.Status.CONFIRMED:
        raise ValidationError({"status": _("Only a person with a seat can be checked in.")})
    if undo:
        reg.checked_in_at, reg.checked_in_by = None, None
    elif reg.checked_in_at is None:
        reg.checked_in_at, reg.checked_in_by = timezone.now(), by
    reg.save(update_fields=["checked_in_at", "checked_in_by"])
    return reg


# Reviews ------------------------------------------------------------------------------------------

@transaction.atomic
def review_submit(*, registration: Registration, by, rating: int, comment: str = "") -> Review:
    """An attendee rates the occurrence 1–5 once it has started; writing again replaces the review."""
    if registration.person.user_id != by.pk:
        raise PermissionDenied(_("Only the attendee may review."))
    registration = Registration.objects.select_related("occurrence").get(pk=registration.pk)
    if registration.checked_in_at is None:
        raise ValidationError({"rating": _("Only people who checked in can review this activity.")})
    if registration.occurrence.start > timezone.now():
        raise ValidationError({"rating": _("You can review the activity once it has started.")})
    if rating not in range(1, 6):
        raise ValidationError({"rating": _("Give 1 to 5 stars.")})
    if len(comment) > 1000:
        raise ValidationError({"comment": _("Keep the comment under 1,000 characters.")})
    review, _created = Review.objects.update_or_create(
        registration=registration, defaults={"occurrence": registration.occurrence, "rating": rating,
                                             "comment": comment.strip()})
    return review
