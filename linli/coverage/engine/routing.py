"""Walking distances and times from many centers at once.

Default walking speed: ``DEFAULT_SPEED_KMH = 4.0`` km/h (66.7 m/min, so 15 minutes = 1,000 m). Source and
reasoning in docs/decisions/0005-walking-speed.md: GB 50180-2018 (城市居住区规划设计标准) sets the
15-minute life circle at a walking distance of 800-1,000 m; routing engines assume 3.6-5.1 km/h
(Valhalla's pedestrian default 5.1, OSRM's foot profile 5, GraphHopper's foot 5, pedestrian manuals
~4.3-4.8 for adults and ~3.6 for older people). 4.0 km/h reproduces the standard's 1,000 m bound and
leaves room for older residents and crossings; every function takes ``speed_kmh`` to change it.

One multi-source pass: each center seeds the two ends of the street it is snapped to with its partial
walks (off-network walk + along-street walk to that end), and one Dijkstra from all seeds at once (a
compiled 4-ary-heap Dijkstra, ``_kernels.multi_source_dijkstra``) gives, for every node, the distance to
the nearest center and which center it is. SciPy's ``dijkstra(min_only=True)`` computes the same from
virtual source nodes (``augmented_graph``, kept for ``reachable_pairs`` and as a reference in the tests
and benchmark) but takes 1.3-1.5 times as long on city networks (benchmarks/coverage_bench.py).

A point (household) snapped to an edge reaches the network at either end: its distance is
``offset + min(d[u] + to_u, d[v] + to_v)``; when a center sits on the same edge, the direct walk along
the edge ``offset_p + offset_c + |along_p - along_c|`` is also considered.
"""

from __future__ import annotations

import math
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike, NDArray
from scipy.sparse.csgraph import dijkstra

from .network import Network
from .snap import SnapJob, SnappedPoints, cpu_cores

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

DEFAULT_SPEED_KMH = 4.0
DEFAULT_THRESHOLDS_MIN: tuple[float, ...] = (5.0, 10.0, 15.0)


def metres_per_minute(speed_kmh: float) -> float:
    if not (speed_kmh > 0 and math.isfinite(speed_kmh)):
        raise ValueError(f"walking speed must be a positive number of km/h, got {speed_kmh!r}")
    return speed_kmh * 1000.0 / 60.0


def minutes_to_metres(*, minutes: float, speed_kmh: float = DEFAULT_SPEED_KMH) -> float:
    if not (minutes > 0 and math.isfinite(minutes)):
        raise ValueError(f"a time threshold must be a positive number of minutes, got {minutes!r}")
    return minutes * metres_per_minute(speed_kmh)


def check_thresholds(thresholds: tuple[float, ...] | list[float]) -> tuple[float, ...]:
    values = tuple(float(t) for t in thresholds)
    if not values:
        raise ValueError("give at least one time threshold")
    for t in values:
        if not (t > 0 and math.isfinite(t)):
            raise ValueError(f"a time threshold must be a positive number of minutes, got {t!r}")
    return tuple(sorted(set(values)))


def _checked_sources(sources: SnappedPoints) -> None:
    if len(sources) == 0:
        raise ValueError("no centers given")
    bad = np.flatnonzero(~sources.valid)
    if bad.size:
        raise ValueError(f"centers {bad[:10].tolist()} are farther from the network than allowed")


def augmented_graph(*, network: Network, sources: SnappedPoints) -> sp.csr_matrix:
    """The routing graph plus one virtual node per source (rows n..n+k-1), with edges to the snapped edge's ends."""
    n, k = network.n_nodes, len(sources)
    g = network.graph
    w_u = sources.offset_m + sources.to_u_m
    w_v = sources.offset_m + sources.to_v_m
    loop = sources.u == sources.v
    cols = np.column_stack([sources.u, sources.v])
    weights = np.column_stack([np.where(loop, np.minimum(w_u, w_v), w_u), w_v])
    counts = np.where(loop, 1, 2)
    mask = np.column_stack([np.ones(k, dtype=bool), ~loop])
    indptr = np.concatenate([g.indptr.astype(np.int64), g.indptr[-1] + np.cumsum(counts)])
    data = np.concatenate([g.data, weights[mask]])
    indices = np.concatenate([g.indices.astype(np.int64), cols[mask]])
    index_dtype = np.int32 if max(indices.size, n + k) < 2**31 - 1 else np.int64
    return sp.csr_matrix(
        (data, indices.astype(index_dtype), indptr.astype(index_dtype)), shape=(n + k, n + k)
    )


@dataclass(frozen=True)
class PointTimes:
    """Per point: walking distance (m, ``inf`` when unreachable or beyond the limit), minutes, nearest center."""

    distance_m: FloatArray
    minutes: FloatArray
    source: IntArray  # index into the centers, -1 when none is reachable


