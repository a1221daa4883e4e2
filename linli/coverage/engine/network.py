"""Pedestrian street networks: read OpenStreetMap or GeoJSON once, keep them as arrays, store as `.npz`.

Rules:
- a way is walkable when its ``highway`` value is in ``WALKABLE_HIGHWAYS``; ``motorway`` (and links) never;
  ``trunk`` (and links) only with an explicit ``foot=yes|designated|permissive``; never with ``foot=no``,
  with ``access=private|no`` unless ``foot`` explicitly allows walking, or with ``area=yes`` (a square's
  outline is not a street);
- every edge can be walked both ways (``oneway`` binds vehicles, not pedestrians);
- edge lengths are geodesic metres on the WGS-84 ellipsoid, summed over the edge's geometry;
- nodes connect only where ways share a node (OSM) or a vertex with identical coordinates (GeoJSON,
  compared after rounding to 1e-7 degrees, ~1 cm); crossing lines without a shared vertex do not connect,
  as in OSM (a bridge over a street).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray
from scipy.sparse.csgraph import connected_components

from .gcj02 import gcj02_to_wgs84
from .geo import LocalProjection, geod_distance_m

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

WALKABLE_HIGHWAYS = frozenset(
    {
        "footway", "path", "pedestrian", "steps", "residential", "service", "living_street", "track",
        "unclassified", "tertiary", "tertiary_link", "secondary", "secondary_link", "primary",
        "primary_link", "cycleway", "road", "corridor", "bridleway",
    }
)
NEVER_WALKABLE_HIGHWAYS = frozenset({"motorway", "motorway_link"})
FOOT_ONLY_HIGHWAYS = frozenset({"trunk", "trunk_link"})
FOOT_ALLOWED = frozenset({"yes", "designated", "permissive"})

FORMAT_VERSION = 1


class NetworkError(ValueError):
    """The input cannot give a usable street network (not OSM, no walkable ways, bad geometry)."""


def is_walkable(tags: Mapping[str, str]) -> bool:
    """Whether a pedestrian may use a way with these OSM tags (see the module docstring for the rule)."""
    highway = tags.get("highway")
    if highway is None or highway in NEVER_WALKABLE_HIGHWAYS:
        return False
    foot = tags.get("foot")
    if foot == "no" or tags.get("area") == "yes":
        return False
    if highway in FOOT_ONLY_HIGHWAYS:
        return foot in FOOT_ALLOWED
    if highway not in WALKABLE_HIGHWAYS:
        return False
    if tags.get("access") in {"private", "no"} and foot not in FOOT_ALLOWED:
        return False
    return True


@dataclass(eq=False)
class Network:
    """A walkable street network as arrays.

    ``edge_u``/``edge_v``/``edge_length_m`` list undirected edges (parallel edges and self-loops are kept,
    so every street can be snapped to); each edge's polyline is ``geom_lon/geom_lat[geom_ptr[e]:geom_ptr[e+1]]``
    running from ``u`` to ``v``. ``graph`` is the symmetric CSR adjacency used for routing, with the
    shortest of any parallel edges and no self-loops.
    """

    node_ids: IntArray
    lon: FloatArray
    lat: FloatArray
    edge_u: IntArray
    edge_v: IntArray
    edge_length_m: FloatArray
    geom_ptr: IntArray
    geom_lon: FloatArray
    geom_lat: FloatArray
    graph: sp.csr_matrix = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.graph = _adjacency(self.n_nodes, self.edge_u, self.edge_v, self.edge_length_m)

    @property
    def n_nodes(self) -> int:
        return int(self.lon.shape[0])

    @property
    def n_edges(self) -> int:
        return int(self.edge_u.shape[0])

    def projection(self) -> LocalProjection:
        """A local metric projection centred on the network's extent."""
        return LocalProjection.around(lon=self.lon, lat=self.lat)

    def components(self) -> tuple[int, IntArray]:
        """Connected components: (count, label per node). Points on other islands are unreachable."""
        count, labels = connected_components(self.graph, directed=False)
        return int(count), labels.astype(np.int64)

    def edge_geometry(self, edge: int) -> tuple[FloatArray, FloatArray]:
        a, b = self.geom_ptr[edge], self.geom_ptr[edge + 1]
        return self.geom_lon[a:b], self.geom_lat[a:b]

    def segments(self) -> dict[str, NDArray[Any]]:
        """Every straight piece of every edge: its edge, end coordinates, start offset along the edge, length."""
        cached = getattr(self, "_segments", None)
        if cached is not None:
            return cached
        counts = np.diff(self.geom_ptr)
        start = np.ones(self.geom_lon.shape[0], dtype=bool)
        start[self.geom_ptr[1:] - 1] = False  # the last vertex of an edge starts no segment
        idx = np.flatnonzero(start)
        seg_edge = np.repeat(np.arange(self.n_edges), counts - 1)
        seg_len = geod_distance_m(
            lon1=self.geom_lon[idx], lat1=self.geom_lat[idx], lon2=self.geom_lon[idx + 1], lat2=self.geom_lat[idx + 1]
        )
        cum = np.cumsum(seg_len)
        edge_first = np.concatenate([[0], np.cumsum(counts - 1)])[:-1]
        before = np.concatenate([[0.0], cum])[edge_first]
        seg_start = cum - seg_len - np.repeat(before, counts - 1)
        result = {
            "edge": seg_edge,
            "lon0": self.geom_lon[idx], "lat0": self.geom_lat[idx],
            "lon1": self.geom_lon[idx + 1], "lat1": self.geom_lat[idx + 1],
            "start_m": seg_start, "length_m": seg_len,
        }
        self._segments = result
        return result

    def save(self, path: str | Path) -> None:
        """Write the network to one uncompressed `.npz` (no pickles) that `Network.load` reads back."""
        np.savez(
            path, format_version=np.array(FORMAT_VERSION), node_ids=self.node_ids, lon=self.lon, lat=self.lat,
            edge_u=self.edge_u, edge_v=self.edge_v, edge_length_m=self.edge_length_m, geom_ptr=self.geom_ptr,
            geom_lon=self.geom_lon, geom_lat=self.geom_lat,
        )

    @classmethod
    def load(cls, path: str | Path) -> Network:
        with np.load(path, allow_pickle=False) as data:
            version = int(data["format_version"])
            if version != FORMAT_VERSION:
                raise NetworkError(f"{path}: network format {version}, expected {FORMAT_VERSION}")
            return cls(**{name: data[name] for name in _ARRAY_FIELDS})

    @classmethod
    def from_polylines(
        cls, *, node_ids: IntArray, lon: FloatArray, lat: FloatArray, lines: Iterable[Iterable[int]]
    ) -> Network:
        """Build from node coordinates and polylines given as node-index sequences; one edge per consecutive pair."""
        pairs_u: list[NDArray[np.int64]] = []
        for line in lines:
            arr = np.fromiter(line, dtype=np.int64)
            if arr.size >= 2:
                pairs_u.append(arr)
        if not pairs_u:
            raise NetworkError("no walkable ways in the input")
        u = np.concatenate([a[:-1] for a in pairs_u])
        v = np.concatenate([a[1:] for a in pairs_u])
        return cls.from_edges(node_ids=node_ids, lon=lon, lat=lat, edge_u=u, edge_v=v)

    @classmethod
    def from_edges(
        cls, *, node_ids: IntArray | None = None, lon: FloatArray, lat: FloatArray, edge_u: IntArray,
        edge_v: IntArray,
    ) -> Network:
        """Build from straight edges between nodes; lengths are geodesic; nodes no edge touches are dropped."""
        lon = np.asarray(lon, dtype=float)
        lat = np.asarray(lat, dtype=float)
        edge_u = np.asarray(edge_u, dtype=np.int64)
        edge_v = np.asarray(edge_v, dtype=np.int64)
        if node_ids is None:
            node_ids = np.arange(lon.shape[0], dtype=np.int64)
        if edge_u.size == 0:
            raise NetworkError("the network has no edges")
        used, inverse = np.unique(np.concatenate([edge_u, edge_v]), return_inverse=True)
        u, v = inverse[: edge_u.size].astype(np.int64), inverse[edge_u.size :].astype(np.int64)
        lon, lat = lon[used], lat[used]
        length = geod_distance_m(lon1=lon[u], lat1=lat[u], lon2=lon[v], lat2=lat[v])
        geom_lon = np.column_stack([lon[u], lon[v]]).ravel()
        geom_lat = np.column_stack([lat[u], lat[v]]).ravel()
        return cls(
            node_ids=np.asarray(node_ids, dtype=np.int64)[used], lon=lon, lat=lat, edge_u=u, edge_v=v,
            edge_length_m=length, geom_ptr=np.arange(0, 2 * u.size + 1, 2, dtype=np.int64),
            geom_lon=geom_lon, geom_lat=geom_lat,
        )


