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


def _radii(lat):
    from linli.coverage.engine._kernels import metres_per_degree

    east, north = np.vectorize(metres_per_degree)(np.asarray(lat, dtype=float))
    return east, north


def _brute_force_local(net, lon, lat):
    """Per point: the distance to every segment in the point's own east/north metres, minimum over all."""
    seg = net.segments()
    east, north = _radii(lat)
    x0 = (seg["lon0"][None, :] - lon[:, None]) * east[:, None]
    y0 = (seg["lat0"][None, :] - lat[:, None]) * north[:, None]
    x1 = (seg["lon1"][None, :] - lon[:, None]) * east[:, None]
    y1 = (seg["lat1"][None, :] - lat[:, None]) * north[:, None]
    dx, dy = x1 - x0, y1 - y0
    t = np.clip(-(x0 * dx + y0 * dy) / (dx * dx + dy * dy), 0, 1)
    return np.hypot(x0 + t * dx, y0 + t * dy).min(axis=1)


def _local_distance(lon, lat, snapped):
    """The snapped point's distance in the point's own east/north metres (the search's measure)."""
    east, north = _radii(lat)
    return np.hypot((snapped.lon - lon) * east, (snapped.lat - lat) * north)


@pytest.mark.parametrize("cell_m", [None, 7.0, 40.0, 600.0])
def test_grid_search_finds_the_nearest_street_exactly_as_brute_force(cell_m):
    rng = np.random.default_rng(5)
    net = grid_network(nx=9, ny=7, spacing_m=260)  # long edges: each crosses many small cells
    x, y = rng.uniform(-900, 3000, 500), rng.uniform(-900, 2500, 500)  # some well outside the grid
    lon, lat = to_lonlat(x, y)
    snapped = snap_points(network=net, lon=lon, lat=lat, cell_m=cell_m)
    assert np.allclose(_local_distance(lon, lat, snapped), _brute_force_local(net, lon, lat), rtol=1e-9, atol=1e-9)
    # the offset is a distance on the ellipsoid: the full geodesic agrees to well under a millimetre
    geodesic = geod_distance_m(lon1=lon, lat1=lat, lon2=snapped.lon, lat2=snapped.lat)
    assert np.allclose(snapped.offset_m, geodesic, rtol=1e-6, atol=1e-6)
    # and the nearest street is the nearest in the network's azimuthal equidistant plane too (to 1e-4)
    proj = net.projection()
    px, py = proj.forward(lon=lon, lat=lat)
    seg = net.segments()
    x0, y0 = proj.forward(lon=seg["lon0"], lat=seg["lat0"])
    x1, y1 = proj.forward(lon=seg["lon1"], lat=seg["lat1"])
    dx, dy = x1 - x0, y1 - y0
    t = np.clip(((px[:, None] - x0) * dx + (py[:, None] - y0) * dy) / (dx * dx + dy * dy), 0, 1)
    planar = np.hypot(x0 + t * dx - px[:, None], y0 + t * dy - py[:, None]).min(axis=1)
    assert np.allclose(snapped.offset_m, planar, rtol=1e-4, atol=1e-3)


def test_a_point_far_from_every_street_is_snapped_to_the_true_nearest():
    net = grid_network(nx=3, ny=3)
    lon, lat = to_lonlat([-20_000.0, 5_000.0], [100.0, 30_000.0])
    snapped = snap_points(network=net, lon=lon, lat=lat)
    assert snapped.valid.all()
    assert np.allclose(_local_distance(lon, lat, snapped), _brute_force_local(net, lon, lat), rtol=1e-9)
    assert np.allclose(snapped.offset_m, geod_distance_m(lon1=lon, lat1=lat, lon2=snapped.lon, lat2=snapped.lat))


def test_far_points_are_marked_unsnapped_with_max_distance():
    net = grid_network(nx=3, ny=3)
    lon, lat = to_lonlat([100, 3000], [100, 3000])
    snapped = snap_points(network=net, lon=lon, lat=lat, max_distance_m=200)
    assert snapped.valid.tolist() == [True, False]


def test_non_finite_coordinates_are_rejected():
    net = grid_network(nx=3, ny=3)
    with pytest.raises(ValueError):
        snap_points(network=net, lon=[np.nan], lat=[28.2])


@pytest.mark.parametrize("lon, lat", [(114.3, 125.8), (214.3, 25.8)])
def test_coordinates_outside_wgs84_are_rejected(lon, lat):
    with pytest.raises(ValueError, match="WGS-84"):
        snap_points(network=grid_network(nx=3, ny=3), lon=[lon], lat=[lat])


def test_splitting_a_large_batch_over_threads_changes_nothing(monkeypatch):
    from linli.coverage.engine import snap as snap_module

    net = grid_network(nx=30, ny=30, spacing_m=90)
    rng = np.random.default_rng(3)
    lon, lat = to_lonlat(rng.uniform(-100, 2700, 9_000), rng.uniform(-100, 2700, 9_000))
    monkeypatch.setattr(snap_module, "_POINTS_PER_THREAD", 10**9)
    one = snap_points(network=net, lon=lon, lat=lat)
    monkeypatch.setattr(snap_module, "_POINTS_PER_THREAD", 1_000)
    monkeypatch.setattr(snap_module, "cpu_cores", lambda: 4)
    split = snap_points(network=net, lon=lon, lat=lat)
    for name in one.__dataclass_fields__:
        assert np.array_equal(getattr(one, name), getattr(split, name)), name


def test_points_at_null_island_get_their_true_nearest_street():
    """(0, 0) is a common placeholder for a missing location, thousands of kilometres from the county:
    the search starts at the grid's nearest ring (not at the point's own empty cell) and stays exact."""
    net = grid_network(nx=60, ny=60, spacing_m=50)
    snapped = snap_points(network=net, lon=np.zeros(200), lat=np.zeros(200))
    assert np.allclose(_local_distance(np.zeros(1), np.zeros(1), snapped.subset([0])),
                       _brute_force_local(net, np.zeros(1), np.zeros(1)), rtol=1e-9)
    assert np.all(snapped.edge == snapped.edge[0])
    assert np.all(snapped.offset_m > 10_000_000)  # measured by the full geodesic, not the tangent plane
