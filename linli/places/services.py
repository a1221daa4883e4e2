"""Writes for places: sites, opening hours, rooms and bookings.

THE RULE: no two confirmed bookings of a room ever overlap. Every service that can produce a
confirmed booking locks the Room row (select_for_update inside one transaction) before it looks for
overlaps, so concurrent requests for one room are serialised; on SQLite the IMMEDIATE transaction
mode serialises them too. An activity date in a room holds it with a confirmed booking of its own
(room_hold, called by activities.services), so the rule covers activities as well.
"""

import datetime as dt
import itertools
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format, time_format
from django.utils.translation import gettext as _

from linli.accounts.models import Role
from linli.core import geo
from linli.core.dates import check_event_dates
from linli.core.scoping import has_role_over
from linli.divisions.models import Division
from linli.places import selectors
from linli.places.models import Booking, BookingSeries, OpeningException, OpeningHours, Room, Site

MAX_SERIES_DAYS = 366
SITE_FIELDS = ("name", "division", "is_neighborhood_center", "practice_role", "station", "placement",
               "address", "lat", "lng", "floor_area_m2", "contact_name", "contact_phone", "description")
ROOM_FIELDS = ("name", "function", "custom_function", "capacity", "area_m2", "bookable",
               "requires_approval", "max_booking_hours")


def _require_manager(user, division) -> None:
    if not has_role_over(user, Role.PLACE_MANAGERS, division):
        raise PermissionDenied(_("Only the community's place managers may do this."))


# Sites --------------------------------------------------------------------------------------------

def _site_check(site: Site) -> None:
    """Station and point rules (一站多点) and the division level, as clear field errors."""
    errors = {}
    if site.division_id and site.division.level != Division.Level.COMMUNITY:
        errors["division"] = _("Choose a community, not a town or a grid.")
    if site.practice_role == Site.PracticeRole.STATION:
        other = Site.objects.filter(division_id=site.division_id, practice_role=Site.PracticeRole.STATION)
        other = other.exclude(pk=site.pk).first()
        if other is not None:
            errors["practice_role"] = _("%(community)s already has a station: %(site)s. A community has "
                                        "one station; make this site a point under it.") % {
                "community": site.division, "site": other}
    elif site.pk and site.points.exists():
        errors["practice_role"] = _("This site is the station of %(n)d points; move them to another "
                                    "station first.") % {"n": site.points.count()}
    if site.practice_role == Site.PracticeRole.POINT:
        if site.station_id is None:
            errors["station"] = _("A point must name the station it belongs to.")
        elif site.station.practice_role != Site.PracticeRole.STATION:
            errors["station"] = _("%(site)s is not a station.") % {"site": site.station}
        elif site.station.division_id != site.division_id:
            errors["station"] = _("The station must be in the same community as the point.")
    elif site.station_id is not None:
        errors["station"] = _("Only a point belongs to a station; leave this empty.")
    if (site.lat is None) != (site.lng is None):
        errors["lat"] = _("Give both latitude and longitude, or neither.")
    elif site.lat is not None:
        try:
            geo.validate_in_china(site.lat, site.lng)
        except ValidationError as e:
            errors["lat"] = e
    if errors:
        raise ValidationError(errors)


def _site_save(site: Site, *, coords_gcj02: bool) -> Site:
    if coords_gcj02 and site.lat is not None and site.lng is not None:
        # Check the typed values first: converting nonsense gives nonsense.
        try:
            geo.validate_in_china(site.lat, site.lng)
        except ValidationError as e:
            raise ValidationError({"lat": e}) from None
        site.lat, site.lng = geo.gcj02_to_wgs84(site.lat, site.lng)
    _site_check(site)
    site.full_clean()
    site.save()
    return site


