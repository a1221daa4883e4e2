import datetime as dt

import numpy as np
import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from linli.accounts.models import Role
from linli.core import stats
from linli.core.testing import RoomFactory
from linli.coverage import selectors, services
from linli.coverage.models import CoverageRun
from linli.places.models import OpeningException, OpeningHours, Room

from .conftest import center, household

pytestmark = pytest.mark.django_db


def _minutes(run):
    a = run.household_arrays()
    return dict(zip(a["household_id"].tolist(), a["minutes"].astype(float).tolist(), strict=True))


def test_run_gives_each_household_its_walk_along_the_streets(network, county):
    center(county["A"], 0, 0)
    near = household(county["A1"], 500, 0)  # 500 m along the first street: 7.5 min at 4 km/h
    far = household(county["A1"], 1400, 1400)  # 2,800 m around the blocks: 42 min
    run = services.coverage_run(network=network, division=county["county"])
    assert run.status == CoverageRun.Status.FINISHED, run.error
    minutes = _minutes(run)
    assert minutes[near.pk] == pytest.approx(7.5, rel=2e-3)
    assert minutes[far.pk] == pytest.approx(42.0, rel=2e-3)
    overall = run.figures["overall"]
    assert overall["households_within"] == {"5": 0, "10": 1, "15": 1}
    assert overall["households_share"]["15"] == 0.5
    assert run.isochrones["features"][0]["properties"]["minutes"] == 5


def test_function_filter_measures_only_sites_with_that_room(network, county):
    center(county["A"], 0, 0)  # a neighborhood center without a canteen
    canteen_site = center(county["B"], 1000, 1000, is_neighborhood_center=False)
    RoomFactory(site=canteen_site, function=Room.Function.CANTEEN)
    h = household(county["B1"], 1000, 900)
    run = services.coverage_run(network=network, division=county["county"], function="canteen")
    assert [c["id"] for c in run.centers] == [canteen_site.pk]
    assert _minutes(run)[h.pk] == pytest.approx(1.5, rel=2e-3)
    plain = services.coverage_run(network=network, division=county["county"])
    assert _minutes(plain)[h.pk] > 15


def test_time_filter_keeps_only_sites_open_then(network, county):
    morning = center(county["A"], 0, 0)
    evening = center(county["B"], 1500, 1500)
    for d in range(7):
        OpeningHours.objects.create(site=morning, weekday=d, opens=dt.time(8), closes=dt.time(12))
        OpeningHours.objects.create(site=evening, weekday=d, opens=dt.time(14), closes=dt.time(21))
    household(county["A1"], 100, 0)
    run = services.coverage_run(network=network, division=county["county"], at="weekday 16:30")
    assert [c["id"] for c in run.centers] == [evening.pk]
    assert services.coverage_run(network=network, division=county["county"], at="周六 9:00").centers[0]["id"] == morning.pk
    # a holiday closes the evening site on that date
    holiday = dt.date(2027, 1, 1)
    OpeningException.objects.create(site=evening, date=holiday, closed=True)
    failed = services.coverage_run(network=network, division=county["county"], at="2027-01-01 16:30")
    assert failed.status == CoverageRun.Status.FAILED and "没有符合条件的站点" in failed.error


def test_households_are_aggregated_per_grid_community_and_county(network, county):
    center(county["A"], 0, 0)
    household(county["A1"], 100, 0, members=2)
    household(county["A1"], 1400, 1400, members=3)
    household(county["A2"], 0, 300, members=1)
    household(county["B"], 200, 0, members=4)  # registered at the community, not a grid
    run = services.coverage_run(network=network, division=county["county"])
    grids = {g["name"]: g for g in run.figures["grids"]}
    communities = {c["name"]: c for c in run.figures["communities"]}
    assert grids["网格A1"]["households"] == 2 and grids["网格A1"]["households_within"]["15"] == 1
    assert grids["网格A2"]["residents"] == 1
    assert communities["社区A"]["households"] == 3 and communities["社区A"]["residents"] == 6
    assert communities["社区A"]["residents_within"]["15"] == 3
    assert communities["社区B"]["households"] == 1 and "网格B1" not in grids
    assert run.figures["overall"]["households"] == 4 and run.figures["overall"]["residents"] == 10


def test_residents_are_the_current_members_only(network, county):
    center(county["A"], 0, 0)
    household(county["A1"], 100, 0, members=2, ended=3)
    run = services.coverage_run(network=network, division=county["county"])
    assert run.figures["overall"]["residents"] == 2


def test_households_on_an_island_are_unreachable_not_a_crash(network, county):
    center(county["A"], 0, 0)
    island = household(county["A1"], 3100, 510)
    household(county["A1"], 100, 0)
    run = services.coverage_run(network=network, division=county["county"])
    assert run.status == CoverageRun.Status.FINISHED
    assert np.isinf(_minutes(run)[island.pk])
    assert run.figures["overall"]["unreachable_households"] == 1
    assert run.figures["overall"]["households_share"]["15"] == 0.5  # still in the denominator
    assert run.figures["network_components"] == 2


def test_households_without_a_location_are_counted_apart(network, county):
    center(county["A"], 0, 0)
    household(county["A1"], 100, 0)
    from linli.core.testing import HouseholdFactory

    HouseholdFactory(division=county["A1"], lat=None, lng=None)
    run = services.coverage_run(network=network, division=county["county"])
    assert run.figures["overall"]["households"] == 1 and run.figures["households_unlocated"] == 1