_ARRAY_FIELDS = (
    "node_ids", "lon", "lat", "edge_u", "edge_v", "edge_length_m", "geom_ptr", "geom_lon", "geom_lat",
)


def _adjacency(n: int, u: IntArray, v: IntArray, w: FloatArray) -> sp.csr_matrix:
    """Symmetric CSR with the minimum weight per node pair; zero-length edges stay as explicit entries."""
    rows = np.concatenate([u, v])
    cols = np.concatenate([v, u])
    weights = np.concatenate([w, w])
    keep = rows != cols
    rows, cols, weights = rows[keep], cols[keep], weights[keep]
    order = np.lexsort((weights, cols, rows))
    rows, cols, weights = rows[order], cols[order], weights[order]
    first = np.ones(rows.size, dtype=bool)
    first[1:] = (rows[1:] != rows[:-1]) | (cols[1:] != cols[:-1])
    rows, cols, weights = rows[first], cols[first], weights[first]
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.add.at(indptr, rows + 1, 1)
    np.cumsum(indptr, out=indptr)
    # Built directly (not via coo) so explicit zero weights are kept: scipy's csgraph treats them as edges.
    return sp.csr_matrix((weights, cols.astype(np.int32), indptr.astype(np.int32)), shape=(n, n))


# --------------------------------------------------------------------------- OpenStreetMap