@transaction.atomic
def site_create(*, by, name: str, division: Division, address: str, is_neighborhood_center: bool = False,
                practice_role: str = Site.PracticeRole.NONE, station: Site | None = None,
                placement: str = Site.Placement.OTHER, lat: float | None = None, lng: float | None = None,
                coords_gcj02: bool = False, floor_area_m2: Decimal | None = None, contact_name: str = "",
                contact_phone: str = "", description: str = "") -> Site:
    """Create a site in a community the user manages. Coordinates are stored as WGS-84; pass
    coords_gcj02=True when they come from a Chinese map app."""
    _require_manager(by, division)
    site = Site(name=name, division=division, address=address, is_neighborhood_center=is_neighborhood_center,
                practice_role=practice_role, station=station, placement=placement, lat=lat, lng=lng,
                floor_area_m2=floor_area_m2, contact_name=contact_name, contact_phone=contact_phone,
                description=description)
    return _site_save(site, coords_gcj02=coords_gcj02)


@transaction.atomic
def site_update(*, site: Site, by, data: dict, coords_gcj02: bool = False) -> Site:
    """Change a site's fields (those in `data`); the user must manage both the old and new community."""
    _require_manager(by, site.division)
    site = Site.objects.select_for_update().get(pk=site.pk)
    for field in SITE_FIELDS:
        if field in data:
            setattr(site, field, data[field])
    _require_manager(by, site.division)
    return _site_save(site, coords_gcj02=coords_gcj02)


@transaction.atomic
def opening_hours_set(*, site: Site, by, hours: list[tuple[int, dt.time, dt.time]]) -> list[OpeningHours]:
    """Replace the weekly hours. A weekday may have several intervals (a lunch break); they must not overlap."""
    _require_manager(by, site.division)
    rows = sorted(hours)
    for i, (weekday, opens, closes) in enumerate(rows):
        if weekday not in range(7):
            raise ValidationError({"weekday": _("Choose a day of the week.")})
        if closes <= opens:
            raise ValidationError({"closes": _("Closing time must be after opening time.")})
        if i and rows[i - 1][0] == weekday and rows[i - 1][2] > opens:
            raise ValidationError({"opens": _("Two intervals of the same day overlap.")})
    site.opening_hours.all().delete()
    return OpeningHours.objects.bulk_create(
        [OpeningHours(site=site, weekday=w, opens=o, closes=c) for w, o, c in rows])


@transaction.atomic
def opening_exception_set(*, site: Site, by, date: dt.date, closed: bool = True, opens: dt.time | None = None,
                          closes: dt.time | None = None, note: str = "") -> OpeningException:
    """A date with other hours than usual: closed all day (a holiday), or open from `opens` to `closes`."""
    _require_manager(by, site.division)
    if not closed:
        if opens is None or closes is None:
            raise ValidationError({"opens": _("Give the opening and closing times, or tick closed all day.")})
        if closes <= opens:
            raise ValidationError({"closes": _("Closing time must be after opening time.")})
    exc = OpeningException.objects.filter(site=site, date=date).first() or OpeningException(site=site, date=date)
    exc.closed, exc.note = closed, note
    exc.opens, exc.closes = (None, None) if closed else (opens, closes)
    exc.full_clean(validate_unique=False)
    exc.save()
    return exc


@transaction.atomic
def opening_exception_delete(*, exception: OpeningException, by) -> None:
    _require_manager(by, exception.site.division)
    exception.delete()


# Rooms --------------------------------------------------------------------------------------------

def _room_save(room: Room) -> Room:
    if room.function == Room.Function.CUSTOM and not room.custom_function.strip():
        raise ValidationError({"custom_function": _("Name the room's function.")})
    if room.max_booking_hours is not None and room.max_booking_hours < 1:
        raise ValidationError({"max_booking_hours": _("The longest booking must be at least one hour.")})
    room.full_clean()
    room.save()
    return room


@transaction.atomic
def room_create(*, site: Site, by, name: str, function: str, custom_function: str = "",
                capacity: int | None = None, area_m2: Decimal | None = None, bookable: bool = True,
                requires_approval: bool = False, max_booking_hours: int = 4) -> Room:
    _require_manager(by, site.division)
    return _room_save(Room(site=site, name=name, function=function, custom_function=custom_function,
                           capacity=capacity, area_m2=area_m2, bookable=bookable,
                           requires_approval=requires_approval, max_booking_hours=max_booking_hours))


