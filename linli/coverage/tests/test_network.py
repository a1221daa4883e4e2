import json

import numpy as np
import osmium
import pytest

from linli.coverage.engine import (
    Network,
    NetworkError,
    gcj02_to_wgs84,
    geod_distance_m,
    is_walkable,
    load_geojson,
    load_network,
    load_osm,
    nearest_centers,
    points_at_nodes,
    simplify_network,
    wgs84_to_gcj02,
)

from .helpers import floyd_warshall, grid_network, to_lonlat

# node id -> (lon, lat); ways exercise every inclusion rule
NODES = {
    1: (112.9000, 28.2000), 2: (112.9010, 28.2000), 3: (112.9020, 28.2000), 4: (112.9020, 28.2010),
    5: (112.9000, 28.2100), 6: (112.9010, 28.1990), 7: (112.9030, 28.2010), 8: (112.9020, 28.2020),
    9: (112.8990, 28.2000), 10: (112.8990, 28.2010), 11: (112.9030, 28.2000), 12: (112.9020, 28.1990),
    13: (112.8980, 28.2000), 14: (112.8980, 28.2010),
}
WAYS = [
    (101, [1, 2, 3], {"highway": "residential", "oneway": "yes"}),
    (102, [3, 4], {"highway": "footway"}),
    (103, [1, 5], {"highway": "motorway"}),
    (104, [2, 6], {"highway": "footway", "foot": "no"}),
    (105, [4, 7], {"highway": "service", "access": "private"}),
    (106, [4, 8], {"highway": "service", "access": "private", "foot": "yes"}),
    (107, [9, 10, 1], {"highway": "pedestrian", "area": "yes"}),
    (108, [3, 11], {"highway": "trunk"}),
    (109, [3, 12], {"highway": "trunk", "foot": "yes"}),
    (110, [13, 14], {"building": "yes"}),
]
KEPT_NODES = [1, 2, 3, 4, 8, 12]


def _osm_xml() -> str:
    parts = ['<?xml version="1.0" encoding="UTF-8"?>', '<osm version="0.6" generator="test">']
    for nid, (lon, lat) in NODES.items():
        parts.append(f'<node id="{nid}" version="1" lat="{lat}" lon="{lon}"/>')
    for wid, refs, tags in WAYS:
        parts.append(f'<way id="{wid}" version="1">')
        parts += [f'<nd ref="{r}"/>' for r in refs]
        parts += [f'<tag k="{k}" v="{v}"/>' for k, v in tags.items()]
        parts.append("</way>")
    parts.append("</osm>")
    return "\n".join(parts)


def _length(a: int, b: int) -> float:
    return float(geod_distance_m(lon1=NODES[a][0], lat1=NODES[a][1], lon2=NODES[b][0], lat2=NODES[b][1])[0])


@pytest.fixture
def osm_file(tmp_path):
    path = tmp_path / "town.osm"
    path.write_text(_osm_xml(), encoding="utf-8")
    return path


def test_osm_keeps_only_ways_a_pedestrian_may_use(osm_file):
    net = load_osm(osm_file)
    assert sorted(net.node_ids.tolist()) == KEPT_NODES
    assert net.n_edges == 5  # 1-2, 2-3, 3-4, 4-8, 3-12


def test_osm_edges_walk_both_ways_with_ellipsoidal_lengths(osm_file):
    net = load_osm(osm_file)
    index = {int(nid): i for i, nid in enumerate(net.node_ids)}
    expected = {(1, 2): _length(1, 2), (2, 3): _length(2, 3), (3, 4): _length(3, 4)}
    for (a, b), metres in expected.items():
        assert net.graph[index[a], index[b]] == pytest.approx(metres, rel=1e-12)
        assert net.graph[index[b], index[a]] == pytest.approx(metres, rel=1e-12)
    assert 95 < _length(1, 2) < 100  # 0.001 deg of longitude at 28.2 N is ~98 m


def test_osm_walking_time_from_a_node_equals_the_hand_computed_sum(osm_file):
    net = load_osm(osm_file)
    index = {int(nid): i for i, nid in enumerate(net.node_ids)}
    result = nearest_centers(network=net, centers=points_at_nodes(network=net, nodes=[index[1]]))
    expected = _length(1, 2) + _length(2, 3) + _length(3, 4) + _length(4, 8)
    assert result.node_distance_m[index[8]] == pytest.approx(expected, rel=1e-9)
    assert result.node_minutes[index[8]] == pytest.approx(expected / (4000 / 60), rel=1e-9)


