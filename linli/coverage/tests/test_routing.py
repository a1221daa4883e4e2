import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from linli.coverage.engine import (
    DEFAULT_SPEED_KMH,
    Network,
    nearest_centers,
    points_at_nodes,
    snap_points,
    walking_times,
)

from .helpers import floyd_warshall, grid_network, point_reference, to_lonlat, weighted_network


def test_default_walking_speed_gives_1000_m_in_15_minutes():
    assert DEFAULT_SPEED_KMH * 1000 / 60 * 15 == pytest.approx(1000.0)


@st.composite
def small_graphs(draw):
    n = draw(st.integers(min_value=2, max_value=12))
    m = draw(st.integers(min_value=1, max_value=30))
    u = draw(st.lists(st.integers(0, n - 1), min_size=m, max_size=m))
    v = draw(st.lists(st.integers(0, n - 1), min_size=m, max_size=m))
    w = draw(st.lists(st.integers(0, 50), min_size=m, max_size=m))  # integer metres, zero included
    k = draw(st.integers(min_value=1, max_value=min(n, 4)))
    sources = draw(st.lists(st.integers(0, n - 1), min_size=k, max_size=k, unique=True))
    return n, u, v, w, sources


@given(small_graphs())
@settings(max_examples=150, deadline=None)
def test_multi_source_pass_equals_min_over_single_sources_exactly(graph):
    n, u, v, w, sources = graph
    assume(set(sources) <= set(u) | set(v))  # a center must stand on a street
    net = weighted_network(n=n, u=u, v=v, w=w)
    result = nearest_centers(network=net, centers=points_at_nodes(network=net, nodes=sources))
    ref = floyd_warshall(n, u, v, w)[sources]
    assert np.array_equal(result.node_distance_m, ref.min(axis=0))  # integer weights: exactly equal
    reached = np.isfinite(result.node_distance_m)
    assert np.all(result.node_source[~reached] == -1)
    # the labelled center is one at the minimum distance
    labelled = ref[result.node_source[reached], np.flatnonzero(reached)]
    assert np.array_equal(labelled, result.node_distance_m[reached])


def test_grid_times_match_brute_force_to_1e_9():
    net = grid_network(nx=7, ny=6, spacing_m=87.5)
    sources = [0, 20, 41]
    result = nearest_centers(network=net, centers=points_at_nodes(network=net, nodes=sources))
    ref = floyd_warshall(net.n_nodes, net.edge_u, net.edge_v, net.edge_length_m)[sources]
    assert np.allclose(result.node_distance_m, ref.min(axis=0), rtol=1e-9, atol=0)
    # the labelled center is a nearest one (ties may pick either)
    assert np.allclose(ref[result.node_source, np.arange(net.n_nodes)], ref.min(axis=0), rtol=1e-12)


def test_nearest_center_labels_on_a_line():
    # five nodes 100 m apart on a line, centers at both ends
    lon, lat = to_lonlat(np.arange(5) * 100.0, np.zeros(5))
    net = Network.from_edges(lon=lon, lat=lat, edge_u=np.arange(4), edge_v=np.arange(1, 5))
    result = nearest_centers(network=net, centers=points_at_nodes(network=net, nodes=[0, 4]))
    assert result.node_source[:2].tolist() == [0, 0]
    assert result.node_source[3:].tolist() == [1, 1]


def test_households_get_the_walk_on_the_expanded_graph():
    rng = np.random.default_rng(11)
    net = grid_network(nx=5, ny=5, spacing_m=100)
    hx, hy = rng.uniform(-30, 430, 40), rng.uniform(-30, 430, 40)
    cx, cy = np.array([50.0, 310.0, 205.0]), np.array([3.0, 390.0, 199.0])
    houses = snap_points(network=net, lon=to_lonlat(hx, hy)[0], lat=to_lonlat(hx, hy)[1])
    centers = snap_points(network=net, lon=to_lonlat(cx, cy)[0], lat=to_lonlat(cx, cy)[1])
    times = walking_times(network=net, centers=centers, points=houses)
    ref = point_reference(net, centers, houses)
    assert np.allclose(times.distance_m, ref, rtol=1e-9)
    assert np.allclose(times.minutes, ref / (4000 / 60), rtol=1e-9)


def test_household_on_the_same_street_as_the_center_walks_straight_along_it():
    lon, lat = to_lonlat([0.0, 1000.0], [0.0, 0.0])
    net = Network.from_edges(lon=lon, lat=lat, edge_u=np.array([0]), edge_v=np.array([1]))
    centers = snap_points(network=net, lon=to_lonlat(400, 0)[0], lat=to_lonlat(400, 0)[1])
    houses = snap_points(network=net, lon=to_lonlat(600, 10)[0], lat=to_lonlat(600, 10)[1])
    times = walking_times(network=net, centers=centers, points=houses)
    assert times.distance_m[0] == pytest.approx(200 + 10, rel=2e-3)  # not 400 + 400 via an end node


def test_islands_are_unreachable_not_a_crash():
    lon, lat = to_lonlat([0, 100, 5000, 5100], [0, 0, 0, 0])
    net = Network.from_edges(lon=lon, lat=lat, edge_u=np.array([0, 2]), edge_v=np.array([1, 3]))
    houses = snap_points(network=net, lon=to_lonlat([50, 5050], [5, 5])[0], lat=to_lonlat([50, 5050], [5, 5])[1])
    times = walking_times(network=net, centers=points_at_nodes(network=net, nodes=[0]), points=houses)
    assert np.isfinite(times.minutes[0]) and np.isinf(times.minutes[1])
    assert times.source.tolist() == [0, -1]


