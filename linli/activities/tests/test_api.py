"""API: an authorisation matrix (roles × in/out of scope → status), writes through services with 4xx
JSON errors, and bounded query counts on lists."""

import datetime as dt
import re

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from linli.accounts.models import Role
from linli.activities import services
from linli.activities.testing import activity, resident, shift_to
from linli.core.testing import SiteFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(county, make_user):
    staff_a = make_user(Role.Kind.COMMUNITY_STAFF, county["A"])
    site_a = SiteFactory(division=county["A"])
    occ = activity(by=staff_a, site=site_a, capacity=3).occurrences.get()
    return {"occ": occ, "site_a": site_a, "staff_a": staff_a,
            "county_admin": make_user(Role.Kind.COUNTY_ADMIN, county["county"]),
            "staff_b": make_user(Role.Kind.COMMUNITY_STAFF, county["B"]),
            "site_manager_a": make_user(Role.Kind.SITE_MANAGER, county["A"]),
            "resident_a": resident(county["A1"]), "resident_b": resident(county["B1"]),
            "nobody": make_user()}


def api(user):
    c = APIClient()
    if user is not None:
        c.force_authenticate(user)
    return c


# role → (see occurrence, register, open roster of registrations, cancel occurrence)
MATRIX = {
    "county_admin": (200, 400, 200, 200),     # no person record → 400 on register
    "staff_a": (200, 400, 200, 200),
    "site_manager_a": (200, 400, 200, 200),
    "staff_b": (404, 404, 200, 404),          # out of scope: 404; the registrations list is empty
    "resident_a": (200, 201, 200, 403),
    "resident_b": (404, 404, 200, 404),
    "nobody": (404, 404, 200, 404),
    None: (401, 401, 401, 401),               # anonymous: not authenticated (token auth offered)
}


@pytest.mark.parametrize("role", list(MATRIX))
def test_occurrence_authorisation_matrix(world, role):
    occ = world["occ"]
    user = world.get(role) if role else None
    see, reg, roster, cancel = MATRIX[role]
    c = api(user)
    assert c.get(f"/api/occurrences/{occ.pk}/").status_code == see
    assert c.post(f"/api/occurrences/{occ.pk}/register/").status_code == reg
    assert c.get(f"/api/registrations/?occurrence={occ.pk}").status_code == roster
    assert c.post(f"/api/occurrences/{occ.pk}/cancel/", {"reason": "x"}, format="json").status_code == cancel


def test_registrations_list_shows_own_and_organised_only(world):
    occ = world["occ"]
    services.registration_create(occurrence=occ, person=world["resident_a"].person, by=world["resident_a"])
    assert api(world["staff_a"]).get("/api/registrations/").json()["count"] == 1
    assert api(world["resident_a"]).get("/api/registrations/").json()["count"] == 1
    assert api(world["staff_b"]).get("/api/registrations/").json()["count"] == 0
    assert api(world["resident_b"]).get("/api/registrations/").json()["count"] == 0


