import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from linli.places import services
from linli.places.models import Booking, OpeningException, OpeningHours
from linli.places.tests.conftest import at

pytestmark = pytest.mark.django_db


def _book(room, by, start, end, purpose="书法练习"):
    return services.booking_request(room=room, by=by, start=start, end=end, purpose=purpose)


def test_booking_a_free_slot_is_confirmed_at_once(room_a, resident_a, day):
    b = _book(room_a, resident_a, at(day, 10), at(day, 11))
    assert b.status == Booking.Status.CONFIRMED


def test_overlapping_a_confirmed_booking_is_refused(room_a, resident_a, staff_a, day):
    _book(room_a, resident_a, at(day, 10), at(day, 11))
    with pytest.raises(ValidationError) as e:
        _book(room_a, staff_a, at(day, 10, 30), at(day, 12))
    assert "10:00" in e.value.message_dict["start"][0] and "11:00" in e.value.message_dict["start"][0]
    assert Booking.objects.count() == 1


def test_touching_intervals_do_not_overlap(room_a, resident_a, staff_a, day):
    _book(room_a, resident_a, at(day, 10), at(day, 11))
    _book(room_a, staff_a, at(day, 11), at(day, 12))
    _book(room_a, staff_a, at(day, 9), at(day, 10))
    assert Booking.objects.filter(status=Booking.Status.CONFIRMED).count() == 3


def test_the_same_slot_in_another_room_is_free(room_a, site_a, resident_a, day):
    from linli.core.testing import RoomFactory

    _book(room_a, resident_a, at(day, 10), at(day, 11))
    _book(RoomFactory(site=site_a), resident_a, at(day, 10), at(day, 11))


@pytest.mark.parametrize("start,end", [((7, 30), (9, 0)), ((20, 30), (21, 30)), ((21, 0), (22, 0))])
def test_booking_outside_opening_hours_is_refused(room_a, resident_a, day, start, end):
    with pytest.raises(ValidationError) as e:
        _book(room_a, resident_a, at(day, *start), at(day, *end))
    assert "08:00–21:00" in e.value.message_dict["start"][0]


def test_booking_must_lie_inside_one_opening_interval(room_a, resident_a, day):
    OpeningHours.objects.filter(site=room_a.site, weekday=day.weekday()).delete()
    OpeningHours.objects.create(site=room_a.site, weekday=day.weekday(), opens=dt.time(8), closes=dt.time(12))
    OpeningHours.objects.create(site=room_a.site, weekday=day.weekday(), opens=dt.time(14), closes=dt.time(18))
    with pytest.raises(ValidationError):
        _book(room_a, resident_a, at(day, 11), at(day, 15))  # across the lunch break
    _book(room_a, resident_a, at(day, 14), at(day, 16))


def test_booking_on_a_holiday_is_refused(room_a, resident_a, day):
    OpeningException.objects.create(site=room_a.site, date=day, closed=True, note="春节")
    with pytest.raises(ValidationError) as e:
        _book(room_a, resident_a, at(day, 10), at(day, 11))
    assert "春节" in e.value.message_dict["start"][0]


def test_changed_hours_on_a_date_replace_the_weekly_hours(room_a, resident_a, day):
    OpeningException.objects.create(site=room_a.site, date=day, closed=False, opens=dt.time(14),
                                    closes=dt.time(17))
    with pytest.raises(ValidationError):
        _book(room_a, resident_a, at(day, 10), at(day, 11))
    _book(room_a, resident_a, at(day, 14), at(day, 15))


def test_end_before_start_longer_than_allowed_and_past_are_refused(room_a, resident_a, day):
    with pytest.raises(ValidationError) as e:
        _book(room_a, resident_a, at(day, 11), at(day, 10))
    assert "end" in e.value.message_dict
    with pytest.raises(ValidationError) as e:
        _book(room_a, resident_a, at(day, 9), at(day, 14))  # max 4 hours
    assert "end" in e.value.message_dict
    past = timezone.localdate() - dt.timedelta(days=7)
    with pytest.raises(ValidationError) as e:
        _book(room_a, resident_a, at(past, 10), at(past, 11))
    assert "start" in e.value.message_dict


def test_a_room_that_is_not_bookable_is_refused(room_a, resident_a, day):
    room_a.bookable = False
    room_a.save()
    with pytest.raises(ValidationError) as e:
        _book(room_a, resident_a, at(day, 10), at(day, 11))
    assert "room" in e.value.message_dict


def test_only_users_who_see_the_room_may_book_it(room_b, resident_a, day):
    with pytest.raises(PermissionDenied):
        _book(room_b, resident_a, at(day, 10), at(day, 11))


