import datetime as dt

import pytest
from django.urls import reverse

from linli.core.testing import RoomFactory, SiteFactory, UserFactory, open_all_week
from linli.places import services
from linli.places.models import Booking, Site
from linli.places.tests.conftest import at

pytestmark = pytest.mark.django_db
ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture
def booking_b(room_b, make_user, county, day):
    return services.booking_request(room=room_b, by=make_user("resident", county["B"]), start=at(day, 10),
                                    end=at(day, 11), purpose="排练")


@pytest.mark.parametrize("name,arg", [("places:site_edit", "site_b"),
                                      ("places:site_hours", "site_b"), ("places:room_detail", "room_b"),
                                      ("places:room_edit", "room_b"), ("places:series_create", "room_b"),
                                      ("places:booking_detail", "booking_b")])
def test_objects_out_of_scope_are_404(client, staff_a, request, name, arg):
    obj = request.getfixturevalue(arg)
    client.force_login(staff_a)
    assert client.get(reverse(name, args=[obj.pk])).status_code == 404


def test_another_communitys_site_is_public_information_to_read(client, staff_a, site_b):
    client.force_login(staff_a)
    response = client.get(reverse("places:site_detail", args=[site_b.pk]))
    assert response.status_code == 200 and reverse("places:site_edit", args=[site_b.pk]) not in response.content.decode()


def test_out_of_scope_booking_actions_are_404(client, staff_a, booking_b):
    client.force_login(staff_a)
    for name in ("places:booking_confirm", "places:booking_reject", "places:booking_cancel"):
        assert client.post(reverse(name, args=[booking_b.pk])).status_code == 404
    booking_b.refresh_from_db()
    assert booking_b.status == Booking.Status.CONFIRMED


def test_pages_need_login(client, site_a):
    response = client.get(reverse("places:site_detail", args=[site_a.pk]))
    assert response.status_code == 302 and "/accounts/" in response["Location"]


def test_residents_see_but_cannot_edit_a_site(client, resident_a, site_a):
    client.force_login(resident_a)
    assert client.get(reverse("places:site_detail", args=[site_a.pk])).status_code == 200
    assert client.get(reverse("places:site_edit", args=[site_a.pk])).status_code == 403
    assert client.get(reverse("places:site_create")).status_code == 403


def test_site_list_searches_and_its_queries_stay_bounded(client, staff_a, county, django_assert_max_num_queries):
    for i in range(40):
        site = SiteFactory(division=county["A"], name=f"邻里中心{i:02d}")
        RoomFactory(site=site)
    client.force_login(staff_a)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("places:site_list"), **ZH)
    assert response.status_code == 200 and "邻里中心00" in response.content.decode()
    response = client.get(reverse("places:site_list"), {"q": "中心07"})
    assert "邻里中心07" in response.content.decode() and "邻里中心08" not in response.content.decode()


def test_site_create_converts_gcj02_and_limits_communities(client, staff_a, county):
    client.force_login(staff_a)
    form = client.get(reverse("places:site_create")).context["form"]
    assert list(form.fields["division"].queryset) == [county["A"]]
    response = client.post(reverse("places:site_create"), {
        "name": "新城邻里中心", "division": county["A"].pk, "practice_role": "station", "placement": "residential_compound",
        "address": "新城路8号", "lat": "25.7957", "lng": "114.5432", "coords_gcj02": "on", "floor_area_m2": "420"})
    assert response.status_code == 302
    site = Site.objects.get(name="新城邻里中心")
    assert site.lat != 25.7957 and site.practice_role == "station"


def test_site_form_shows_translated_station_error_and_keeps_input(client, staff_a, county):
    SiteFactory(division=county["A"], name="老站", practice_role="station")
    client.force_login(staff_a)
    data = {"name": "第二个站", "division": county["A"].pk, "practice_role": "station", "placement": "other",
            "address": "人民路2号"}
    response = client.post(reverse("places:site_create"), data, **ZH)
    html = response.content.decode()
    assert response.status_code == 200
    assert "已有文明实践站" in html and 'value="第二个站"' in html
    response = client.post(reverse("places:site_create"), data, **EN)
    assert "already has a station" in response.content.decode()


def test_site_form_refuses_coordinates_outside_china_in_chinese(client, staff_a, county):
    client.force_login(staff_a)
    response = client.post(reverse("places:site_create"), {
        "name": "错坐标", "division": county["A"].pk, "practice_role": "none", "placement": "other",
        "address": "x", "lat": "114.54", "lng": "25.79"}, **ZH)
    assert 'class="field has-error" data-field="lat"' in response.content.decode()
    assert not Site.objects.filter(name="错坐标").exists()


def test_booking_form_shows_the_overlap_error_in_chinese(client, room_a, resident_a, staff_a, day):
    services.booking_request(room=room_a, by=staff_a, start=at(day, 10), end=at(day, 11), purpose="党课")
    client.force_login(resident_a)
    response = client.post(reverse("places:room_detail", args=[room_a.pk]), {
        "date": day.isoformat(), "start_time": "10:30", "end_time": "11:30", "purpose": "象棋比赛"}, **ZH)
    html = response.content.decode()
    assert response.status_code == 200
    assert "该功能室在" in html and "10:00至11:00已被预订" in html
    assert 'value="象棋比赛"' in html
    assert Booking.objects.count() == 1


