import pytest

from linli.accounts.models import Role
from linli.core.models import AccessLog
from linli.coverage import services
from linli.coverage.models import CoverageRun

from .conftest import center, household

pytestmark = pytest.mark.django_db
RUNS = "/api/coverage/runs/"


@pytest.fixture
def runs(network, county):
    center(county["A"], 0, 0)
    household(county["A1"], 100, 0, members=2)
    household(county["A2"], 1400, 1400)
    household(county["B1"], 1500, 1500)
    return {"county": services.coverage_run(network=network, division=county["county"]),
            "A": services.coverage_run(network=network, division=county["A"]),
            "B": services.coverage_run(network=network, division=county["B"])}


def ids(response):
    return sorted(r["id"] for r in response.json()["results"])


def test_anonymous_gets_401(api, runs):
    assert api.get(RUNS).status_code == 401
    assert api.get("/api/coverage/networks/").status_code == 401


@pytest.mark.parametrize("kind, where, sees", [
    (Role.Kind.COUNTY_ADMIN, "county", ["county", "A", "B"]),
    (Role.Kind.COMMUNITY_STAFF, "A", ["A"]),
    (Role.Kind.RESIDENT, "A", ["A"]),
    (Role.Kind.COMMUNITY_STAFF, "B", ["B"]),
    (Role.Kind.GRID_WORKER, "A1", []),
])
def test_runs_are_listed_within_the_callers_divisions(api, make_user, county, runs, kind, where, sees):
    api.force_authenticate(make_user(kind, county[where]))
    assert ids(api.get(RUNS)) == sorted(runs[k].pk for k in sees)
    hidden = [r for k, r in runs.items() if k not in sees]
    for run in hidden:
        assert api.get(f"{RUNS}{run.pk}/").status_code == 404
        assert api.get(f"{RUNS}{run.pk}/figures/").status_code == 404


def test_networks_are_scoped(api, make_user, county, network):
    api.force_authenticate(make_user(Role.Kind.COUNTY_ADMIN, county["county"]))
    assert ids(api.get("/api/coverage/networks/")) == [network.pk]
    api.force_authenticate(make_user(Role.Kind.COMMUNITY_STAFF, county["A"]))
    assert ids(api.get("/api/coverage/networks/")) == []
    assert api.post("/api/coverage/networks/", {}).status_code == 405


@pytest.mark.parametrize("kind, where, code", [
    (Role.Kind.COMMUNITY_STAFF, "A", 202), (Role.Kind.COUNTY_ADMIN, "county", 202),
    (Role.Kind.SITE_MANAGER, "A", 403), (Role.Kind.GRID_WORKER, "A", 403), (Role.Kind.RESIDENT, "A", 403),
    (Role.Kind.COMMUNITY_STAFF, "B", 400),  # division A is not theirs to name
])
def test_who_may_start_a_run(api, make_user, county, network, kind, where, code):
    center(county["A"], 0, 0)
    api.force_authenticate(make_user(kind, county[where]))
    response = api.post(RUNS, {"division": county["A"].pk})
    assert response.status_code == code, response.json()
    if code == 202:
        assert response.json()["status"] == "finished"  # run inline in tests
    else:
        assert not CoverageRun.objects.exists()


@pytest.mark.parametrize("body, field", [
    ({"thresholds": [0, 15]}, "thresholds"), ({"thresholds": [-1]}, "thresholds"),
    ({"function": "sauna"}, "function"), ({"at": "never"}, "at"), ({"speed_kmh": -3}, "speed_kmh"),
])
def test_bad_run_input_is_a_400_with_the_field(api, make_user, county, network, body, field):
    api.force_authenticate(make_user(Role.Kind.COUNTY_ADMIN, county["county"]))
    response = api.post(RUNS, {"division": county["county"].pk, **body})
    assert response.status_code == 400 and field in response.json()
    assert not CoverageRun.objects.exists()


def test_results_figures_isochrones_and_scoped_uncovered(api, make_user, county, runs):
    api.force_authenticate(make_user(Role.Kind.COUNTY_ADMIN, county["county"]))
    run = runs["county"]
    figures = api.get(f"{RUNS}{run.pk}/figures/").json()
    assert figures["overall"]["households"] == 3 and {c["name"] for c in figures["communities"]} == {"社区A", "社区B"}
    iso = api.get(f"{RUNS}{run.pk}/isochrones/").json()
    assert iso["type"] == "FeatureCollection" and [f["properties"]["minutes"] for f in iso["features"]] == [5, 10, 15]
    grid_worker = make_user(Role.Kind.GRID_WORKER, county["A2"])
    api.force_authenticate(make_user(Role.Kind.COUNTY_ADMIN, county["county"]))
    assert api.get(f"{RUNS}{run.pk}/uncovered/").json()["count"] == 2
    # a grid worker reads the run of community A (a resident-level grant at A is not needed for grids)
    api.force_authenticate(grid_worker)
    assert api.get(f"{RUNS}{runs['A'].pk}/uncovered/").status_code == 404  # the run of A is out of their scope


def test_uncovered_is_scoped_and_audited(api, make_user, county, runs):
    staff = make_user(Role.Kind.COMMUNITY_STAFF, county["A"])
    api.force_authenticate(staff)
    body = api.get(f"{RUNS}{runs['A'].pk}/uncovered/").json()
    assert body["count"] == 1 and set(body["results"][0]) == {"id", "address", "division", "division_name",
                                                               "minutes", "nearest_center"}
    assert AccessLog.objects.get(user=staff).object_ids == [body["results"][0]["id"]]
    resident = make_user(Role.Kind.RESIDENT, county["A"])
    api.force_authenticate(resident)
    assert api.get(f"{RUNS}{runs['A'].pk}/uncovered/").json()["count"] == 0  # not theirs to see


def test_siting_action(api, make_user, county, runs):
    api.force_authenticate(make_user(Role.Kind.COUNTY_ADMIN, county["county"]))
    url = f"{RUNS}{runs['county'].pk}/siting/"
    response = api.post(url, {"k": 1, "candidates": "nodes"})
    assert response.status_code == 202
    siting = response.json()["siting"]
    assert siting["status"] == "optimal" and siting["gap"] == 0 and len(siting["chosen"]) == 1
    assert api.post(url, {"k": 5, "candidates": "sites"}).status_code == 400  # no candidate sites at all
    assert api.post(url, {"k": 0}).status_code == 400
    api.force_authenticate(make_user(Role.Kind.RESIDENT, county["county"]))
    assert api.post(url, {"k": 1}).status_code == 403