def test_pbf_reads_the_same_network(osm_file, tmp_path):
    pbf = tmp_path / "town.osm.pbf"
    with osmium.SimpleWriter(str(pbf)) as writer:
        for nid, (lon, lat) in NODES.items():
            writer.add_node(osmium.osm.mutable.Node(id=nid, location=osmium.osm.Location(lon, lat)))
        for wid, refs, tags in WAYS:
            writer.add_way(osmium.osm.mutable.Way(id=wid, nodes=refs, tags=tags))
    a, b = load_osm(osm_file), load_network(pbf)
    assert np.array_equal(a.node_ids, b.node_ids)
    assert np.allclose(a.graph.toarray(), b.graph.toarray(), rtol=1e-6)


def test_a_file_that_is_not_osm_is_a_clear_error(tmp_path):
    bad = tmp_path / "notes.osm"
    bad.write_text("this is not OpenStreetMap", encoding="utf-8")
    with pytest.raises(NetworkError):
        load_osm(bad)


def test_osm_without_walkable_ways_is_a_clear_error(tmp_path):
    path = tmp_path / "motorway.osm"
    path.write_text(
        '<osm version="0.6"><node id="1" lat="28.2" lon="112.9"/><node id="2" lat="28.21" lon="112.9"/>'
        '<way id="1"><nd ref="1"/><nd ref="2"/><tag k="highway" v="motorway"/></way></osm>',
        encoding="utf-8",
    )
    with pytest.raises(NetworkError, match="no walkable"):
        load_osm(path)


@pytest.mark.parametrize(
    ("tags", "walkable"),
    [
        ({"highway": "footway"}, True),
        ({"highway": "steps"}, True),
        ({"highway": "primary_link"}, True),
        ({"highway": "motorway"}, False),
        ({"highway": "motorway_link", "foot": "yes"}, False),
        ({"highway": "trunk"}, False),
        ({"highway": "trunk_link", "foot": "designated"}, True),
        ({"highway": "residential", "foot": "no"}, False),
        ({"highway": "service", "access": "no"}, False),
        ({"highway": "service", "access": "private", "foot": "permissive"}, True),
        ({"highway": "pedestrian", "area": "yes"}, False),
        ({"highway": "construction"}, False),
        ({"building": "yes"}, False),
    ],
)
def test_walkable_rule(tags, walkable):
    assert is_walkable(tags) is walkable


def _feature(coords, **props):
    return {"type": "Feature", "properties": props, "geometry": {"type": "LineString", "coordinates": coords}}


def test_geojson_lines_connect_at_shared_vertices_and_obey_highway_tags(tmp_path):
    a, b, c, d = [112.90, 28.20], [112.901, 28.20], [112.902, 28.20], [112.902, 28.201]
    data = {
        "type": "FeatureCollection",
        "features": [
            _feature([a, b]),
            {"type": "Feature", "properties": {},
             "geometry": {"type": "MultiLineString", "coordinates": [[b, c], [c, d]]}},
            _feature([a, [112.90, 28.21]], highway="motorway"),
        ],
    }
    path = tmp_path / "streets.geojson"
    path.write_text(json.dumps(data), encoding="utf-8")
    net = load_geojson(path)
    assert net.n_nodes == 4 and net.n_edges == 3
    assert net.components()[0] == 1


def test_geojson_in_gcj02_is_converted_to_wgs84(tmp_path):
    wgs_lon, wgs_lat = np.array([112.90, 112.901]), np.array([28.20, 28.20])
    g_lon, g_lat = wgs84_to_gcj02(lon=wgs_lon, lat=wgs_lat)
    path = tmp_path / "amap.geojson"
    path.write_text(json.dumps(_feature([[g_lon[0], g_lat[0]], [g_lon[1], g_lat[1]]])), encoding="utf-8")
    net = load_geojson(path, crs="gcj02")
    order = np.argsort(net.lon)
    offset = geod_distance_m(lon1=net.lon[order], lat1=net.lat[order], lon2=wgs_lon, lat2=wgs_lat)
    assert offset.max() < 0.01