def test_api_errors_are_translated_json_field_errors(world):
    occ = world["occ"]
    c = api(world["resident_a"])
    c.post(f"/api/occurrences/{occ.pk}/register/")
    r = c.post(f"/api/occurrences/{occ.pk}/register/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert r.status_code == 400 and "person" in r.json()
    r = c.post(f"/api/occurrences/{occ.pk}/check-in/", {"code": "forged"}, format="json")
    assert r.status_code == 400 and "code" in r.json()


def test_create_activity_through_the_api_makes_a_series(world):
    start = (timezone.now() + dt.timedelta(days=2)).replace(microsecond=0)
    r = api(world["staff_a"]).post("/api/activities/", {
        "title": "青年读书会", "site": world["site_a"].pk, "platform": 2, "method": 3, "capacity": 20,
        "recurrence": "biweekly", "start": start.isoformat(), "end": (start + dt.timedelta(hours=2)).isoformat(),
        "until": (start + dt.timedelta(days=30)).date().isoformat(), "organizers": []}, format="json")
    assert r.status_code == 201, r.json()
    assert len(r.json()["upcoming"]) == 3
    assert api(world["staff_a"]).get(r.json()["occurrences_url"]).json()["count"] == 3
    r = api(world["staff_b"]).post("/api/activities/", {
        "title": "x", "site": world["site_a"].pk, "platform": 2, "method": 3, "capacity": 20,
        "start": start.isoformat(), "end": (start + dt.timedelta(hours=2)).isoformat()}, format="json")
    assert r.status_code == 400  # a site out of scope is not a valid choice


def test_qr_check_in_through_the_api(world):
    occ, user = world["occ"], world["resident_a"]
    services.registration_create(occurrence=occ, person=user.person, by=user)
    shift_to(occ, start=timezone.now() - dt.timedelta(minutes=5), end=timezone.now() + dt.timedelta(hours=1))
    r = api(user).post(f"/api/occurrences/{occ.pk}/check-in/", {"code": occ.checkin_token}, format="json")
    assert r.status_code == 200 and r.json()["checked_in_at"]


def test_taxonomy_endpoints_list_the_365_format(world):
    c = api(world["resident_a"])
    assert len(c.get("/api/activity-platforms/").json()) == 6
    assert len(c.get("/api/activity-methods/").json()) == 5
    assert len(c.get("/api/activity-deliveries/").json()) == 6


def test_occurrence_list_query_count_is_bounded(world, django_assert_max_num_queries):
    for i in range(20):
        activity(by=world["staff_a"], site=world["site_a"], title=f"活动{i}")
    c = api(world["staff_a"])
    c.get("/api/occurrences/")
    with django_assert_max_num_queries(8):
        r = c.get("/api/occurrences/")
    assert r.json()["count"] == 21


def test_registration_list_query_count_is_bounded(world, county, django_assert_max_num_queries):
    occ = world["occ"]
    services.occurrence_update(occurrence=occ, by=world["staff_a"], capacity=30)
    for _ in range(20):
        u = resident(county["A1"])
        services.registration_create(occurrence=occ, person=u.person, by=u)
    c = api(world["staff_a"])
    with django_assert_max_num_queries(8):
        r = c.get(f"/api/registrations/?occurrence={occ.pk}")
    assert r.json()["count"] == 20


def test_an_activity_nests_only_its_next_dates_and_links_to_all(world, django_assert_max_num_queries):
    """Two years of weekly dates are not serialised into the activities list (docs/performance.md):
    the next five are, and the activity's occurrences_url pages through them all."""
    start = (timezone.now() + dt.timedelta(days=1)).replace(microsecond=0)
    for i in range(3):
        activity(by=world["staff_a"], site=world["site_a"], title=f"周课{i}", start=start, recurrence="weekly",
                 until=(start + dt.timedelta(weeks=40)).date())
    c = api(world["staff_a"])
    c.get("/api/activities/")
    with django_assert_max_num_queries(8):
        body = c.get("/api/activities/").json()
    weekly = [a for a in body["results"] if a["title"].startswith("周课")]
    assert len(weekly) == 3 and all(len(a["upcoming"]) == 5 for a in weekly)
    dates = c.get(weekly[0]["occurrences_url"] + "&page_size=200").json()
    from linli.activities.models import Occurrence

    assert dates["count"] == Occurrence.objects.filter(activity_id=weekly[0]["id"]).count() > 30
    assert dates["results"][0]["id"] == weekly[0]["upcoming"][0]
    assert [d["id"] for d in dates["results"][:5]] == weekly[0]["upcoming"]


def test_a_communitys_registrations_are_read_by_their_own_division(world, county, make_user):
    """The registrations list is scoped by the registration's own division (decision 0026: an index of
    (division, id) answers a community's page), and that division follows the site when it moves."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from linli.activities.models import Registration

    occ, user = world["occ"], world["resident_a"]
    reg = services.registration_create(occurrence=occ, person=user.person, by=user)
    assert reg.division_id == world["site_a"].division_id == county["A"].pk
    with CaptureQueriesContext(connection) as seen:
        assert api(world["staff_a"]).get("/api/registrations/").json()["count"] == 1
    listing = [q["sql"] for q in seen.captured_queries
               if 'FROM "activities_registration"' in q["sql"] and "LIMIT" in q["sql"]]
    page = [sql for sql in listing if "COUNT(" not in sql.upper()]
    assert page and all('"places_site"."division_id" IN' not in sql for sql in listing)
    # the order the (division, id) index gives (the lean list's values() names the id by its position)
    by_division_then_id = re.compile(r'ORDER BY "activities_registration"\."division_id" ASC, '
                                     r'("activities_registration"\."id"|1) ASC')
    assert all(by_division_then_id.search(sql) for sql in page)
    site = world["site_a"]
    site.division = county["B"]
    site.save()
    assert Registration.objects.get(pk=reg.pk).division_id == county["B"].pk
    assert api(world["staff_b"]).get("/api/registrations/").json()["count"] == 1
    assert api(world["staff_a"]).get("/api/registrations/").json()["count"] == 0