def test_booking_form_books_and_redirects(client, room_a, resident_a, day):
    client.force_login(resident_a)
    response = client.post(reverse("places:room_detail", args=[room_a.pk]), {
        "date": day.isoformat(), "start_time": "10:00", "end_time": "11:00", "purpose": "象棋比赛"})
    booking = Booking.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("places:booking_detail", args=[booking.pk])


def test_week_calendar_positions_bookings_and_shades_closed_hours(client, room_a, resident_a, staff_a, day,
                                                                   django_assert_max_num_queries):
    for h in range(9, 20, 2):
        services.booking_request(room=room_a, by=staff_a, start=at(day, h), end=at(day, h + 1), purpose=f"活动{h}")
    mine = services.booking_request(room=room_a, by=resident_a, start=at(day + dt.timedelta(days=1), 10),
                                    end=at(day + dt.timedelta(days=1), 11, 30), purpose="我的书法课")
    client.force_login(resident_a)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("places:room_detail", args=[room_a.pk]), {"week": day.isoformat()}, **ZH)
    html = response.content.decode()
    assert html.count('class="ev confirmed"') == 7
    assert "我的书法课" in html and "活动9" not in html  # others' purposes stay private to residents
    assert "top:120px;height:60px" in html  # 10:00 is 3 rows below 7:00; 90 minutes is 1.5 rows
    assert html.count("slot closed") == 14  # 07:00–08:00 and 21:00–22:00 each day
    assert reverse("places:booking_detail", args=[mine.pk]) in html
    client.force_login(staff_a)
    assert "活动9" in client.get(reverse("places:room_detail", args=[room_a.pk]), {"week": day.isoformat()}).content.decode()


def test_a_manager_approves_a_pending_booking(client, room_a, resident_a, staff_a, day):
    room_a.requires_approval = True
    room_a.save()
    b = services.booking_request(room=room_a, by=resident_a, start=at(day, 10), end=at(day, 11), purpose="讲座")
    client.force_login(resident_a)
    assert client.post(reverse("places:booking_confirm", args=[b.pk])).status_code == 403
    client.force_login(staff_a)
    assert client.get(reverse("places:booking_detail", args=[b.pk])).status_code == 200
    client.post(reverse("places:booking_confirm", args=[b.pk]))
    b.refresh_from_db()
    assert b.status == Booking.Status.CONFIRMED and b.decided_by == staff_a


def test_booking_list_shows_mine_and_managed_filtered_by_status(client, room_a, resident_a, staff_a, day,
                                                               django_assert_max_num_queries):
    for i in range(30):
        d = day + dt.timedelta(days=i)
        services.booking_request(room=room_a, by=resident_a, start=at(d, 10), end=at(d, 11), purpose=f"课{i}")
    client.force_login(staff_a)
    with django_assert_max_num_queries(11):  # +1: the notification bell
        response = client.get(reverse("places:booking_list"), {"status": "confirmed"})
    assert response.content.decode().count("badge-ok") == 30
    assert "badge-ok" not in client.get(reverse("places:booking_list"), {"status": "cancelled"}).content.decode()
    other = UserFactory()
    client.force_login(other)
    assert "课1" not in client.get(reverse("places:booking_list")).content.decode()


def test_series_page_books_and_lists_skipped_dates_then_cancels(client, room_a, resident_a, staff_a, day):
    services.booking_request(room=room_a, by=staff_a, start=at(day + dt.timedelta(weeks=1), 15),
                             end=at(day + dt.timedelta(weeks=1), 16), purpose="占用")
    client.force_login(resident_a)
    response = client.post(reverse("places:series_create", args=[room_a.pk]), {
        "weekdays": [day.weekday()], "start_date": day.isoformat(),
        "end_date": (day + dt.timedelta(weeks=3)).isoformat(), "start_time": "15:00", "end_time": "16:30",
        "purpose": "合唱"}, follow=True, **ZH)
    html = response.content.decode()
    assert "已被预订" in html and response.context["series"].bookings.count() == 3
    series = response.context["series"]
    client.post(reverse("places:series_cancel", args=[series.pk]))
    assert not series.bookings.exclude(status=Booking.Status.CANCELLED).exists()


def test_opening_hours_page_saves_intervals_and_holidays(client, staff_a, county, day):
    site = SiteFactory(division=county["A"])
    open_all_week(site)
    client.force_login(staff_a)
    url = reverse("places:site_hours", args=[site.pk])
    assert client.get(url).status_code == 200
    data = {"hours-TOTAL_FORMS": "3", "hours-INITIAL_FORMS": "0", "save_hours": "1",
            "hours-0-weekday": "0", "hours-0-opens": "08:00", "hours-0-closes": "12:00",
            "hours-1-weekday": "0", "hours-1-opens": "14:00", "hours-1-closes": "18:00",
            "hours-2-weekday": "", "hours-2-opens": "", "hours-2-closes": ""}  # an empty extra row is skipped
    assert client.post(url, data).status_code == 302
    assert site.opening_hours.count() == 2
    data["hours-1-closes"] = "13:00"
    response = client.post(url, data, **ZH)
    assert "关门时间须晚于开门时间" in response.content.decode() and site.opening_hours.count() == 2
    client.post(url, {"add_exception": "1", "date": day.isoformat(), "closed": "on", "note": "春节"})
    assert site.opening_exceptions.get().note == "春节"