def load_osm(path: str | Path, *, simplify: bool = False) -> Network:
    """Read the walkable ways of an `.osm.pbf`, `.osm` or `.osm.xml` file (see the module rule)."""
    import osmium

    path = Path(path)
    if not path.exists():
        raise NetworkError(f"{path}: no such file")
    refs: list[int] = []
    lons: list[float] = []
    lats: list[float] = []
    lengths: list[int] = []

    class _Ways(osmium.SimpleHandler):  # type: ignore[misc]
        def way(self, w: Any) -> None:
            tags = {t.k: t.v for t in w.tags}
            if not is_walkable(tags):
                return
            run = 0
            for nd in w.nodes:
                loc = nd.location
                if not loc.valid():  # a node missing from the extract splits the way
                    if run:
                        lengths.append(run)
                    run = 0
                    continue
                refs.append(nd.ref)
                lons.append(loc.lon)
                lats.append(loc.lat)
                run += 1
            if run:
                lengths.append(run)

    try:
        _Ways().apply_file(str(path), locations=True)
    except RuntimeError as exc:
        raise NetworkError(f"{path}: not a readable OSM file ({exc})") from exc
    if not refs:
        raise NetworkError(f"{path}: no walkable ways")
    ref_arr = np.asarray(refs, dtype=np.int64)
    node_ids, first, inverse = np.unique(ref_arr, return_index=True, return_inverse=True)
    lon = np.asarray(lons, dtype=float)[first]
    lat = np.asarray(lats, dtype=float)[first]
    bounds = np.cumsum([0, *lengths])
    lines = (inverse[a:b] for a, b in zip(bounds[:-1], bounds[1:], strict=True))
    network = Network.from_polylines(node_ids=node_ids, lon=lon, lat=lat, lines=lines)
    return simplify_network(network) if simplify else network


