"""An activity date in a room holds the room: a places booking of its own, made, moved and cancelled with
the date, so no resident booking and no other activity can take the room then (and the other way round)."""

import datetime as dt
from io import StringIO

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from rest_framework.test import APIClient

from linli.accounts.models import Role
from linli.activities import services
from linli.activities.models import Activity, Occurrence
from linli.activities.testing import activity, resident
from linli.core.testing import RoomFactory, SiteFactory, open_all_week
from linli.places import services as places
from linli.places.models import Booking

pytestmark = pytest.mark.django_db
ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=timezone.get_current_timezone())


@pytest.fixture
def saturday() -> dt.date:
    """A Saturday at least a week ahead."""
    today = timezone.localdate()
    return today + dt.timedelta(days=7 + (5 - today.weekday()) % 7)


@pytest.fixture
def staff(county, make_user):
    return make_user(Role.Kind.COMMUNITY_STAFF, county["A"])


@pytest.fixture
def site(county):
    site = SiteFactory(division=county["A"], name="东门邻里中心")
    open_all_week(site)  # 08:00–21:00
    return site


@pytest.fixture
def room(site):
    return RoomFactory(site=site, name="多功能活动室", capacity=40, max_booking_hours=4)


@pytest.fixture
def neighbour(county):
    return resident(county["A1"])


def hold_of(occ) -> Booking:
    return Booking.objects.get(occurrence=occ, status=Booking.Status.CONFIRMED)


def book(room, by, start, end, purpose="居民议事会"):
    return places.booking_request(room=room, by=by, start=start, end=end, purpose=purpose)


def day_text(day: dt.date, lang: str | None = None) -> str:
    """The date as the messages write it (in `lang`, or the active language)."""
    with translation.override(lang or translation.get_language()):
        return date_format(day, "DATE_FORMAT")


# Holding ------------------------------------------------------------------------------------------

def test_an_activity_date_in_a_room_holds_it_with_a_confirmed_booking_linked_to_the_date(staff, room, saturday):
    occ = activity(by=staff, site=room.site, room=room, title="365·理论宣讲", start=at(saturday, 9)).occurrences.get()
    hold = hold_of(occ)
    assert (hold.room, hold.start, hold.end, hold.purpose, hold.booked_by) == (room, occ.start, occ.end,
                                                                               "365·理论宣讲", staff)
    assert hold.is_activity_hold and hold.series is None


def test_an_activity_without_a_room_holds_nothing(staff, site, saturday):
    activity(by=staff, site=site, start=at(saturday, 9))
    assert not Booking.objects.exists()


def test_the_room_calendar_shows_the_activity_to_residents_with_a_link_to_the_date(client, staff, room, saturday,
                                                                                   neighbour, django_assert_max_num_queries):
    occ = activity(by=staff, site=room.site, room=room, title="365·理论宣讲", start=at(saturday, 9)).occurrences.get()
    book(room, staff, at(saturday, 14), at(saturday, 15), purpose="内部会议")
    client.force_login(neighbour)
    url = reverse("places:room_detail", args=[room.pk])
    client.get(url)
    with django_assert_max_num_queries(12):
        html = client.get(url, {"week": saturday.isoformat()}, **ZH).content.decode()
    assert "365·理论宣讲" in html and reverse("activities:occurrence_detail", args=[occ.pk]) in html
    assert 'class="ev confirmed activity"' in html
    assert "内部会议" not in html  # a booking's purpose stays private to residents; activities are public


def test_the_date_page_links_to_the_room_calendar(client, staff, room, saturday, neighbour):
    occ = activity(by=staff, site=room.site, room=room, start=at(saturday, 9)).occurrences.get()
    client.force_login(neighbour)
    html = client.get(reverse("activities:occurrence_detail", args=[occ.pk])).content.decode()
    assert f'{reverse("places:room_detail", args=[room.pk])}?week={saturday.isoformat()}' in html


# Scheduling over a booking is refused ---------------------------------------------------------------

def test_scheduling_an_activity_in_a_booked_room_is_refused_naming_the_booking(staff, room, saturday, neighbour):
    book(room, neighbour, at(saturday, 9), at(saturday, 11))
    with pytest.raises(ValidationError) as e:
        activity(by=staff, site=room.site, room=room, start=at(saturday, 10), hours=2)
    message = e.value.message_dict["room"][0]
    assert "多功能活动室" in message and "居民议事会" in message and "09:00–11:00" in message
    assert day_text(saturday) in message
    assert not Activity.objects.exists() and not Occurrence.objects.exists()


