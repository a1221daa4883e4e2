"""The demo county matches the seed, and its figures are computed from the records."""

import json
from decimal import Decimal

import pytest
from django.db.models import Sum

from linli.cli import main
from linli.demo import generator
from linli.places.models import Room, Site


@pytest.fixture
def demo(db):
    return generator.build(households_per_grid=4)


def test_demo_matches_the_seed(demo):
    centers = Site.objects.filter(is_neighborhood_center=True)
    assert centers.count() == 13
    assert centers.filter(placement=Site.Placement.RESIDENTIAL_COMPOUND).count() == 7
    assert centers.filter(placement=Site.Placement.PARTY_MASS_CENTER).count() == 6
    area = centers.aggregate(a=Sum("floor_area_m2"))["a"]
    assert Decimal(5000) < area < Decimal(5500)


def test_each_community_has_one_station_in_a_center_and_points_under_it(demo):
    stations = Site.objects.filter(practice_role=Site.PracticeRole.STATION)
    assert stations.count() == 11
    assert all(s.is_neighborhood_center for s in stations)
    for point in Site.objects.filter(practice_role=Site.PracticeRole.POINT):
        assert point.station.division_id == point.division_id


def test_all_ten_functions_are_present(demo):
    present = set(Room.objects.values_list("function", flat=True))
    assert present == set(Room.Function.values) - {Room.Function.CUSTOM}


def test_stats_json_has_the_published_keys_and_counts(demo, capsys):
    main(["stats", "--json"])
    data = json.loads(capsys.readouterr().out)
    assert list(data)[:10] == ["communities", "grids", "neighborhood_centers", "stations", "points",
                               "floor_area_m2", "sites_by_placement", "rooms_by_function", "households", "persons"]
    assert data["communities"] == 11 and data["neighborhood_centers"] == 13
    assert data["sites_by_placement"]["residential_compound"] == 7
    assert data["rooms_by_function"]["classroom"] == Room.objects.filter(function="classroom").count()


def test_stats_follow_the_records(demo, capsys):
    Site.objects.filter(name="南门邻里中心").update(is_neighborhood_center=False)
    main(["stats", "--json"])
    assert json.loads(capsys.readouterr().out)["neighborhood_centers"] == 12


def test_demo_refuses_to_run_twice(demo):
    with pytest.raises(RuntimeError):
        generator.build()