@dataclass(frozen=True)
class NearestCenters:
    """Result of one multi-source pass over the network nodes."""

    node_distance_m: FloatArray  # inf where no center is within the limit / connected
    node_source: IntArray  # index into the centers, -1 where none
    centers: SnappedPoints
    speed_kmh: float
    limit_m: float | None

    @property
    def node_minutes(self) -> FloatArray:
        return self.node_distance_m / metres_per_minute(self.speed_kmh)

    def at_points(self, points: SnappedPoints) -> PointTimes:
        """Walking time from each snapped point to its nearest center (rule in the module docstring)."""
        dist, src = point_distances(
            node_distance_m=self.node_distance_m, node_source=self.node_source, points=points,
            sources=self.centers,
        )
        if self.limit_m is not None:
            beyond = dist > self.limit_m
            dist[beyond] = np.inf
            src[beyond] = -1
        return PointTimes(distance_m=dist, minutes=dist / metres_per_minute(self.speed_kmh), source=src)


def nearest_centers(
    *, network: Network, centers: SnappedPoints, speed_kmh: float = DEFAULT_SPEED_KMH,
    limit_min: float | None = None,
) -> NearestCenters:
    """Distance from every node to its nearest center in one multi-source Dijkstra pass.

    ``limit_min`` stops the search beyond that many minutes (faster; farther nodes get ``inf``).
    """
    _checked_sources(centers)
    limit_m = None if limit_min is None else minutes_to_metres(minutes=limit_min, speed_kmh=speed_kmh)
    metres_per_minute(speed_kmh)
    dist, node_source = multi_source_distances(network=network, sources=centers, limit_m=limit_m)
    return NearestCenters(
        node_distance_m=dist, node_source=node_source, centers=centers, speed_kmh=speed_kmh, limit_m=limit_m,
    )


def multi_source_distances(
    *, network: Network, sources: SnappedPoints, limit_m: float | None = None
) -> tuple[FloatArray, IntArray]:
    """Per node: distance (m) to the nearest source (``inf`` beyond ``limit_m`` or on another island)
    and that source's index (-1 where none), from one Dijkstra seeded at the sources' street ends."""
    from ._kernels import multi_source_dijkstra

    k = len(sources)
    seed_node = np.concatenate([sources.u, sources.v])
    seed_dist = np.concatenate([sources.offset_m + sources.to_u_m, sources.offset_m + sources.to_v_m])
    seed_source = np.concatenate([np.arange(k), np.arange(k)]).astype(np.int64)
    g = network.graph
    index_dtype = g.indices.dtype
    dist, label = multi_source_dijkstra(
        g.indptr, g.indices, g.data.astype(np.float64, copy=False), seed_node.astype(index_dtype),
        seed_dist.astype(np.float64), seed_source, np.inf if limit_m is None else float(limit_m),
    )
    return dist, label


def point_distances(
    *, node_distance_m: FloatArray, node_source: IntArray, points: SnappedPoints, sources: SnappedPoints
) -> tuple[FloatArray, IntArray]:
    """Distance (m) and nearest source for snapped points, given node distances from those sources."""
    via_u = node_distance_m[points.u] + points.to_u_m
    via_v = node_distance_m[points.v] + points.to_v_m
    use_v = via_v < via_u
    dist = np.where(use_v, via_v, via_u) + points.offset_m
    src = np.where(use_v, node_source[points.v], node_source[points.u]).astype(np.int64)
    src_i, tgt_i, direct = same_edge_pairs(sources=sources, targets=points)
    if src_i.size:
        better = direct < dist[tgt_i]
        src_i, tgt_i, direct = src_i[better], tgt_i[better], direct[better]
        order = np.argsort(-direct, kind="stable")  # the smallest is assigned last and wins
        dist[tgt_i[order]] = direct[order]
        src[tgt_i[order]] = src_i[order]
    invalid = ~points.valid
    dist[invalid] = np.inf
    src[invalid | ~np.isfinite(dist)] = -1
    return dist, src


def same_edge_pairs(*, sources: SnappedPoints, targets: SnappedPoints) -> tuple[IntArray, IntArray, FloatArray]:
    """(source, target, direct distance) for every source and target snapped to the same edge."""
    s_edges = np.unique(sources.edge[sources.valid])
    t_valid = np.flatnonzero(targets.valid & np.isin(targets.edge, s_edges))
    order = t_valid[np.argsort(targets.edge[t_valid], kind="stable")]
    t_edges = targets.edge[order]
    s_valid = np.flatnonzero(sources.valid)
    lo = np.searchsorted(t_edges, sources.edge[s_valid], side="left")
    hi = np.searchsorted(t_edges, sources.edge[s_valid], side="right")
    counts = hi - lo
    if counts.sum() == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, np.zeros(0)
    src_i = np.repeat(s_valid, counts)
    starts = np.repeat(lo, counts)
    rank = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    tgt_i = order[starts + rank]
    direct = (
        sources.offset_m[src_i] + targets.offset_m[tgt_i] + np.abs(sources.along_m[src_i] - targets.along_m[tgt_i])
    )
    return src_i.astype(np.int64), tgt_i.astype(np.int64), direct


