"""The API: an authorisation matrix per role, idempotent POSTs (201 then 200), and 4xx JSON errors."""

import datetime as dt
import uuid

import pytest
from django.utils import timezone

from linli.grids import services
from linli.grids.models import Campaign, Reach, Visit


@pytest.fixture
def campaign(county, users):
    return services.campaign_create(by=users["county_admin"], title="t", content="c", division=county["county"],
                                    starts_on=timezone.localdate(), deadline=timezone.localdate() + dt.timedelta(days=3),
                                    methods=[Campaign.Method.VISIT])


# (role, what the A1 household POST to /api/visits/ returns)
VISIT_MATRIX = [("county_admin", 201), ("community_staff", 201), ("grid_worker", 201), ("site_manager", 400),
                ("volunteer", 400), ("resident", 403), ("no_role", 400)]


@pytest.mark.parametrize("role,expected", VISIT_MATRIX)
def test_visit_authorisation_matrix(api, users, homes, role, expected):
    r = api(users[role]).post("/api/visits/", {"household": homes["A1"][0].pk}, format="json")
    assert r.status_code == expected, r.json()
    assert Visit.objects.count() == (1 if expected == 201 else 0)


@pytest.mark.parametrize("role,expected", [("county_admin", 201), ("community_staff", 400), ("grid_worker", 400)])
def test_recording_in_community_b(api, users, homes, role, expected):
    r = api(users[role]).post("/api/visits/", {"household": homes["B1"][0].pk}, format="json")
    assert r.status_code == expected


@pytest.mark.parametrize("role,visible", [("county_admin", 3), ("community_staff", 2), ("grid_worker", 1),
                                          ("site_manager", 0), ("volunteer", 0), ("no_role", 0)])
def test_visit_lists_are_scoped(api, users, homes, role, visible):
    for g in ("A1", "A2", "B1"):
        services.visit_record(by=users["county_admin"], household=homes[g][0])
    assert api(users[role]).get("/api/visits/").json()["count"] == visible


def test_anonymous_gets_401(api, db):
    for url in ("/api/visits/", "/api/reaches/", "/api/campaigns/", "/api/grids/", "/api/grid-assignments/"):
        assert api().get(url).status_code == 401


def test_offline_sync_posts_the_same_reach_twice_and_gets_one(api, users, homes, campaign):
    body = {"campaign": campaign.pk, "household": homes["A1"][0].pk, "method": "visit",
            "submission_key": str(uuid.uuid4()), "reached_at": timezone.now().isoformat()}
    client = api(users["grid_worker"])
    first, second = client.post("/api/reaches/", body, format="json"), client.post("/api/reaches/", body, format="json")
    assert (first.status_code, second.status_code) == (201, 200) and first.json()["id"] == second.json()["id"]
    third = client.post("/api/reaches/", {**body, "submission_key": str(uuid.uuid4())}, format="json")
    assert third.status_code == 400 and "already reached" in third.json()["household"][0]
    assert Reach.objects.count() == 1


def test_campaign_report_lists_unreached_households(api, users, homes, campaign):
    data = api(users["county_admin"]).get(f"/api/campaigns/{campaign.pk}/report/").json()
    assert data["total"] == 3 and data["reached"] == 0 and sum(g["unreached"] for g in data["grids"]) == 3
    listed = api(users["county_admin"]).get(f"/api/campaigns/{campaign.pk}/unreached/").json()
    assert listed["count"] == 3
    assert sorted(h["id"] for h in listed["results"]) == sorted(h.pk for h, _ in homes.values())
    one_grid = homes["A1"][0].division_id
    only = api(users["county_admin"]).get(f"/api/campaigns/{campaign.pk}/unreached/?grid={one_grid}").json()
    assert [h["id"] for h in only["results"]] == [homes["A1"][0].pk]
    assert api(users["grid_worker"]).get(f"/api/campaigns/{campaign.pk}/unreached/").json()["count"] == 1
    assert api(users["grid_worker"]).get(f"/api/campaigns/{campaign.pk}/report/").json()["total"] == 1


@pytest.mark.parametrize("role,expected", [("county_admin", 201), ("community_staff", 201), ("grid_worker", 400),
                                           ("volunteer", 400)])
def test_campaign_creation_matrix(api, users, county, role, expected):
    r = api(users[role]).post("/api/campaigns/", {"title": "t", "content": "c", "division": county["A"].pk,
                                                  "starts_on": "2030-01-01", "deadline": "2030-01-02",
                                                  "methods": ["visit"]}, format="json")
    assert r.status_code == expected


@pytest.mark.parametrize("role,expected", [("community_staff", 200), ("grid_worker", 403), ("county_admin", 200)])
def test_boundary_put_matrix(api, users, county, role, expected):
    square = {"type": "Polygon", "coordinates": [[[114.5, 25.8], [114.51, 25.8], [114.51, 25.81], [114.5, 25.8]]]}
    r = api(users[role]).put(f"/api/grids/{county['A1'].pk}/boundary/", {"boundary": square}, format="json")
    assert r.status_code == expected


def test_boundary_errors_are_400_json(api, users, county):
    r = api(users["community_staff"]).put(f"/api/grids/{county['A1'].pk}/boundary/",
                                          {"boundary": {"type": "Point", "coordinates": [1, 2]}}, format="json")
    assert r.status_code == 400 and "boundary" in r.json()


def test_assignment_via_api_then_end(api, users, county, make_user):
    worker = make_user()
    client = api(users["community_staff"])
    r = client.post("/api/grid-assignments/", {"grid": county["A2"].pk, "user": worker.pk}, format="json")
    assert r.status_code == 201
    r = client.patch(f"/api/grid-assignments/{r.json()['id']}/", {"end_date": timezone.localdate().isoformat()},
                     format="json")
    assert r.status_code == 200 and r.json()["end_date"]
    assert api(users["grid_worker"]).post("/api/grid-assignments/", {"grid": county["A1"].pk, "user": worker.pk},
                                          format="json").status_code == 400