def test_touching_an_activity_date_is_not_an_overlap(staff, room, saturday, neighbour):
    book(room, neighbour, at(saturday, 9), at(saturday, 11))
    activity(by=staff, site=room.site, room=room, start=at(saturday, 11), hours=2)
    book(room, neighbour, at(saturday, 13), at(saturday, 14))
    assert Booking.objects.filter(status=Booking.Status.CONFIRMED).count() == 3


def test_activity_form_shows_the_room_error_in_chinese_and_keeps_the_input(client, staff, room, saturday, neighbour):
    book(room, neighbour, at(saturday, 9), at(saturday, 11))
    client.force_login(staff)
    r = client.post(reverse("activities:activity_create"), {
        "title": "周六理论宣讲", "site": room.site.pk, "room": room.pk, "platform": 1, "method": 1,
        "date": saturday.isoformat(), "start_time": "09:00", "end_time": "11:00", "recurrence": "once",
        "capacity": 30, "signup_closes_minutes": 0}, **ZH)
    html = r.content.decode()
    assert r.status_code == 200
    assert 'class="field has-error" data-field="room"' in html
    assert "多功能活动室在该时间已被占用" in html and "居民议事会" in html and day_text(saturday, "zh-hans") in html
    assert 'value="周六理论宣讲"' in html
    assert not Activity.objects.exists()


def test_api_refuses_an_activity_in_a_booked_room_with_a_400_json(staff, room, saturday, neighbour):
    book(room, neighbour, at(saturday, 9), at(saturday, 11))
    c = APIClient()
    c.force_authenticate(staff)
    r = c.post("/api/activities/", {
        "title": "周六理论宣讲", "site": room.site.pk, "room": room.pk, "platform": 1, "method": 1, "capacity": 30,
        "start": at(saturday, 10).isoformat(), "end": at(saturday, 12).isoformat()}, format="json", **ZH)
    assert r.status_code == 400 and r["Content-Type"].startswith("application/json")
    assert "居民议事会" in r.json()["room"][0]
    assert not Activity.objects.exists()


def test_a_series_with_one_conflicting_date_is_refused_as_a_whole_naming_that_date(staff, room, saturday, neighbour):
    third = saturday + dt.timedelta(weeks=2)
    book(room, neighbour, at(third, 10), at(third, 11), purpose="书法兴趣班")
    with pytest.raises(ValidationError) as e:
        activity(by=staff, site=room.site, room=room, start=at(saturday, 9), hours=2, recurrence="weekly",
                 until=saturday + dt.timedelta(weeks=3))
    message = e.value.message_dict["room"][0]
    assert day_text(third) in message and "书法兴趣班" in message
    assert day_text(saturday) not in message
    assert not Activity.objects.exists() and not Occurrence.objects.exists()
    assert Booking.objects.count() == 1


def test_a_series_lists_every_conflicting_date(staff, room, saturday, neighbour):
    for week in (1, 3):
        day = saturday + dt.timedelta(weeks=week)
        book(room, neighbour, at(day, 10), at(day, 11), purpose=f"排练{week}")
    with pytest.raises(ValidationError) as e, translation.override("en"):
        activity(by=staff, site=room.site, room=room, start=at(saturday, 9), hours=2, recurrence="weekly",
                 until=saturday + dt.timedelta(weeks=3))
    message = e.value.message_dict["room"][0]
    assert message.startswith("多功能活动室 is taken at 2 of these dates")
    assert "排练1" in message and "排练3" in message and "Nothing was saved" in message


def test_another_activity_in_the_same_room_and_time_is_refused_naming_it(staff, room, saturday):
    activity(by=staff, site=room.site, room=room, title="城市夜话", start=at(saturday, 19), hours=2)
    with pytest.raises(ValidationError) as e:
        activity(by=staff, site=room.site, room=room, title="广场舞排练", start=at(saturday, 20), hours=1)
    assert "城市夜话" in e.value.message_dict["room"][0]
    activity(by=staff, site=room.site, room=RoomFactory(site=room.site), title="广场舞排练", start=at(saturday, 20))