def walking_times(
    *, network: Network, centers: SnappedPoints, points: SnappedPoints, speed_kmh: float = DEFAULT_SPEED_KMH,
    limit_min: float | None = None,
) -> PointTimes:
    """Walking time from each point to its nearest center: one multi-source pass, then the snapped ends."""
    return nearest_centers(network=network, centers=centers, speed_kmh=speed_kmh, limit_min=limit_min).at_points(
        points
    )


def household_walking_times(
    *, network: Network, centers: SnappedPoints, lon: ArrayLike, lat: ArrayLike, max_distance_m: float | None = None,
    speed_kmh: float = DEFAULT_SPEED_KMH, limit_min: float | None = None,
) -> tuple[SnappedPoints, PointTimes]:
    """Snap households (WGS-84) and give each its walking time to the nearest center.

    The same as ``snap_points`` then ``walking_times``, but the snapping runs in other threads while the
    multi-source pass runs in this one, and this thread takes the snapping chunks still left once its
    pass is done: the two do not depend on each other and both release the GIL, so on two cores the run
    takes about half their sum.
    """
    _checked_sources(centers)
    jobs: list[SnapJob] = []
    ready = threading.Event()

    def snap_beside() -> None:  # sorts the households, then snaps chunks while the pass runs
        try:
            jobs.append(SnapJob(network=network, lon=lon, lat=lat, max_distance_m=max_distance_m))
        finally:
            ready.set()
        jobs[0].work()

    helpers = max(1, cpu_cores() - 1)
    with ThreadPoolExecutor(max_workers=helpers) as pool:
        futures = [pool.submit(snap_beside)]
        result = nearest_centers(network=network, centers=centers, speed_kmh=speed_kmh, limit_min=limit_min)
        ready.wait()
        if jobs:
            futures += [pool.submit(jobs[0].work) for _ in range(helpers - 1)]
            jobs[0].work()  # this thread joins in once its pass is done
        for future in futures:
            future.result()  # re-raises a bad coordinate or a failed chunk
    houses = jobs[0].result()
    return houses, result.at_points(houses)


def reachable_pairs(
    *, network: Network, sources: SnappedPoints, targets: SnappedPoints, limit_m: float,
    max_batch_cells: int = 20_000_000,
) -> sp.csr_matrix:
    """Boolean sources x targets matrix: target within ``limit_m`` walking of the source.

    One bounded Dijkstra per source, run in batches so that the dense batch x nodes distance block stays
    under ``max_batch_cells`` floats; used to build the coverage sets of the siting model.
    """
    if not (limit_m > 0 and math.isfinite(limit_m)):
        raise ValueError("limit_m must be positive")
    _checked_sources(sources)
    n, k = network.n_nodes, len(sources)
    batch = max(1, min(k, max_batch_cells // max(n, 1)))
    rows: list[IntArray] = []
    cols: list[IntArray] = []
    valid_t = np.flatnonzero(targets.valid)
    tu, tv = targets.u[valid_t], targets.v[valid_t]
    t_to_u, t_to_v, t_off = targets.to_u_m[valid_t], targets.to_v_m[valid_t], targets.offset_m[valid_t]
    for start in range(0, k, batch):
        part = sources.subset(np.arange(start, min(k, start + batch)))
        graph = augmented_graph(network=network, sources=part)
        b = len(part)
        dist = dijkstra(graph, directed=True, indices=np.arange(n, n + b), limit=limit_m)[:, :n]
        best = np.minimum(dist[:, tu] + t_to_u, dist[:, tv] + t_to_v) + t_off
        r, c = np.nonzero(best <= limit_m)
        rows.append(r + start)
        cols.append(valid_t[c])
        s_i, t_i, direct = same_edge_pairs(sources=part, targets=targets)
        ok = direct <= limit_m
        rows.append(s_i[ok] + start)
        cols.append(t_i[ok])
    r_all = np.concatenate(rows)
    c_all = np.concatenate(cols)
    matrix = sp.csr_matrix(
        (np.ones(r_all.size, dtype=bool), (r_all, c_all)), shape=(k, len(targets)), dtype=bool
    )
    matrix.sum_duplicates()
    return matrix
