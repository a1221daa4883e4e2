"""Sane ranges for dates by their meaning, in one place: forms, serializers, services and imports
check against these (a year-657 start would render with a local-mean-time offset like +08:05:43,
which is not RFC 3339; a birth date in 2999 would make someone -973 years old)."""

import datetime as dt

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

# When anything the centers schedule (activities, bookings, shifts, sessions) may take place.
EVENT_FIRST_DAY = dt.date(2000, 1, 1)
EVENT_LAST_DAY = dt.date(2100, 12, 31)
# The oldest age a birth date may give.
MAX_AGE_YEARS = 120


def event_date_error(day: dt.date | dt.datetime | None) -> str | None:
    """Why this date or time cannot be when an event takes place, or None."""
    if day is None:
        return None
    if isinstance(day, dt.datetime):
        day = day.date()  # the year decides; no time-zone arithmetic near the ends of the calendar
    if not EVENT_FIRST_DAY <= day <= EVENT_LAST_DAY:
        return _("Choose a date between %(first)s and %(last)s.") % {
            "first": EVENT_FIRST_DAY.isoformat(), "last": EVENT_LAST_DAY.isoformat()}
    return None


def check_event_dates(**values) -> None:
    """Raise a ValidationError naming each field whose date or time is outside the event range."""
    errors = {name: msg for name, value in values.items() if (msg := event_date_error(value))}
    if errors:
        raise ValidationError(errors)


def birth_date_error(born: dt.date | None, *, today: dt.date | None = None) -> str | None:
    """Why this cannot be a living person's birth date (in the future, or older than 120 years), or None."""
    if born is None:
        return None
    today = today or timezone.localdate()
    if born > today:
        return _("A birth date cannot be in the future.")
    if born < _years_before(today, MAX_AGE_YEARS):
        return _("A birth date more than %(n)s years ago is not plausible; check the year.") % {"n": MAX_AGE_YEARS}
    return None


def _years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def clamp_event_day(day: dt.date) -> dt.date | None:
    """The day if it is in the event range, else None (callers fall back to today)."""
    return day if EVENT_FIRST_DAY <= day <= EVENT_LAST_DAY else None


def event_date_validator(value) -> None:
    """A form or serializer field validator for an event's date or time."""
    if error := event_date_error(value):
        raise ValidationError(error, code="event_date_range")