# --------------------------------------------------------------------------- GeoJSON


def load_geojson(
    path: str | Path, *, crs: Literal["wgs84", "gcj02"] = "wgs84", simplify: bool = False
) -> Network:
    """Read LineString/MultiLineString features; features with a ``highway`` property obey the OSM rule.

    ``crs="gcj02"`` converts coordinates from GCJ-02 (Gaode/Tencent maps) to WGS-84 first.
    """
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"), parse_constant=_no_constant)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise NetworkError(f"{path}: not a readable GeoJSON file ({exc})") from exc
    if crs not in ("wgs84", "gcj02"):
        raise NetworkError(f"unknown crs {crs!r}; use 'wgs84' or 'gcj02'")
    coords: list[list[float]] = []
    lengths: list[int] = []
    for geometry in _geojson_lines(data):
        if not isinstance(geometry, list):
            raise NetworkError(f"{path}: coordinates must be a list of lines")
        for line in geometry:
            if not isinstance(line, list):
                raise NetworkError(f"{path}: a line must be a list of positions, not {_show(line)}")
            if len(line) >= 2:
                coords.extend(_position(c, path) for c in line)
                lengths.append(len(line))
    if not coords:
        raise NetworkError(f"{path}: no LineString or MultiLineString features")
    xy = np.asarray(coords, dtype=float)
    lon, lat = xy[:, 0], xy[:, 1]
    if crs == "gcj02":
        lon, lat = gcj02_to_wgs84(lon=lon, lat=lat)
    key = np.round(np.column_stack([lon, lat]) * 1e7).astype(np.int64)
    _, first, inverse = np.unique(key, axis=0, return_index=True, return_inverse=True)
    inverse = inverse.ravel()
    bounds = np.cumsum([0, *lengths])
    lines = (inverse[a:b] for a, b in zip(bounds[:-1], bounds[1:], strict=True))
    network = Network.from_polylines(
        node_ids=np.arange(first.size, dtype=np.int64), lon=lon[first], lat=lat[first], lines=lines
    )
    return simplify_network(network) if simplify else network


def _no_constant(name: str) -> float:
    raise json.JSONDecodeError(f"{name} is not a number in JSON", name, 0)


def _show(value: Any) -> str:
    return json.dumps(value)[:40]


def _position(c: Any, path: Path) -> list[float]:
    """A GeoJSON position: [longitude, latitude(, altitude)] in degrees, each a finite number in range."""
    if (not isinstance(c, list) or len(c) < 2
            or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in c[:2])):
        raise NetworkError(f"{path}: a position is [longitude, latitude], not {_show(c)}")
    lon, lat = float(c[0]), float(c[1])
    if not (math.isfinite(lon) and math.isfinite(lat) and -180 <= lon <= 180 and -90 <= lat <= 90):
        raise NetworkError(f"{path}: position {_show(c)} is outside longitude -180…180, latitude -90…90")
    return [lon, lat]


def _geojson_lines(data: Any) -> Iterable[list[list[list[float]]]]:
    kind = data.get("type") if isinstance(data, dict) else None
    if kind == "FeatureCollection":
        for feature in data.get("features", []):
            yield from _geojson_lines(feature)
    elif kind == "Feature":
        props = data.get("properties") or {}
        if "highway" in props and not is_walkable({k: str(v) for k, v in props.items() if v is not None}):
            return
        if data.get("geometry"):
            if not isinstance(data["geometry"], dict):
                raise NetworkError(f"a feature's geometry is an object, not {_show(data['geometry'])}")
            yield from _geojson_lines(data["geometry"])
    elif kind == "LineString":
        yield [data.get("coordinates")]
    elif kind == "MultiLineString":
        yield data.get("coordinates")
    elif kind == "GeometryCollection":
        for geometry in data.get("geometries", []):
            yield from _geojson_lines(geometry)
    elif kind is None:
        raise NetworkError("not a GeoJSON object")