def test_an_activity_may_hold_its_room_outside_opening_hours(staff, room, saturday):
    # The site closes at 21:00; organisers run it and may open it for an evening event.
    occ = activity(by=staff, site=room.site, room=room, start=at(saturday, 20, 30), hours=2).occurrences.get()
    assert hold_of(occ).end == at(saturday, 22, 30)


def test_an_activity_may_use_a_room_residents_cannot_book(staff, room, saturday, neighbour):
    room.bookable = False
    room.save()
    occ = activity(by=staff, site=room.site, room=room, start=at(saturday, 9)).occurrences.get()
    assert hold_of(occ).room == room


# Booking over an activity date is refused ------------------------------------------------------------

def test_booking_a_room_over_an_activity_date_is_refused_naming_the_activity(staff, room, saturday, neighbour):
    activity(by=staff, site=room.site, room=room, title="365·理论宣讲", start=at(saturday, 9), hours=2)
    with pytest.raises(ValidationError) as e:
        book(room, neighbour, at(saturday, 10), at(saturday, 12))
    message = e.value.message_dict["start"][0]
    assert "365·理论宣讲" in message and "09:00" in message and "11:00" in message
    assert Booking.objects.count() == 1


def test_booking_form_over_an_activity_date_shows_the_error_in_chinese(client, staff, room, saturday, neighbour):
    activity(by=staff, site=room.site, room=room, title="365·理论宣讲", start=at(saturday, 9), hours=2)
    client.force_login(neighbour)
    r = client.post(reverse("places:room_detail", args=[room.pk]), {
        "date": saturday.isoformat(), "start_time": "10:00", "end_time": "11:00", "purpose": "象棋比赛"}, **ZH)
    html = r.content.decode()
    assert r.status_code == 200 and "已被活动“365·理论宣讲”占用" in html and 'value="象棋比赛"' in html


def test_api_booking_over_an_activity_date_is_a_400_json(staff, room, saturday, neighbour):
    activity(by=staff, site=room.site, room=room, title="365·理论宣讲", start=at(saturday, 9), hours=2)
    c = APIClient()
    c.force_authenticate(neighbour)
    r = c.post("/api/bookings/", {"room": room.pk, "purpose": "象棋", "start": at(saturday, 10).isoformat(),
                                  "end": at(saturday, 11).isoformat()}, format="json")
    assert r.status_code == 400 and "365·理论宣讲" in r.json()["start"][0]


def test_a_pending_request_over_an_activity_date_cannot_be_approved(staff, room, saturday, neighbour):
    room.requires_approval = True
    room.save()
    pending = book(room, neighbour, at(saturday, 9), at(saturday, 10))
    activity(by=staff, site=room.site, room=room, title="365·理论宣讲", start=at(saturday, 9, 30))
    with pytest.raises(ValidationError) as e:
        places.booking_confirm(booking=pending, by=staff)
    assert "365·理论宣讲" in e.value.message_dict["start"][0]


def test_a_weekly_booking_series_skips_the_activity_dates(staff, room, saturday, neighbour):
    activity(by=staff, site=room.site, room=room, title="365·理论宣讲", start=at(saturday, 9), hours=2)
    series = places.booking_series_create(room=room, by=neighbour, weekdays=[5], start_date=saturday,
                                          end_date=saturday + dt.timedelta(weeks=1), start_time=dt.time(10),
                                          end_time=dt.time(11), purpose="象棋")
    assert [s["date"] for s in series.skipped] == [saturday.isoformat()]
    assert series.bookings.count() == 1


def test_a_hold_is_not_cancelled_from_places_but_with_its_date(staff, room, saturday):
    occ = activity(by=staff, site=room.site, room=room, start=at(saturday, 9)).occurrences.get()
    with pytest.raises(ValidationError):
        places.booking_cancel(booking=hold_of(occ), by=staff)
    assert hold_of(occ).status == Booking.Status.CONFIRMED


# Rescheduling and cancelling keep the hold in step ---------------------------------------------------

def test_rescheduling_a_date_moves_its_hold_and_frees_the_old_time(staff, room, saturday, neighbour):
    occ = activity(by=staff, site=room.site, room=room, start=at(saturday, 9), hours=2).occurrences.get()
    hold = hold_of(occ)
    services.occurrence_update(occurrence=occ, by=staff, start=at(saturday, 14), end=at(saturday, 16))
    assert Booking.objects.filter(occurrence=occ).count() == 1
    hold.refresh_from_db()
    assert (hold.start, hold.end, hold.status) == (at(saturday, 14), at(saturday, 16), Booking.Status.CONFIRMED)
    book(room, neighbour, at(saturday, 9), at(saturday, 11))
    with pytest.raises(ValidationError):
        book(room, neighbour, at(saturday, 15), at(saturday, 16))