@transaction.atomic
def room_update(*, room: Room, by, data: dict) -> Room:
    _require_manager(by, room.site.division)
    room = Room.objects.select_for_update().select_related("site__division").get(pk=room.pk)
    for field in ROOM_FIELDS:
        if field in data:
            setattr(room, field, data[field])
    return _room_save(room)


# Bookings -----------------------------------------------------------------------------------------

def _fmt_time(t) -> str:
    return time_format(t, "H:i")


def _fmt_day(d) -> str:
    return date_format(d, "DATE_FORMAT")


def _lock_room(room: Room) -> Room:
    """Lock the room row until the transaction ends: the serialisation point of THE RULE."""
    return Room.objects.select_for_update().select_related("site__division").get(pk=room.pk)


def _overlap_error(room: Room, start, end, *, exclude_pk=None) -> ValidationError | None:
    """A confirmed booking of the room overlapping [start, end) (half-open: 10–11 and 11–12 do not)."""
    qs = Booking.objects.filter(room=room, status=Booking.Status.CONFIRMED, start__lt=end, end__gt=start)
    other = qs.exclude(pk=exclude_pk).order_by("start").first()
    if other is None:
        return None
    s, e = timezone.localtime(other.start), timezone.localtime(other.end)
    values = {"start": _fmt_time(s), "end": _fmt_time(e), "day": _fmt_day(s.date()), "title": other.purpose}
    if other.is_activity_hold:  # activities are public: name it
        return ValidationError({"start": _("This room is held for the activity “%(title)s” from %(start)s to "
                                           "%(end)s (%(day)s). Choose another time.") % values}, code="overlap")
    # Whose booking and what for stay private to residents.
    return ValidationError({"start": _("This room is already booked from %(start)s to %(end)s (%(day)s). "
                                       "Choose another time.") % values}, code="overlap")


def overlap_reason(*, room: Room, start, end) -> str:
    """What a booking request for [start, end) in this room would be told when the time is taken, or ""."""
    error = _overlap_error(room, start, end)
    return " ".join(error.messages) if error else ""


def _slot_error(room: Room, start, end, *, calendar=None) -> ValidationError | None:
    """Why [start, end) cannot be booked in this room, or None. Does not look at other bookings."""
    if end <= start:
        return ValidationError({"end": _("The end must be after the start.")})
    if end - start > dt.timedelta(hours=room.max_booking_hours):
        return ValidationError({"end": _("This room can be booked for at most %(n)d hours at a time.")
                                % {"n": room.max_booking_hours}})
    if start < timezone.now():
        return ValidationError({"start": _("This time has already passed.")})
    s, e = timezone.localtime(start), timezone.localtime(end)
    day = s.date()
    calendar = calendar or selectors.OpeningCalendar(room.site, day, day)
    intervals = calendar.intervals(day)
    exc = calendar.exception(day)
    if not intervals:
        if exc is not None:
            msg = _("%(site)s is closed on %(day)s (%(note)s).") if exc.note else _("%(site)s is closed on %(day)s.")
        else:
            msg = _("%(site)s is not open on %(day)s.")
        return ValidationError({"start": msg % {"site": room.site, "day": _fmt_day(day), "note": exc and exc.note}})
    if e.date() != day or not any(o <= s.time() and e.time() <= c for o, c in intervals):
        hours = "、".join(f"{_fmt_time(o)}–{_fmt_time(c)}" for o, c in intervals)
        return ValidationError({"start": _("Bookings must lie within the opening hours of %(day)s: %(hours)s.")
                                % {"day": _fmt_day(day), "hours": hours}})
    return None


def _require_can_book(room: Room, by) -> None:
    if not Room.objects.visible_to(by).filter(pk=room.pk).exists():
        raise PermissionDenied(_("You may not book this room."))