def test_gcj02_round_trip_within_half_a_metre():
    rng = np.random.default_rng(3)
    lon = rng.uniform(74, 134, 2000)
    lat = rng.uniform(4, 53, 2000)
    back_lon, back_lat = gcj02_to_wgs84(**dict(zip(("lon", "lat"), wgs84_to_gcj02(lon=lon, lat=lat), strict=True)))
    assert geod_distance_m(lon1=lon, lat1=lat, lon2=back_lon, lat2=back_lat).max() < 0.5
    shift = geod_distance_m(lon1=lon, lat1=lat, **dict(zip(("lon2", "lat2"), wgs84_to_gcj02(lon=lon, lat=lat), strict=True)))
    assert shift.min() > 1.0  # the offset is real (hundreds of metres), so the round trip is not trivial


def test_gcj02_leaves_points_outside_china_alone():
    lon, lat = wgs84_to_gcj02(lon=[2.35], lat=[48.85])
    assert (lon[0], lat[0]) == (2.35, 48.85)


def test_save_and_load_round_trip(tmp_path, osm_file):
    net = load_osm(osm_file)
    net.save(tmp_path / "net.npz")
    again = load_network(tmp_path / "net.npz")
    for name in ("node_ids", "lon", "lat", "edge_u", "edge_v", "edge_length_m", "geom_ptr", "geom_lon", "geom_lat"):
        assert np.array_equal(getattr(net, name), getattr(again, name)), name
    assert (net.graph != again.graph).nnz == 0


def test_simplify_keeps_walking_times_between_junctions():
    # a grid with every street cut into 4 pieces: the bends must vanish, times must stay
    grid = grid_network(nx=4, ny=4, spacing_m=120)
    lon, lat = grid.lon, grid.lat
    us, vs, lons, lats = [], [], list(lon), list(lat)
    for a, b in zip(grid.edge_u, grid.edge_v, strict=True):
        prev = a
        for t in (0.25, 0.5, 0.75):
            lons.append(lon[a] + t * (lon[b] - lon[a]))
            lats.append(lat[a] + t * (lat[b] - lat[a]))
            us.append(prev)
            vs.append(len(lons) - 1)
            prev = len(lons) - 1
        us.append(prev)
        vs.append(b)
    fine = Network.from_edges(lon=np.array(lons), lat=np.array(lats), edge_u=np.array(us), edge_v=np.array(vs))
    simple = simplify_network(fine)
    junctions = np.flatnonzero(np.bincount(np.concatenate([grid.edge_u, grid.edge_v])) != 2)  # corners are bends
    assert sorted(simple.node_ids.tolist()) == junctions.tolist()
    assert simple.n_edges == grid.n_edges - 4
    full = floyd_warshall(fine.n_nodes, fine.edge_u, fine.edge_v, fine.edge_length_m)[:16, :16]
    kept = simple.node_ids  # original indices of the kept nodes
    reduced = floyd_warshall(simple.n_nodes, simple.edge_u, simple.edge_v, simple.edge_length_m)
    assert np.allclose(reduced, full[np.ix_(kept, kept)], rtol=1e-9)
    assert simple.geom_lon.size > 2 * simple.n_edges  # the bends live on in the geometry


def test_simplify_keeps_a_ring_as_a_self_loop():
    lon, lat = to_lonlat([0, 100, 100, 0], [0, 0, 100, 100])
    ring = Network.from_edges(lon=lon, lat=lat, edge_u=np.array([0, 1, 2, 3]), edge_v=np.array([1, 2, 3, 0]))
    simple = simplify_network(ring)
    assert simple.n_nodes == 1 and simple.n_edges == 1
    assert simple.edge_length_m[0] == pytest.approx(ring.edge_length_m.sum())


def test_disconnected_network_reports_components():
    lon, lat = to_lonlat([0, 100, 1000, 1100], [0, 0, 0, 0])
    net = Network.from_edges(lon=lon, lat=lat, edge_u=np.array([0, 2]), edge_v=np.array([1, 3]))
    count, labels = net.components()
    assert count == 2 and labels[0] == labels[1] != labels[2] == labels[3]
