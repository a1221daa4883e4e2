"""Small networks and independent references for the engine tests (no Django, no database)."""

from __future__ import annotations

import math

import numpy as np

from linli.coverage.engine import Network

LON0, LAT0 = 112.9, 28.2
M_LAT = 110_574.0
M_LON = 111_320.0 * math.cos(math.radians(LAT0))


def to_lonlat(x, y):
    """Metres east/north of the test origin to approximate lon/lat (only used to place things)."""
    return LON0 + np.asarray(x, dtype=float) / M_LON, LAT0 + np.asarray(y, dtype=float) / M_LAT


def grid_network(*, nx: int, ny: int, spacing_m: float = 100.0) -> Network:
    """A regular street grid; node i*ny + j at (i*spacing, j*spacing)."""
    ii, jj = np.meshgrid(np.arange(nx), np.arange(ny), indexing="ij")
    lon, lat = to_lonlat(ii.ravel() * spacing_m, jj.ravel() * spacing_m)
    node = np.arange(nx * ny).reshape(nx, ny)
    u = np.concatenate([node[:-1, :].ravel(), node[:, :-1].ravel()])
    v = np.concatenate([node[1:, :].ravel(), node[:, 1:].ravel()])
    return Network.from_edges(lon=lon, lat=lat, edge_u=u, edge_v=v)


def weighted_network(*, n: int, u, v, w) -> Network:
    """A network with given (e.g. integer) edge weights; nodes placed on a circle for geometry only."""
    angle = np.arange(n) * 2 * math.pi / max(n, 1)
    lon, lat = to_lonlat(500 * np.cos(angle), 500 * np.sin(angle))
    u = np.asarray(u, dtype=np.int64)
    v = np.asarray(v, dtype=np.int64)
    return Network(
        node_ids=np.arange(n, dtype=np.int64), lon=lon, lat=lat, edge_u=u, edge_v=v,
        edge_length_m=np.asarray(w, dtype=float), geom_ptr=np.arange(0, 2 * u.size + 1, 2, dtype=np.int64),
        geom_lon=np.column_stack([lon[u], lon[v]]).ravel(), geom_lat=np.column_stack([lat[u], lat[v]]).ravel(),
    )


def floyd_warshall(n: int, u, v, w) -> np.ndarray:
    """All-pairs shortest paths by plain Floyd-Warshall in numpy (independent of scipy.csgraph)."""
    d = np.full((n, n), np.inf)
    np.fill_diagonal(d, 0.0)
    for a, b, c in zip(u, v, w, strict=True):
        d[a, b] = min(d[a, b], c)
        d[b, a] = min(d[b, a], c)
    for k in range(n):
        d = np.minimum(d, d[:, k, None] + d[None, k, :])
    return d


def point_reference(network: Network, centers, points) -> np.ndarray:
    """Walking distance from each point to its nearest center on an expanded graph.

    Every snapped point and center becomes a node that splits its edge at its position, with its own
    off-network leg; shortest paths then come from Floyd-Warshall, independently of the engine's rule.
    """
    n = network.n_nodes
    extra = [("c", i) for i in range(len(centers))] + [("p", i) for i in range(len(points))]
    # node ids: n.. for on-edge positions, then for the off-network houses
    on_id = {key: n + i for i, key in enumerate(extra)}
    house_id = {key: n + len(extra) + i for i, key in enumerate(extra)}
    total = n + 2 * len(extra)
    us, vs, ws = [], [], []
    by_edge: dict[int, list[tuple[float, int]]] = {}
    for key in extra:
        snap = centers if key[0] == "c" else points
        i = key[1]
        e = int(snap.edge[i])
        by_edge.setdefault(e, []).append((float(snap.along_m[i]), on_id[key]))
        us.append(on_id[key])
        vs.append(house_id[key])
        ws.append(float(snap.offset_m[i]))
    for e in range(network.n_edges):
        a, b, length = int(network.edge_u[e]), int(network.edge_v[e]), float(network.edge_length_m[e])
        stops = sorted(by_edge.get(e, []))
        chain = [(0.0, a), *stops, (length, b)]
        for (p0, n0), (p1, n1) in zip(chain[:-1], chain[1:], strict=True):
            us.append(n0)
            vs.append(n1)
            ws.append(p1 - p0)
    d = floyd_warshall(total, us, vs, ws)
    c_rows = [house_id[("c", i)] for i in range(len(centers))]
    p_cols = [house_id[("p", i)] for i in range(len(points))]
    return d[np.ix_(c_rows, p_cols)].min(axis=0)