def test_a_center_off_the_network_is_left_out_and_reported(network, county):
    center(county["A"], 0, 0)
    center(county["B"], 20_000, 0)  # 20 km east of the streets
    household(county["A1"], 100, 0)
    run = services.coverage_run(network=network, division=county["county"])
    assert run.figures["centers_used"] == 1 and run.figures["centers_off_network"] == 1
    assert [c["on_network"] for c in run.centers] == [True, False]


def test_only_centers_off_the_network_fail_the_run_with_a_clear_error(network, county):
    center(county["A"], 20_000, 0)
    run = services.coverage_run(network=network, division=county["county"])
    assert run.status == CoverageRun.Status.FAILED and "不在路网 500 米范围内" in run.error


@pytest.mark.parametrize("kwargs, field", [
    ({"thresholds": [0]}, "thresholds"), ({"thresholds": [-5, 15]}, "thresholds"),
    ({"function": "sauna"}, "function"), ({"at": "someday"}, "at"), ({"at": "weekday 25:00"}, "at"),
    ({"speed_kmh": 0}, "speed_kmh"),
])
def test_bad_parameters_are_rejected_before_anything_runs(network, county, kwargs, field):
    with pytest.raises(ValidationError) as err:
        services.coverage_run(network=network, division=county["county"], **kwargs)
    assert field in err.value.message_dict
    assert not CoverageRun.objects.exists()


def test_only_staff_over_the_division_start_runs(network, county, make_user):
    with pytest.raises(PermissionDenied):
        services.coverage_run(network=network, division=county["A"], by=make_user(Role.Kind.GRID_WORKER, county["A"]))
    with pytest.raises(PermissionDenied):
        services.coverage_run(network=network, division=county["A"], by=make_user(Role.Kind.COMMUNITY_STAFF, county["B"]))
    center(county["A"], 0, 0)
    run = services.coverage_run(network=network, division=county["A"], by=make_user(Role.Kind.COMMUNITY_STAFF, county["A"]))
    assert run.status == CoverageRun.Status.FINISHED


def test_not_a_street_network_is_a_clear_error(county, tmp_path):
    bad = tmp_path / "notes.osm"
    bad.write_text("this is not OSM", encoding="utf-8")
    with pytest.raises(ValidationError, match="不是可用的步行路网"):
        services.network_import(path=bad, division=county["county"])


def test_network_file_is_checked_before_use(network):
    network.path.write_bytes(b"tampered")
    services._CACHE.clear()
    with pytest.raises(ValidationError, match="被改动过"):
        services.network_load(network)


def test_siting_puts_a_new_center_by_the_uncovered_households(network, county):
    center(county["A"], 0, 0)
    for e in (1300, 1400, 1500):
        household(county["B1"], e, 1400, members=2)
    household(county["A1"], 100, 0)
    run = services.coverage_run(network=network, division=county["county"])
    run = services.coverage_site(run=run, k=1, candidates="nodes")
    assert run.siting_status == CoverageRun.Status.FINISHED, run.siting_error
    s = run.siting
    assert s["newly_covered_residents"] == 6 and s["status"] == "optimal" and s["gap"] == 0
    assert s["chosen"][0]["lat"] > 25.79 + 700 / 110_574  # in the far corner


def test_siting_asks_for_no_more_centers_than_candidates(network, county):
    center(county["A"], 0, 0)
    center(county["B"], 700, 700, is_neighborhood_center=False)
    household(county["A1"], 100, 0)
    run = services.coverage_run(network=network, division=county["county"])
    with pytest.raises(ValidationError) as err:
        services.coverage_site(run=run, k=2, candidates="sites")
    assert "k" in err.value.message_dict
    with pytest.raises(ValidationError):
        services.coverage_site(run=run, k=0, candidates="sites")


def test_siting_from_a_file_of_candidates(network, county, tmp_path):
    center(county["A"], 0, 0)
    household(county["B1"], 1400, 1400, members=3)
    from .conftest import at_m

    lat, lng = at_m(1400, 1300)
    path = tmp_path / "candidates.csv"
    path.write_text(f"name,lat,lng\n东南角,{lat},{lng}\n西北角,25.79,114.54\n", encoding="utf-8")
    run = services.coverage_run(network=network, division=county["county"])
    run = services.coverage_site(run=run, k=1, candidates=str(path))
    assert run.siting["chosen"][0]["label"] == "东南角" and run.siting["newly_covered_residents"] == 3


def test_stats_section_is_empty_without_a_run_and_filled_after(network, county):
    empty = stats.figures()["coverage"]
    assert empty == {"households_within_5min_share": None, "households_within_10min_share": None,
                     "households_within_15min_share": None, "residents_within_15min_share": None,
                     "by_community": {}, "computed_at": None}
    center(county["A"], 0, 0)
    household(county["A1"], 100, 0, members=3)
    household(county["B1"], 1400, 1400, members=1)
    services.coverage_run(network=network, division=county["county"])
    # a later community run and a filtered run do not replace the county's headline
    services.coverage_run(network=network, division=county["A"])
    data = stats.figures()["coverage"]
    assert list(data) == list(empty)
    assert data["households_within_15min_share"] == 0.5 and data["residents_within_15min_share"] == 0.75
    assert data["by_community"] == {"社区A": 1.0, "社区B": 0.0}
    assert dt.datetime.fromisoformat(data["computed_at"])


def test_stats_section_for_a_user_shows_runs_in_scope_only(network, county, make_user):
    center(county["A"], 0, 0)
    household(county["A1"], 100, 0)
    services.coverage_run(network=network, division=county["A"])
    assert selectors.figures(make_user(Role.Kind.RESIDENT, county["A1"]))["households_within_15min_share"] is None
    assert selectors.figures(make_user(Role.Kind.VOLUNTEER, county["A"]))["households_within_15min_share"] == 1.0