def _require_bookable(room: Room) -> None:
    if not room.bookable:
        raise ValidationError({"room": _("This room cannot be booked.")})


def booking_request(*, room: Room, by, start: dt.datetime, end: dt.datetime, purpose: str,
                    attendees: int | None = None) -> Booking:
    """Request a room: confirmed at once if the room needs no approval, else pending. Refused when the
    time is invalid, in the past, outside one opening interval of the day, or overlaps a confirmed booking."""
    _require_can_book(room, by)
    check_event_dates(start=start, end=end)
    with transaction.atomic():
        room = _lock_room(room)
        _require_bookable(room)
        error = _slot_error(room, start, end) or _overlap_error(room, start, end)
        if error:
            raise error
        if attendees is not None and room.capacity and attendees > room.capacity:
            raise ValidationError({"attendees": _("This room holds at most %(n)d people.") % {"n": room.capacity}})
        booking = Booking(room=room, booked_by=by, start=start, end=end, purpose=purpose, attendees=attendees,
                          status=Booking.Status.PENDING if room.requires_approval else Booking.Status.CONFIRMED)
        booking.full_clean()
        booking.save()
    return booking


def booking_confirm(*, booking: Booking, by) -> Booking:
    """A place manager approves a pending booking, unless it now overlaps a confirmed one."""
    _require_manager(by, booking.room.site.division)
    with transaction.atomic():
        room = _lock_room(booking.room)
        booking = Booking.objects.select_for_update().get(pk=booking.pk)
        if booking.status != Booking.Status.PENDING:
            raise ValidationError({"status": _("Only a booking awaiting approval can be approved.")})
        if booking.start < timezone.now():
            raise ValidationError({"start": _("This time has already passed.")})
        error = _overlap_error(room, booking.start, booking.end, exclude_pk=booking.pk)
        if error:
            raise error
        booking.status, booking.decided_by, booking.decided_at = Booking.Status.CONFIRMED, by, timezone.now()
        booking.save(update_fields=["status", "decided_by", "decided_at"])
    return booking


@transaction.atomic
def booking_reject(*, booking: Booking, by, reason: str = "") -> Booking:
    _require_manager(by, booking.room.site.division)
    booking = Booking.objects.select_for_update().get(pk=booking.pk)
    if booking.status != Booking.Status.PENDING:
        raise ValidationError({"status": _("Only a booking awaiting approval can be rejected.")})
    if len(reason) > 200:
        raise ValidationError({"reason": _("Keep the reason under 200 characters.")})
    booking.status, booking.reason = Booking.Status.REJECTED, reason
    booking.decided_by, booking.decided_at = by, timezone.now()
    booking.save(update_fields=["status", "reason", "decided_by", "decided_at"])
    return booking


def _require_booker_or_manager(by, booked_by_id, site) -> None:
    if by.pk != booked_by_id and not selectors.can_manage(by, site):
        raise PermissionDenied(_("Only the person who booked or a place manager may cancel."))


@transaction.atomic
def booking_cancel(*, booking: Booking, by, reason: str = "") -> Booking:
    """The booker or a place manager cancels a booking that has not ended; who and when are recorded."""
    _require_booker_or_manager(by, booking.booked_by_id, booking.room.site)
    booking = Booking.objects.select_for_update().get(pk=booking.pk)
    if booking.is_activity_hold:
        raise ValidationError({"status": _("This booking holds the room for an activity date; change or cancel "
                                           "that date instead.")})
    if booking.status not in (Booking.Status.PENDING, Booking.Status.CONFIRMED):
        raise ValidationError({"status": _("This booking is already rejected or cancelled.")})
    if booking.end <= timezone.now():
        raise ValidationError({"status": _("This booking is over and cannot be cancelled.")})
    if len(reason) > 200:
        raise ValidationError({"reason": _("Keep the reason under 200 characters.")})
    booking.status, booking.cancelled_by, booking.cancelled_at = Booking.Status.CANCELLED, by, timezone.now()
    if reason:
        booking.reason = reason
    booking.save(update_fields=["status", "cancelled_by", "cancelled_at", "reason"])
    return booking