def test_pending_bookings_do_not_block_but_confirming_an_overlap_is_refused(room_a, resident_a, staff_a, day,
                                                                           make_user, county):
    room_a.requires_approval = True
    room_a.save()
    first = _book(room_a, resident_a, at(day, 10), at(day, 11))
    second = _book(room_a, make_user("resident", county["A"]), at(day, 10, 30), at(day, 11, 30))
    assert first.status == second.status == Booking.Status.PENDING
    services.booking_confirm(booking=first, by=staff_a)
    with pytest.raises(ValidationError) as e:
        services.booking_confirm(booking=second, by=staff_a)
    assert "start" in e.value.message_dict
    second.refresh_from_db()
    assert second.status == Booking.Status.PENDING


def test_a_new_request_overlapping_a_confirmed_booking_is_refused_even_when_approval_is_needed(
        room_a, resident_a, staff_a, day):
    _book(room_a, staff_a, at(day, 10), at(day, 11))
    room_a.requires_approval = True
    room_a.save()
    with pytest.raises(ValidationError):
        _book(room_a, resident_a, at(day, 10), at(day, 11))


def test_residents_cannot_approve(room_a, resident_a, day):
    room_a.requires_approval = True
    room_a.save()
    b = _book(room_a, resident_a, at(day, 10), at(day, 11))
    with pytest.raises(PermissionDenied):
        services.booking_confirm(booking=b, by=resident_a)


def test_rejected_and_cancelled_bookings_free_the_slot(room_a, resident_a, staff_a, day):
    b = _book(room_a, resident_a, at(day, 10), at(day, 11))
    services.booking_cancel(booking=b, by=resident_a)
    b.refresh_from_db()
    assert b.status == Booking.Status.CANCELLED and b.cancelled_by == resident_a and b.cancelled_at
    room_a.requires_approval = True
    room_a.save()
    p = _book(room_a, staff_a, at(day, 10), at(day, 11))
    services.booking_reject(booking=p, by=staff_a, reason="设备维修")
    p.refresh_from_db()
    assert p.status == Booking.Status.REJECTED and p.reason == "设备维修" and p.decided_by == staff_a


def test_only_the_booker_or_a_manager_may_cancel(room_a, resident_a, staff_a, make_user, county, day):
    b = _book(room_a, resident_a, at(day, 10), at(day, 11))
    with pytest.raises(PermissionDenied):
        services.booking_cancel(booking=b, by=make_user("resident", county["A"]))
    services.booking_cancel(booking=b, by=staff_a)
    b.refresh_from_db()
    assert b.cancelled_by == staff_a


def _series(room, by, day, weeks=4, **kw):
    return services.booking_series_create(
        room=room, by=by, weekdays=[day.weekday()], start_date=day, end_date=day + dt.timedelta(weeks=weeks - 1),
        start_time=kw.get("start_time", dt.time(15)), end_time=kw.get("end_time", dt.time(17)), purpose="合唱排练")


def test_series_skips_conflicts_and_closed_days_with_reasons(room_a, resident_a, staff_a, day):
    _book(room_a, staff_a, at(day + dt.timedelta(weeks=1), 16), at(day + dt.timedelta(weeks=1), 18))
    OpeningException.objects.create(site=room_a.site, date=day + dt.timedelta(weeks=2), note="国庆节")
    series = _series(room_a, resident_a, day)
    assert series.bookings.count() == 2
    skipped = {s["date"]: s["reason"] for s in series.skipped}
    assert set(skipped) == {(day + dt.timedelta(weeks=1)).isoformat(), (day + dt.timedelta(weeks=2)).isoformat()}
    assert "16:00" in skipped[(day + dt.timedelta(weeks=1)).isoformat()]
    assert "国庆节" in skipped[(day + dt.timedelta(weeks=2)).isoformat()]


def test_series_cancel_cancels_every_future_occurrence(room_a, resident_a, day):
    series = _series(room_a, resident_a, day)
    assert services.booking_series_cancel(series=series, by=resident_a) == 4
    assert set(series.bookings.values_list("status", flat=True)) == {Booking.Status.CANCELLED}
    assert set(series.bookings.values_list("cancelled_by", flat=True)) == {resident_a.pk}


def test_a_series_with_no_bookable_date_is_refused_and_nothing_is_saved(room_a, resident_a, day):
    with pytest.raises(ValidationError) as e:
        _series(room_a, resident_a, day, start_time=dt.time(21), end_time=dt.time(22))
    assert "start_date" in e.value.message_dict
    assert not room_a.series.exists() and not Booking.objects.exists()