def load_network(path: str | Path, *, crs: Literal["wgs84", "gcj02"] = "wgs84", simplify: bool = False) -> Network:
    """Load by file suffix: `.npz` (stored network), `.geojson`/`.json`, otherwise OSM (pbf/xml)."""
    name = str(path).lower()
    if name.endswith(".npz"):
        return Network.load(path)
    if name.endswith((".geojson", ".json")):
        return load_geojson(path, crs=crs, simplify=simplify)
    if crs != "wgs84":
        raise NetworkError("OSM data is always WGS-84; crs applies to GeoJSON only")
    return load_osm(path, simplify=simplify)


# --------------------------------------------------------------------------- simplification


def simplify_network(network: Network) -> Network:
    """Contract nodes of degree 2 (a bend, not a junction) into the edge geometry.

    Lengths are summed from the original pieces, so every walking time between kept nodes is unchanged;
    a ring made only of degree-2 nodes keeps one node and becomes a self-loop (still snappable).
    """
    n, m = network.n_nodes, network.n_edges
    u, v = network.edge_u, network.edge_v
    ends = np.concatenate([u, v])
    degree = np.bincount(ends, minlength=n)
    keep = degree != 2
    # incidence: for each node, the edges touching it (a self-loop appears twice)
    inc_edges = np.concatenate([np.arange(m), np.arange(m)])
    order = np.argsort(ends, kind="stable")
    inc_ptr = np.concatenate([[0], np.cumsum(degree)])
    inc = inc_edges[order]
    visited = np.zeros(m, dtype=bool)
    new_u: list[int] = []
    new_v: list[int] = []
    new_len: list[float] = []
    new_geom: list[tuple[FloatArray, FloatArray]] = []
    edge_lon = [network.edge_geometry(e)[0] for e in range(m)]
    edge_lat = [network.edge_geometry(e)[1] for e in range(m)]
    u_l, v_l, length_l = u.tolist(), v.tolist(), network.edge_length_m.tolist()
    inc_l, ptr_l = inc.tolist(), inc_ptr.tolist()

    def walk(start: int, first_edge: int) -> None:
        node, edge = start, first_edge
        total = 0.0
        lons: list[FloatArray] = []
        lats: list[FloatArray] = []
        while True:
            visited[edge] = True
            forward = u_l[edge] == node
            nxt = v_l[edge] if forward else u_l[edge]
            gl, gt = edge_lon[edge], edge_lat[edge]
            if not forward:
                gl, gt = gl[::-1], gt[::-1]
            lons.append(gl if not lons else gl[1:])
            lats.append(gt if not lats else gt[1:])
            total += length_l[edge]
            node = nxt
            if keep[node]:
                break
            a, b = inc_l[ptr_l[node]], inc_l[ptr_l[node] + 1]
            edge = b if a == edge else a
            if visited[edge]:
                break
        new_u.append(start)
        new_v.append(node)
        new_len.append(total)
        new_geom.append((np.concatenate(lons), np.concatenate(lats)))

    for s in np.flatnonzero(keep).tolist():
        for k in range(ptr_l[s], ptr_l[s + 1]):
            if not visited[inc_l[k]]:
                walk(s, inc_l[k])
    for e in np.flatnonzero(~visited).tolist():  # rings of degree-2 nodes
        if not visited[e]:
            keep[u_l[e]] = True
            walk(u_l[e], e)

    kept = np.flatnonzero(keep)
    remap = np.full(n, -1, dtype=np.int64)
    remap[kept] = np.arange(kept.size)
    counts = np.fromiter((g[0].size for g in new_geom), dtype=np.int64, count=len(new_geom))
    return Network(
        node_ids=network.node_ids[kept], lon=network.lon[kept], lat=network.lat[kept],
        edge_u=remap[np.asarray(new_u, dtype=np.int64)], edge_v=remap[np.asarray(new_v, dtype=np.int64)],
        edge_length_m=np.asarray(new_len, dtype=float), geom_ptr=np.concatenate([[0], np.cumsum(counts)]),
        geom_lon=np.concatenate([g[0] for g in new_geom]), geom_lat=np.concatenate([g[1] for g in new_geom]),
    )