def booking_series_create(*, room: Room, by, weekdays: list[int], start_date: dt.date, end_date: dt.date,
                          start_time: dt.time, end_time: dt.time, purpose: str) -> BookingSeries:
    """Book the same times on the chosen weekdays between two dates, as one series. Dates that cannot be
    booked (closed, outside hours, taken) are skipped and listed in series.skipped with the reason."""
    _require_can_book(room, by)
    check_event_dates(start_date=start_date, end_date=end_date)
    weekdays = sorted(set(weekdays))
    if not weekdays or any(w not in range(7) for w in weekdays):
        raise ValidationError({"weekdays": _("Choose at least one day of the week.")})
    if end_date < start_date:
        raise ValidationError({"end_date": _("The last date must not be before the first.")})
    if (end_date - start_date).days >= MAX_SERIES_DAYS:
        raise ValidationError({"end_date": _("A series may span at most one year.")})
    if end_time <= start_time:
        raise ValidationError({"end_time": _("The end must be after the start.")})
    tz = timezone.get_current_timezone()
    with transaction.atomic():
        room = _lock_room(room)
        _require_bookable(room)
        calendar = selectors.OpeningCalendar(room.site, start_date, end_date)
        status = Booking.Status.PENDING if room.requires_approval else Booking.Status.CONFIRMED
        series = BookingSeries(room=room, booked_by=by, purpose=purpose, weekdays=weekdays, start_date=start_date,
                               end_date=end_date, start_time=start_time, end_time=end_time)
        series.full_clean()
        occurrences, skipped = [], []
        day = start_date
        while day <= end_date:
            if day.weekday() in weekdays:
                start = dt.datetime.combine(day, start_time, tzinfo=tz)
                end = dt.datetime.combine(day, end_time, tzinfo=tz)
                error = _slot_error(room, start, end, calendar=calendar) or _overlap_error(room, start, end)
                if error:
                    skipped.append({"date": day.isoformat(), "reason": " ".join(error.messages)})
                else:
                    occurrences.append(Booking(room=room, booked_by=by, start=start, end=end, purpose=purpose,
                                               status=status))
            day += dt.timedelta(days=1)
        if not occurrences:
            reasons = "; ".join(f"{s['date']}: {s['reason']}" for s in skipped[:3])
            raise ValidationError({"start_date": _("No date in this range can be booked. %(reasons)s")
                                   % {"reasons": reasons}})
        series.skipped = skipped
        series.save()
        for b in occurrences:
            b.series = series
        Booking.objects.bulk_create(occurrences)
    return series


@transaction.atomic
def booking_series_cancel(*, series: BookingSeries, by) -> int:
    """Cancel every occurrence of the series that has not started yet; returns how many."""
    _require_booker_or_manager(by, series.booked_by_id, series.room.site)
    return series.bookings.filter(
        start__gt=timezone.now(), status__in=[Booking.Status.PENDING, Booking.Status.CONFIRMED],
    ).update(status=Booking.Status.CANCELLED, cancelled_by=by, cancelled_at=timezone.now())


# Room holds: activity dates -----------------------------------------------------------------------
# An activity date in a room holds the room with a confirmed booking linked to the date, made here so
# THE RULE, the room lock and the week calendar cover activities. Opening hours, `bookable` and the
# longest booking do not apply: organisers run the site and may open it for an evening or a holiday
# event. activities.services calls these inside its own transaction, after checking the user may
# organise at the room's site (organisers are the place managers, so conflicts may name bookings).

HOLD_CONFLICTS_LISTED = 5


def _conflict_text(other: Booking) -> str:
    s, e = timezone.localtime(other.start), timezone.localtime(other.end)
    values = {"day": _fmt_day(s.date()), "start": _fmt_time(s), "end": _fmt_time(e), "what": other.purpose}
    if other.is_activity_hold:
        return _("%(day)s %(start)s–%(end)s, the activity “%(what)s”") % values
    return _("%(day)s %(start)s–%(end)s, booked for “%(what)s”") % values


