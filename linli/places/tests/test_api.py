"""API: the authorisation matrix (role × object in A / in B), bad input as 4xx JSON, bounded queries."""

import datetime as dt

import pytest
from rest_framework.test import APIClient

from linli.core.testing import RoomFactory, SiteFactory, UserFactory
from linli.places import services
from linli.places.models import Booking, Site
from linli.places.tests.conftest import at

pytestmark = pytest.mark.django_db

ROLES = {  # name: (role kind, division key)
    "county_admin": ("county_admin", "county"),
    "community_staff": ("community_staff", "A"),
    "site_manager": ("site_manager", "A"),
    "grid_worker": ("grid_worker", "A1"),
    "volunteer": ("volunteer", "A"),
    "resident": ("resident", "A"),
    "no_role": (None, None),
    "anonymous": None,
}
DENIED = (401, 403)


@pytest.fixture
def as_role(county, make_user):
    def client_for(role):
        client = APIClient()
        if ROLES[role] is not None:
            kind, key = ROLES[role]
            client.force_authenticate(make_user(kind, county[key] if key else None))
        return client
    return client_for


@pytest.fixture
def objects(site_a, site_b, room_a, room_b, day, make_user, county):
    """A site, room and a (someone else's) booking in A and in B."""
    out = {"A": {"site": site_a, "room": room_a}, "B": {"site": site_b, "room": room_b}}
    for key, room in (("A", room_a), ("B", room_b)):
        out[key]["booking"] = services.booking_request(room=room, by=make_user("resident", county[key]),
                                                       start=at(day, 9), end=at(day, 10), purpose="他人的预订")
    return out


def _ok(expected, status):
    return status in expected if isinstance(expected, tuple) else status == expected


#                              site A, site B, booking A, booking B
GET_MATRIX = {
    "county_admin":    (200, 200, 200, 200),
    "community_staff": (200, 404, 200, 404),
    "site_manager":    (200, 404, 200, 404),
    "grid_worker":     (200, 404, 404, 404),  # sites are public upward: a grid grant sees its community's
    "volunteer":       (200, 404, 404, 404),  # sees the places, not other people's bookings
    "resident":        (200, 404, 404, 404),
    "no_role":         (404, 404, 404, 404),
    "anonymous":       (DENIED, DENIED, DENIED, DENIED),
}


@pytest.mark.parametrize("role", ROLES)
def test_get_detail_matrix(as_role, objects, role):
    client = as_role(role)
    got = (client.get(f"/api/sites/{objects['A']['site'].pk}/").status_code,
           client.get(f"/api/sites/{objects['B']['site'].pk}/").status_code,
           client.get(f"/api/bookings/{objects['A']['booking'].pk}/").status_code,
           client.get(f"/api/bookings/{objects['B']['booking'].pk}/").status_code)
    assert all(_ok(e, g) for e, g in zip(GET_MATRIX[role], got, strict=True)), (role, got)


#                              create site in A, in B; PATCH site A, B; book room A, B
WRITE_MATRIX = {
    "county_admin":    (201, 201, 200, 200, 201, 201),
    "community_staff": (201, 400, 200, 404, 201, 400),
    "site_manager":    (201, 400, 200, 404, 201, 400),
    "grid_worker":     (400, 400, 403, 404, 201, 400),
    "volunteer":       (403, 400, 403, 404, 201, 400),
    "resident":        (403, 400, 403, 404, 201, 400),
    "no_role":         (400, 400, 404, 404, 400, 400),
    "anonymous":       (DENIED,) * 6,
}


@pytest.mark.parametrize("role", ROLES)
def test_write_matrix(as_role, objects, county, day, role):
    client = as_role(role)
    got = []
    for key in ("A", "B"):
        got.append(client.post("/api/sites/", {"name": f"新场所{key}", "division": county[key].pk,
                                                "address": "人民路1号"}, format="json").status_code)
    for key in ("A", "B"):
        got.append(client.patch(f"/api/sites/{objects[key]['site'].pk}/", {"name": "改名"},
                                format="json").status_code)
    for key in ("A", "B"):
        got.append(client.post("/api/bookings/", {"room": objects[key]["room"].pk, "purpose": "读书会",
                                                   "start": at(day, 14).isoformat(), "end": at(day, 15).isoformat()},
                               format="json").status_code)
    assert all(_ok(e, g) for e, g in zip(WRITE_MATRIX[role], got, strict=True)), (role, got)
    # Nothing leaks into B's records from a user who may not write there.
    if role != "county_admin":
        assert Site.objects.get(pk=objects["B"]["site"].pk).name == "西门邻里中心"


@pytest.mark.parametrize("role,expected", [("county_admin", 200), ("community_staff", 200), ("site_manager", 200),
                                           ("grid_worker", 404), ("volunteer", 404), ("resident", 404),
                                           ("no_role", 404), ("anonymous", DENIED)])
def test_confirm_matrix(as_role, room_a, county, make_user, day, role, expected):
    room_a.requires_approval = True
    room_a.save()
    booking = services.booking_request(room=room_a, by=make_user("resident", county["A"]), start=at(day, 9),
                                       end=at(day, 10), purpose="待批")
    status = as_role(role).post(f"/api/bookings/{booking.pk}/confirm/").status_code
    assert _ok(expected, status)
    booking.refresh_from_db()
    assert (booking.status == Booking.Status.CONFIRMED) == (status == 200)