def test_limit_cuts_the_search_and_marks_the_rest_unreachable():
    net = grid_network(nx=10, ny=1, spacing_m=100)
    result = nearest_centers(network=net, centers=points_at_nodes(network=net, nodes=[0]), limit_min=5)
    # 5 min at 4 km/h = 333 m: nodes 0..3 are in, the rest are inf
    assert np.isfinite(result.node_distance_m[:4]).all() and np.isinf(result.node_distance_m[4:]).all()


@pytest.mark.parametrize("kwargs", [{"speed_kmh": 0}, {"speed_kmh": -4}, {"limit_min": 0}, {"limit_min": -1}])
def test_bad_speed_or_threshold_is_a_clear_error(kwargs):
    net = grid_network(nx=3, ny=3)
    with pytest.raises(ValueError):
        nearest_centers(network=net, centers=points_at_nodes(network=net, nodes=[0]), **kwargs)


def test_center_too_far_from_the_network_is_a_clear_error():
    net = grid_network(nx=3, ny=3)
    far = snap_points(network=net, lon=to_lonlat(50_000, 0)[0], lat=to_lonlat(50_000, 0)[1], max_distance_m=500)
    with pytest.raises(ValueError, match="farther"):
        nearest_centers(network=net, centers=far)


def test_compiled_pass_equals_scipy_min_only_on_a_city_sized_grid():
    """The compiled kernel against SciPy's dijkstra(min_only) from virtual centers (the previous engine)."""
    from scipy.sparse.csgraph import dijkstra

    from linli.coverage.engine.routing import augmented_graph

    net = grid_network(nx=60, ny=50, spacing_m=83.3)
    rng = np.random.default_rng(11)
    lon, lat = to_lonlat(rng.uniform(0, 59 * 83.3, 40), rng.uniform(0, 49 * 83.3, 40))
    centers = snap_points(network=net, lon=lon, lat=lat)
    result = nearest_centers(network=net, centers=centers)
    graph = augmented_graph(network=net, sources=centers)
    n = net.n_nodes
    dist, _, src = dijkstra(graph, directed=True, indices=np.arange(n, n + 40), min_only=True, return_predecessors=True)
    assert np.allclose(result.node_distance_m, dist[:n], rtol=1e-12, atol=0)
    # where no two centers tie, both name the same center
    per_center = dijkstra(graph, directed=True, indices=np.arange(n, n + 40))[:, :n]
    sorted_d = np.sort(per_center, axis=0)
    untied = sorted_d[1] - sorted_d[0] > 1e-6
    assert np.array_equal(result.node_source[untied], (src[:n] - n)[untied])


def test_snapping_beside_the_pass_gives_the_same_times_as_one_after_the_other(monkeypatch):
    from linli.coverage.engine import household_walking_times
    from linli.coverage.engine import snap as snap_module

    monkeypatch.setattr(snap_module, "_CHUNK_POINTS", 500)  # several chunks, taken by both threads
    net = grid_network(nx=40, ny=40, spacing_m=75)
    rng = np.random.default_rng(8)
    lon, lat = to_lonlat(rng.uniform(-50, 3000, 6_000), rng.uniform(-50, 3000, 6_000))
    centers = snap_points(network=net, lon=lon[:7], lat=lat[:7])
    houses, times = household_walking_times(network=net, centers=centers, lon=lon, lat=lat, max_distance_m=30)
    ref_houses = snap_points(network=net, lon=lon, lat=lat, max_distance_m=30)
    ref = walking_times(network=net, centers=centers, points=ref_houses)
    assert np.array_equal(houses.edge, ref_houses.edge) and np.array_equal(houses.offset_m, ref_houses.offset_m)
    assert np.array_equal(times.distance_m, ref.distance_m) and np.array_equal(times.source, ref.source)
    assert (~houses.valid).any()  # some lie beyond 30 m of a street: unreachable, not an error


def test_a_failing_snapping_chunk_raises_instead_of_hanging(monkeypatch):
    from linli.coverage.engine import _kernels, household_walking_times
    from linli.coverage.engine import snap as snap_module

    net = grid_network(nx=10, ny=10, spacing_m=75)
    centers = points_at_nodes(network=net, nodes=[0, 55])
    snap_module.snap_points(network=net, lon=[0.0], lat=[0.0])  # build the index before the kernel breaks
    monkeypatch.setattr(snap_module, "_CHUNK_POINTS", 100)

    def broken(*args):
        raise MemoryError("simulated")

    monkeypatch.setattr(_kernels, "snap_search", broken)
    lon, lat = to_lonlat(np.linspace(0, 600, 1_000), np.linspace(0, 600, 1_000))
    with pytest.raises(MemoryError):
        household_walking_times(network=net, centers=centers, lon=lon, lat=lat)


def test_bad_household_coordinates_beside_the_pass_are_a_clear_error_not_a_hang():
    from linli.coverage.engine import household_walking_times

    net = grid_network(nx=5, ny=5)
    centers = points_at_nodes(network=net, nodes=[0])
    with pytest.raises(ValueError, match="finite"):
        household_walking_times(network=net, centers=centers, lon=[114.5, np.nan], lat=[25.8, 25.8])