def _hold_conflicts_error(room: Room, spans: list, *, exclude=()) -> ValidationError | None:
    """The confirmed bookings of the room overlapping any of the spans (one query), as one error on
    `room` that names them; None when the room is free at every span."""
    if not spans:
        return None
    others = list(Booking.objects.filter(
        room=room, status=Booking.Status.CONFIRMED, start__lt=max(e for _s, e in spans),
        end__gt=min(s for s, _e in spans)).exclude(pk__in=list(exclude)).order_by("start"))
    taken = [(s, e) for s, e in spans if any(b.start < e and s < b.end for b in others)]
    if not taken:
        if all(a[1] <= b[0] for a, b in itertools.pairwise(sorted(spans))):
            return None
        return ValidationError({"room": _("Two of these dates overlap each other in %(room)s.")
                                % {"room": room.name}}, code="overlap")
    conflicts = [b for b in others if any(b.start < e and s < b.end for s, e in taken)]
    listed = "; ".join(_conflict_text(b) for b in conflicts[:HOLD_CONFLICTS_LISTED])
    if len(conflicts) > HOLD_CONFLICTS_LISTED:
        listed += _(" … and %(n)d more") % {"n": len(conflicts) - HOLD_CONFLICTS_LISTED}
    if len(spans) == 1:
        msg = _("%(room)s is already taken at this time (%(conflicts)s). Choose another time or room.")
    else:
        msg = _("%(room)s is taken at %(n)d of these dates (%(conflicts)s). Nothing was saved: choose other "
                "times or another room.")
    return ValidationError({"room": msg % {"room": room.name, "n": len(taken), "conflicts": listed}},
                           code="overlap")


def room_hold(*, room: Room, by, occurrences, purpose: str) -> list[Booking]:
    """Hold `room` for each activity date (an Occurrence, at its current start and end): a date that
    already holds a room has its booking moved (other room or time), the others get a new confirmed
    booking linked to them. All or nothing: when any date overlaps a confirmed booking or another
    activity date of the room, nothing changes and the error on `room` names the conflicts."""
    occurrences, purpose = list(occurrences), purpose[:200]
    with transaction.atomic():
        room = _lock_room(room)
        current = {b.occurrence_id: b for b in Booking.objects.filter(
            occurrence__in=[o.pk for o in occurrences], status=Booking.Status.CONFIRMED)}
        error = _hold_conflicts_error(room, [(o.start, o.end) for o in occurrences],
                                      exclude=[b.pk for b in current.values()])
        if error:
            raise error
        moved, created = [], []
        for o in occurrences:
            hold = current.get(o.pk)
            if hold is None:
                created.append(Booking(room=room, occurrence=o, booked_by=by, start=o.start, end=o.end,
                                       purpose=purpose, status=Booking.Status.CONFIRMED))
            elif (hold.room_id, hold.start, hold.end, hold.purpose) != (room.pk, o.start, o.end, purpose):
                hold.room, hold.start, hold.end, hold.purpose = room, o.start, o.end, purpose
                moved.append(hold)
        if moved:
            Booking.objects.bulk_update(moved, ["room", "start", "end", "purpose"])
        return Booking.objects.bulk_create(created) + list(current.values())


def room_hold_release(*, occurrences, by) -> int:
    """Free the rooms held by these activity dates (cancelled or without a room now); returns how many."""
    return Booking.objects.filter(occurrence__in=occurrences, status=Booking.Status.CONFIRMED).update(
        status=Booking.Status.CANCELLED, cancelled_by=by, cancelled_at=timezone.now())


def room_hold_rename(*, occurrences, purpose: str) -> int:
    """The activity was renamed: its holds show the new title on the room's calendar."""
    return Booking.objects.filter(occurrence__in=occurrences, status=Booking.Status.CONFIRMED).update(
        purpose=purpose[:200])