def test_malformed_json_is_a_400_json_error(as_role, room_a):
    response = as_role("resident").post("/api/bookings/", data='{"room": 1, "purpose": ', content_type="application/json")
    assert response.status_code == 400 and response["Content-Type"].startswith("application/json")
    assert "detail" in response.json()


def test_oversize_strings_are_refused(as_role, room_a, day, county):
    client = as_role("community_staff")
    response = client.post("/api/bookings/", {"room": room_a.pk, "purpose": "长" * 201, "start": at(day, 14).isoformat(),
                                              "end": at(day, 15).isoformat()}, format="json")
    assert response.status_code == 400 and "purpose" in response.json()
    response = client.post("/api/sites/", {"name": "名" * 101, "division": county["A"].pk, "address": "x"}, format="json")
    assert response.status_code == 400 and "name" in response.json()


def test_overlapping_booking_is_a_400_with_a_field_message(as_role, room_a, staff_a, day):
    services.booking_request(room=room_a, by=staff_a, start=at(day, 10), end=at(day, 11), purpose="党课")
    response = as_role("resident").post("/api/bookings/", {
        "room": room_a.pk, "purpose": "读书会", "start": at(day, 10, 30).isoformat(),
        "end": at(day, 11, 30).isoformat()}, format="json", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 400
    assert "已被预订" in response.json()["start"][0]


def test_bad_site_input_is_a_400_with_field_messages(as_role, county):
    client = as_role("community_staff")
    outside = client.post("/api/sites/", {"name": "x", "division": county["A"].pk, "address": "x",
                                          "lat": 48.85, "lng": 2.35}, format="json")
    assert outside.status_code == 400 and "lat" in outside.json()
    unknown = client.post("/api/sites/", {"name": "x", "division": 999999, "address": "x"}, format="json")
    assert unknown.status_code == 400 and "division" in unknown.json()
    client.post("/api/sites/", {"name": "站", "division": county["A"].pk, "address": "x", "practice_role": "station"},
                format="json")
    second = client.post("/api/sites/", {"name": "站2", "division": county["A"].pk, "address": "x",
                                         "practice_role": "station"}, format="json")
    assert second.status_code == 400 and "practice_role" in second.json()
    assert not Site.objects.filter(name__in=["x", "站2"]).exists()


def test_gcj02_flag_converts_on_create(as_role, county):
    response = as_role("community_staff").post("/api/sites/", {
        "name": "x", "division": county["A"].pk, "address": "x", "lat": 25.7957, "lng": 114.5432,
        "coords_gcj02": True}, format="json")
    assert response.status_code == 201 and response.json()["lat"] != 25.7957


def test_series_via_api_lists_skipped_dates_and_cancels(as_role, room_a, staff_a, day):
    services.booking_request(room=room_a, by=staff_a, start=at(day, 15), end=at(day, 16), purpose="占用")
    client = as_role("resident")
    response = client.post("/api/booking-series/", {
        "room": room_a.pk, "purpose": "合唱", "weekdays": [day.weekday()], "start_date": day.isoformat(),
        "end_date": (day + dt.timedelta(weeks=2)).isoformat(), "start_time": "15:00", "end_time": "16:00"},
        format="json")
    body = response.json()
    assert response.status_code == 201 and len(body["bookings"]) == 2
    assert body["skipped"][0]["date"] == day.isoformat()
    assert client.post(f"/api/booking-series/{body['id']}/cancel/").status_code == 200
    assert not Booking.objects.filter(series_id=body["id"]).exclude(status="cancelled").exists()


def test_filters(as_role, objects, county):
    client = as_role("county_admin")
    assert client.get("/api/sites/", {"division": county["A"].pk}).json()["count"] == 1
    assert client.get("/api/rooms/", {"site": objects["B"]["site"].pk}).json()["count"] == 1
    assert client.get("/api/bookings/", {"status": "pending"}).json()["count"] == 0
    assert client.get("/api/bookings/", {"status": "nonsense"}).status_code == 400


def test_list_queries_stay_bounded(county, make_user, day, django_assert_max_num_queries):
    admin = make_user("county_admin", county["county"])
    for i in range(30):
        site = SiteFactory(division=county["A"])
        from linli.core.testing import open_all_week

        open_all_week(site)
        room = RoomFactory(site=site)
        services.booking_request(room=room, by=admin, start=at(day, 10), end=at(day, 11), purpose=f"活动{i}")
    client = APIClient()
    client.force_authenticate(admin)
    with django_assert_max_num_queries(6):
        assert client.get("/api/sites/").json()["count"] == 30
    with django_assert_max_num_queries(6):
        assert client.get("/api/bookings/").json()["count"] == 30
    with django_assert_max_num_queries(6):
        assert client.get("/api/rooms/").json()["count"] == 30


def test_no_role_user_sees_empty_lists(county):
    client = APIClient()
    client.force_authenticate(UserFactory())
    assert client.get("/api/sites/").json()["count"] == 0