def test_rescheduling_into_a_taken_time_is_refused_and_nothing_changes(staff, room, saturday, neighbour):
    occ = activity(by=staff, site=room.site, room=room, start=at(saturday, 9), hours=2).occurrences.get()
    book(room, neighbour, at(saturday, 14), at(saturday, 15))
    with pytest.raises(ValidationError) as e:
        services.occurrence_update(occurrence=occ, by=staff, start=at(saturday, 14), end=at(saturday, 16))
    assert "居民议事会" in e.value.message_dict["room"][0]
    occ.refresh_from_db()
    assert occ.start == at(saturday, 9) and not occ.is_modified
    assert hold_of(occ).start == at(saturday, 9)


def test_rescheduling_overlapping_its_own_time_is_not_a_conflict(staff, room, saturday):
    occ = activity(by=staff, site=room.site, room=room, start=at(saturday, 9), hours=2).occurrences.get()
    services.occurrence_update(occurrence=occ, by=staff, start=at(saturday, 10), end=at(saturday, 12))
    assert hold_of(occ).start == at(saturday, 10)


def test_the_date_form_shows_the_room_error_and_keeps_the_input(client, staff, room, saturday, neighbour):
    occ = activity(by=staff, site=room.site, room=room, start=at(saturday, 9), hours=2).occurrences.get()
    book(room, neighbour, at(saturday, 15), at(saturday, 16))
    client.force_login(staff)
    r = client.post(reverse("activities:occurrence_edit", args=[occ.pk]), {
        "date": saturday.isoformat(), "start_time": "15:30", "end_time": "17:00", "room": room.pk, "capacity": 33},
        **ZH)
    html = r.content.decode()
    assert r.status_code == 200 and 'class="field has-error" data-field="room"' in html
    assert 'value="15:30"' in html and 'value="33"' in html


def test_api_rescheduling_into_a_taken_time_is_a_400_json(staff, room, saturday, neighbour):
    occ = activity(by=staff, site=room.site, room=room, start=at(saturday, 9), hours=2).occurrences.get()
    book(room, neighbour, at(saturday, 15), at(saturday, 16))
    c = APIClient()
    c.force_authenticate(staff)
    r = c.post(f"/api/occurrences/{occ.pk}/change/", {"start": at(saturday, 15).isoformat(),
                                                       "end": at(saturday, 17).isoformat()}, format="json")
    assert r.status_code == 400 and "room" in r.json()
    other = RoomFactory(site=room.site, name="书画室")
    r = c.post(f"/api/occurrences/{occ.pk}/change/", {"start": at(saturday, 15).isoformat(),
                                                       "end": at(saturday, 17).isoformat(), "room": other.pk},
               format="json")
    assert r.status_code == 200 and r.json()["room"] == other.pk
    assert hold_of(occ).room == other


def test_moving_a_date_to_another_room_moves_the_hold_and_no_room_frees_it(staff, room, saturday, neighbour):
    occ = activity(by=staff, site=room.site, room=room, start=at(saturday, 9), hours=2).occurrences.get()
    other = RoomFactory(site=room.site, name="书画室")
    services.occurrence_update(occurrence=occ, by=staff, room=other)
    assert hold_of(occ).room == other
    book(room, neighbour, at(saturday, 9), at(saturday, 11))
    services.occurrence_update(occurrence=occ, by=staff, room=None)
    assert not Booking.objects.filter(occurrence=occ, status=Booking.Status.CONFIRMED).exists()
    book(other, neighbour, at(saturday, 9), at(saturday, 11))


def test_cancelling_a_date_frees_its_room(staff, room, saturday, neighbour):
    occ = activity(by=staff, site=room.site, room=room, start=at(saturday, 9), hours=2).occurrences.get()
    hold = hold_of(occ)
    services.occurrence_cancel(occurrence=occ, by=staff, reason="下雨")
    hold.refresh_from_db()
    assert hold.status == Booking.Status.CANCELLED and hold.cancelled_by == staff
    book(room, neighbour, at(saturday, 9), at(saturday, 11))


