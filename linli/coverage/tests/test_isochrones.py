import numpy as np
import pytest
from shapely.geometry import Point, shape

from linli.coverage.engine import isochrones, points_at_nodes

from .helpers import grid_network, to_lonlat


def _contains(feature, x, y):
    lon, lat = to_lonlat(x, y)
    return shape(feature["geometry"]).contains(Point(float(lon), float(lat)))


def test_isochrone_contains_reachable_streets_and_excludes_the_rest():
    # 15 x 15 grid, 100 m blocks, center at the corner (0, 0); 5 min = 333 m of walking
    net = grid_network(nx=15, ny=15, spacing_m=100)
    fc = isochrones(network=net, centers=points_at_nodes(network=net, nodes=[0]), buffer_m=30)
    five, ten, fifteen = fc["features"]
    assert [f["properties"]["minutes"] for f in fc["features"]] == [5.0, 10.0, 15.0]
    assert _contains(five, 300, 0) and _contains(five, 200, 100) and _contains(five, 0, 320)
    assert _contains(five, 150, 20)  # beside a reachable street, within the buffer
    assert not _contains(five, 380, 0)  # 380 m > 333 m + 30 m buffer
    assert not _contains(five, 200, 200)  # a 400 m walk
    assert not _contains(five, 150, 150)  # middle of a block, 50 m from any street > buffer
    assert _contains(fifteen, 500, 480) and not _contains(fifteen, 600, 600)
    areas = [f["properties"]["area_m2"] for f in fc["features"]]
    assert areas == sorted(areas) and areas[0] > 0


def test_partially_reachable_edge_is_cut_at_the_remaining_distance():
    net = grid_network(nx=2, ny=1, spacing_m=1000)  # one 1 km street
    fc = isochrones(network=net, centers=points_at_nodes(network=net, nodes=[0]), thresholds=[6], buffer_m=10)
    poly = shape(fc["features"][0]["geometry"])  # 6 min = 400 m
    assert poly.contains(Point(*map(float, to_lonlat(380, 0))))
    assert not poly.contains(Point(*map(float, to_lonlat(420, 0))))


def test_per_center_isochrones():
    net = grid_network(nx=10, ny=2, spacing_m=100)
    fc = isochrones(network=net, centers=points_at_nodes(network=net, nodes=[0, 18]), thresholds=[3], per_center=True)
    assert [f["properties"]["center"] for f in fc["features"]] == [0, 1]
    first = fc["features"][0]
    assert _contains(first, 50, 0) and not _contains(first, 850, 0)


def test_buffer_must_be_positive():
    net = grid_network(nx=2, ny=2)
    with pytest.raises(ValueError):
        isochrones(network=net, centers=points_at_nodes(network=net, nodes=[0]), buffer_m=0)


def test_nothing_reachable_gives_a_null_geometry():
    net = grid_network(nx=3, ny=1, spacing_m=100)
    from linli.coverage.engine import snap_points

    lon, lat = to_lonlat([100], [500])  # 500 m off the street: more than 5 minutes just to reach it
    fc = isochrones(network=net, centers=snap_points(network=net, lon=lon, lat=lat), thresholds=[5])
    assert fc["features"][0]["geometry"] is None
    assert np.isclose(fc["features"][0]["properties"]["area_m2"], 0.0)
