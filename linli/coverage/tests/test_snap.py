import numpy as np
import pytest

from linli.coverage.engine import geod_distance_m, snap_points

from .helpers import grid_network, to_lonlat


def test_point_beside_a_street_snaps_perpendicular_onto_it():
    net = grid_network(nx=3, ny=3, spacing_m=100)
    lon, lat = to_lonlat([125.0], [40.0])  # 25 m east of the street x = 100, 40 m up it
    snapped = snap_points(network=net, lon=lon, lat=lat)
    assert snapped.offset_m[0] == pytest.approx(25.0, rel=1e-2)
    assert sorted([snapped.to_u_m[0], snapped.to_v_m[0]]) == pytest.approx([40.0, 60.0], rel=1e-2)
    assert snapped.to_u_m[0] + snapped.to_v_m[0] == pytest.approx(net.edge_length_m[snapped.edge[0]], rel=1e-12)
    back = geod_distance_m(lon1=lon, lat1=lat, lon2=snapped.lon, lat2=snapped.lat)
    assert back[0] == pytest.approx(snapped.offset_m[0])


def test_kd_tree_search_finds_the_same_edge_distance_as_brute_force():
    rng = np.random.default_rng(5)
    net = grid_network(nx=9, ny=7, spacing_m=260)  # long edges: many samples per edge
    x, y = rng.uniform(-300, 2400, 500), rng.uniform(-300, 1900, 500)
    lon, lat = to_lonlat(x, y)
    snapped = snap_points(network=net, lon=lon, lat=lat, spacing_m=40)
    # brute force: planar distance to every segment in the same projection
    proj = net.projection()
    px, py = proj.forward(lon=lon, lat=lat)
    seg = net.segments()
    x0, y0 = proj.forward(lon=seg["lon0"], lat=seg["lat0"])
    x1, y1 = proj.forward(lon=seg["lon1"], lat=seg["lat1"])
    dx, dy = x1 - x0, y1 - y0
    t = np.clip(((px[:, None] - x0) * dx + (py[:, None] - y0) * dy) / (dx * dx + dy * dy), 0, 1)
    brute = np.hypot(x0 + t * dx - px[:, None], y0 + t * dy - py[:, None]).min(axis=1)
    sx, sy = proj.forward(lon=snapped.lon, lat=snapped.lat)
    assert np.allclose(np.hypot(sx - px, sy - py), brute, atol=1e-6)


def test_far_points_are_marked_unsnapped_with_max_distance():
    net = grid_network(nx=3, ny=3)
    lon, lat = to_lonlat([100, 3000], [100, 3000])
    snapped = snap_points(network=net, lon=lon, lat=lat, max_distance_m=200)
    assert snapped.valid.tolist() == [True, False]


def test_non_finite_coordinates_are_rejected():
    net = grid_network(nx=3, ny=3)
    with pytest.raises(ValueError):
        snap_points(network=net, lon=[np.nan], lat=[28.2])