def test_cancelling_the_series_frees_every_future_date(staff, room, saturday, neighbour):
    act = activity(by=staff, site=room.site, room=room, start=at(saturday, 9), hours=2, recurrence="weekly",
                   until=saturday + dt.timedelta(weeks=2))
    assert services.activity_cancel(activity=act, by=staff) == 3
    assert not Booking.objects.filter(status=Booking.Status.CONFIRMED).exists()
    book(room, neighbour, at(saturday + dt.timedelta(weeks=1), 9), at(saturday + dt.timedelta(weeks=1), 11))


def test_a_new_room_for_the_series_moves_the_holds_of_dates_not_changed_alone(staff, room, saturday):
    act = activity(by=staff, site=room.site, room=room, start=at(saturday, 9), hours=2, recurrence="weekly",
                   until=saturday + dt.timedelta(weeks=2))
    first, second, third = act.occurrences.order_by("start")
    services.occurrence_update(occurrence=second, by=staff, start=at(saturday + dt.timedelta(weeks=1), 14),
                               end=at(saturday + dt.timedelta(weeks=1), 16))
    other = RoomFactory(site=room.site, name="书画室")
    services.activity_update(activity=act, by=staff, data={"room": other})
    assert (hold_of(first).room, hold_of(second).room, hold_of(third).room) == (other, room, other)
    assert Booking.objects.filter(status=Booking.Status.CONFIRMED).count() == 3


def test_a_new_room_for_the_series_taken_at_one_date_is_refused_as_a_whole(staff, room, saturday, neighbour):
    act = activity(by=staff, site=room.site, room=room, start=at(saturday, 9), hours=2, recurrence="weekly",
                   until=saturday + dt.timedelta(weeks=2))
    other = RoomFactory(site=room.site, name="书画室")
    last = saturday + dt.timedelta(weeks=2)
    book(other, neighbour, at(last, 10), at(last, 11), purpose="书法兴趣班")
    with pytest.raises(ValidationError) as e:
        services.activity_update(activity=act, by=staff, data={"room": other})
    assert day_text(last) in e.value.message_dict["room"][0]
    assert set(Booking.objects.filter(occurrence__activity=act).values_list("room", flat=True)) == {room.pk}
    assert set(act.occurrences.values_list("room", flat=True)) == {room.pk}
    act.refresh_from_db()
    assert act.room == room


def test_renaming_the_activity_renames_its_holds(staff, room, saturday):
    act = activity(by=staff, site=room.site, room=room, start=at(saturday, 9), title="旧名")
    services.activity_update(activity=act, by=staff, data={"title": "新名"})
    assert hold_of(act.occurrences.get()).purpose == "新名"


def test_only_organisers_of_the_community_can_hold_its_rooms(county, make_user, room, saturday):
    with pytest.raises(PermissionDenied):
        activity(by=make_user(Role.Kind.COMMUNITY_STAFF, county["B"]), site=room.site, room=room,
                 start=at(saturday, 9))
    assert not Booking.objects.exists()


# Dates saved before dates held rooms -----------------------------------------------------------------

def test_hold_rooms_command_holds_old_dates_and_reports_conflicts_instead_of_failing(staff, room, saturday,
                                                                                      neighbour):
    free = activity(by=staff, site=room.site, start=at(saturday, 9), title="旧活动甲").occurrences.get()
    taken = activity(by=staff, site=room.site, start=at(saturday, 14), title="旧活动乙").occurrences.get()
    Occurrence.objects.filter(pk__in=[free.pk, taken.pk]).update(room=room)  # as before this rule
    book(room, neighbour, at(saturday, 14), at(saturday, 15))

    out = StringIO()
    call_command("activities_hold_rooms", "--dry-run", stdout=out)
    assert "1 activity dates would hold" in out.getvalue() and not Booking.objects.filter(occurrence=free).exists()

    out = StringIO()
    call_command("activities_hold_rooms", stdout=out)
    assert hold_of(free).room == room
    assert not Booking.objects.filter(occurrence=taken).exists()
    assert f"occurrence {taken.pk}" in out.getvalue() and "居民议事会" in out.getvalue()

    out = StringIO()
    call_command("activities_hold_rooms", stdout=out)  # safe to run again
    assert "0 activity dates held" in out.getvalue() and Booking.objects.filter(occurrence=free).count() == 1
