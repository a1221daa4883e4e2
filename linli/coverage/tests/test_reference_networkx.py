"""Every walking time equals networkx's multi-source Dijkstra (an independent implementation): exactly
with integer weights, to 1e-9 relative otherwise; on random graphs, a grid, a small OSM file built
here, and the demo county's generated network (households included, on an expanded graph)."""

import math

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from linli.coverage.demo_network import generate_demo_osm
from linli.coverage.engine import load_osm, nearest_centers, points_at_nodes, snap_points, walking_times

from .helpers import grid_network, weighted_network


def nx_graph(net) -> nx.Graph:
    g = nx.Graph()
    g.add_nodes_from(range(net.n_nodes))
    for u, v, w in zip(net.edge_u.tolist(), net.edge_v.tolist(), net.edge_length_m.tolist(), strict=True):
        if u != v and (not g.has_edge(u, v) or g[u][v]["weight"] > w):
            g.add_edge(u, v, weight=w)
    return g


def nx_node_distances(net, sources) -> np.ndarray:
    d = nx.multi_source_dijkstra_path_length(nx_graph(net), set(int(s) for s in sources), weight="weight")
    return np.array([d.get(i, math.inf) for i in range(net.n_nodes)])


def nx_point_distances(net, centers, points) -> np.ndarray:
    """Each center and point splits its street at its position and hangs off it by its straight walk."""
    g = nx.Graph()
    g.add_nodes_from(range(net.n_nodes))
    stops: dict[int, list[tuple[float, object]]] = {}
    for kind, snap in (("c", centers), ("p", points)):
        for i in range(len(snap)):
            if snap.edge[i] < 0:
                continue
            stops.setdefault(int(snap.edge[i]), []).append((float(snap.along_m[i]), (kind, i, "on")))
            g.add_edge((kind, i, "on"), (kind, i), weight=float(snap.offset_m[i]))
    for e, (u, v, length) in enumerate(zip(net.edge_u.tolist(), net.edge_v.tolist(), net.edge_length_m.tolist(),
                                           strict=True)):
        chain = [(0.0, u), *sorted(stops.get(e, []), key=lambda s: s[0]), (length, v)]
        for (a, na), (b, nb) in zip(chain[:-1], chain[1:], strict=True):
            if na != nb and (not g.has_edge(na, nb) or g[na][nb]["weight"] > b - a):
                g.add_edge(na, nb, weight=b - a)
    sources = {("c", i) for i in range(len(centers)) if centers.edge[i] >= 0}
    d = nx.multi_source_dijkstra_path_length(g, sources, weight="weight")
    return np.array([d.get(("p", i), math.inf) for i in range(len(points))])


@st.composite
def integer_graphs(draw):
    n = draw(st.integers(min_value=2, max_value=40))
    m = draw(st.integers(min_value=1, max_value=120))
    u = draw(st.lists(st.integers(0, n - 1), min_size=m, max_size=m))
    v = draw(st.lists(st.integers(0, n - 1), min_size=m, max_size=m))
    w = draw(st.lists(st.integers(0, 1000), min_size=m, max_size=m))
    return n, u, v, w


@given(integer_graphs(), st.data())
@settings(max_examples=120, deadline=None)
def test_integer_weights_equal_networkx_exactly(graph, data):
    n, u, v, w = graph
    net = weighted_network(n=n, u=u, v=v, w=w)
    touched = sorted(set(u) | set(v))
    sources = data.draw(st.lists(st.sampled_from(touched), min_size=1, max_size=5, unique=True))
    result = nearest_centers(network=net, centers=points_at_nodes(network=net, nodes=sources))
    ref = nx_node_distances(net, sources)
    assert np.array_equal(result.node_distance_m, ref)  # integer weights: exactly equal, inf included


def test_grid_with_geodesic_lengths_equals_networkx():
    net = grid_network(nx=30, ny=25, spacing_m=73.3)
    sources = [0, 333, 749, 400]
    result = nearest_centers(network=net, centers=points_at_nodes(network=net, nodes=sources))
    assert np.allclose(result.node_distance_m, nx_node_distances(net, sources), rtol=1e-9, atol=0)


OSM_NODES = {  # an irregular little town: a lane loop, a footway, steps, a motorway, a private lane
    1: (114.5400, 25.7900), 2: (114.5412, 25.7901), 3: (114.5425, 25.7899), 4: (114.5426, 25.7911),
    5: (114.5411, 25.7913), 6: (114.5399, 25.7912), 7: (114.5437, 25.7905), 8: (114.5440, 25.7920),
    9: (114.5405, 25.7925), 10: (114.5390, 25.7890), 11: (114.5450, 25.7890), 12: (114.5418, 25.7930),
    13: (114.5460, 25.7930), 14: (114.5380, 25.7930),
}
OSM_WAYS = [
    ([1, 2, 3], {"highway": "residential"}), ([3, 4, 5, 6, 1], {"highway": "residential"}),
    ([2, 5], {"highway": "footway"}), ([4, 7, 8], {"highway": "steps"}), ([6, 9, 12, 8], {"highway": "living_street"}),
    ([10, 1], {"highway": "path"}), ([10, 11, 13], {"highway": "motorway"}), ([3, 11], {"highway": "service", "access": "private"}),
    ([14, 9], {"highway": "footway", "foot": "no"}),
]


def write_osm(path):
    out = ['<?xml version="1.0" encoding="UTF-8"?>', '<osm version="0.6">']
    out += [f'<node id="{i}" version="1" lat="{lat}" lon="{lon}"/>' for i, (lon, lat) in OSM_NODES.items()]
    for wid, (refs, tags) in enumerate(OSM_WAYS, start=1):
        out.append(f'<way id="{wid}" version="1">' + "".join(f'<nd ref="{r}"/>' for r in refs)
                   + "".join(f'<tag k="{k}" v="{v}"/>' for k, v in tags.items()) + "</way>")
    out.append("</osm>")
    path.write_text("\n".join(out), encoding="utf-8")
    return path


@pytest.mark.parametrize("simplify", [False, True])
def test_osm_file_times_equal_networkx(tmp_path, simplify):
    net = load_osm(write_osm(tmp_path / "town.osm"), simplify=simplify)
    assert 11 not in net.node_ids and 13 not in net.node_ids and 14 not in net.node_ids  # motorway, private, foot=no
    for sources in ([0], [0, net.n_nodes - 1], list(range(0, net.n_nodes, 3))):
        result = nearest_centers(network=net, centers=points_at_nodes(network=net, nodes=sources))
        assert np.allclose(result.node_distance_m, nx_node_distances(net, sources), rtol=1e-9, atol=0)
    rng = np.random.default_rng(5)
    lon, lat = rng.uniform(114.5385, 114.5445, 60), rng.uniform(25.7888, 25.7932, 60)
    houses = snap_points(network=net, lon=lon, lat=lat)
    centers = snap_points(network=net, lon=[114.5401, 114.5430], lat=[25.7903, 25.7915])
    times = walking_times(network=net, centers=centers, points=houses)
    assert np.allclose(times.distance_m, nx_point_distances(net, centers, houses), rtol=1e-9, atol=1e-9)


def test_demo_network_times_equal_networkx(tmp_path):
    info = generate_demo_osm(tmp_path / "demo.osm", lat0=25.7935, lng0=114.5430)
    net = load_osm(info.path, simplify=True)
    rng = np.random.default_rng(3)
    sources = rng.choice(net.n_nodes, 13, replace=False)
    result = nearest_centers(network=net, centers=points_at_nodes(network=net, nodes=sources))
    ref = nx_node_distances(net, sources)
    assert np.array_equal(np.isinf(result.node_distance_m), np.isinf(ref))
    fin = np.isfinite(ref)
    assert np.allclose(result.node_distance_m[fin], ref[fin], rtol=1e-9, atol=0)
    lon = rng.uniform(net.lon.min(), net.lon.max(), 300)
    lat = rng.uniform(net.lat.min(), net.lat.max(), 300)
    houses = snap_points(network=net, lon=lon, lat=lat, max_distance_m=500)
    centers = snap_points(network=net, lon=net.lon[sources] + 1e-4, lat=net.lat[sources])
    times = walking_times(network=net, centers=centers, points=houses)
    expected = nx_point_distances(net, centers, houses)
    expected[~houses.valid] = math.inf
    assert np.array_equal(np.isinf(times.distance_m), np.isinf(expected))
    fin = np.isfinite(expected)
    assert np.allclose(times.distance_m[fin], expected[fin], rtol=1e-9, atol=1e-9)
