"""Snap points (households, sites) to the nearest point on the nearest street edge.

Rule: a point reaches the network at the closest point of the closest straight piece of any edge,
measured in the point's own local east/north metres (the WGS-84 ellipsoid's radii of curvature at the
point's latitude: a tangent plane, exact to a few parts in a million for the few hundred metres
between a door and its street); its walk is the straight line to that point (``offset_m``, metres on
the ellipsoid) and then along the edge to either end (``to_u_m``/``to_v_m``, geodesic along the edge
geometry).

The search is exact, not approximate: street pieces are listed in a uniform grid of cells (each piece in
every cell it passes through), and a point's search visits square rings of cells around its own until
the nearest piece found is closer than anything in the unvisited rings could be (``_kernels``). The grid
is built once per network and kept on it.
"""

from __future__ import annotations

import math
import os
import queue
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .geo import geod_distance_m
from .network import Network

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

# Offsets longer than this are measured with the full geodesic (the tangent plane is for short walks).
_TANGENT_PLANE_MAX_M = 2_000.0
_MAX_CELLS = 16_000_000
_POINTS_PER_THREAD = 20_000  # below this a thread costs more than it saves
_CHUNK_POINTS = 2_000  # threads take work in chunks of at least this many neighbouring points


def cpu_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


@dataclass(frozen=True)
class SnappedPoints:
    """Where each point joins the network. ``edge == -1`` marks a point farther than ``max_distance_m``."""

    edge: IntArray
    u: IntArray
    v: IntArray
    along_m: FloatArray  # from u along the edge geometry
    to_u_m: FloatArray
    to_v_m: FloatArray
    offset_m: FloatArray  # straight walk from the point to the network
    lon: FloatArray  # the snapped position
    lat: FloatArray

    def __len__(self) -> int:
        return int(self.edge.shape[0])

    @property
    def valid(self) -> NDArray[np.bool_]:
        return self.edge >= 0

    def subset(self, index: ArrayLike) -> SnappedPoints:
        idx = np.asarray(index)
        return SnappedPoints(**{name: getattr(self, name)[idx] for name in self.__dataclass_fields__})


class _SnapIndex:
    """The network's street pieces in plane metres around the network's middle, listed per grid cell."""

    def __init__(self, network: Network, cell_m: float | None) -> None:
        from ._kernels import cell_lists, metres_per_degree

        seg = network.segments()
        self.edge = seg["edge"]
        self.origin_lon = float((network.lon.min() + network.lon.max()) / 2) if network.n_nodes else 0.0
        self.origin_lat = float((network.lat.min() + network.lat.max()) / 2) if network.n_nodes else 0.0
        self.east0, self.north0 = metres_per_degree(self.origin_lat)
        x0, y0 = self.plane(seg["lon0"], seg["lat0"])
        x1, y1 = self.plane(seg["lon1"], seg["lat1"])
        xs, ys = np.concatenate([x0, x1]), np.concatenate([y0, y1])
        self.min_x, self.min_y = float(xs.min()), float(ys.min())
        width, height = float(xs.max()) - self.min_x, float(ys.max()) - self.min_y
        area = max(width * height, 1.0)
        if cell_m is None:
            # about one street piece per cell: a door's street is then a ring or two away
            cell_m = min(max(math.sqrt(area / x0.size), 10.0), 500.0)
        self.cell_m = float(max(cell_m, math.sqrt(area / _MAX_CELLS)))
        self.nx = int(width // self.cell_m) + 1
        self.ny = int(height // self.cell_m) + 1
        self.cell_ptr, self.cell_seg = cell_lists(
            x0, y0, x1, y1, self.min_x, self.min_y, self.cell_m, self.nx, self.ny
        )
        # each listed piece's ends beside it, so the search reads memory in order
        self.cell_x0, self.cell_y0 = x0[self.cell_seg], y0[self.cell_seg]
        self.cell_x1, self.cell_y1 = x1[self.cell_seg], y1[self.cell_seg]
        self.cell_start_m, self.cell_length_m = seg["start_m"][self.cell_seg], seg["length_m"][self.cell_seg]

    def plane(self, lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
        lon_a, lat_a = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
        return (lon_a - self.origin_lon) * self.east0, (lat_a - self.origin_lat) * self.north0


def _index(network: Network, cell_m: float | None) -> _SnapIndex:
    cached = getattr(network, "_snap_index", None)
    if cached is None or (cell_m is not None and cached.cell_m != cell_m):
        cached = _SnapIndex(network, cell_m)
        network._snap_index = cached  # type: ignore[attr-defined]
    return cached


class SnapJob:
    """Snapping one batch of points, cut into chunks of neighbouring points that any thread may take.

    ``work()`` takes chunks until none is left and may run in several threads at once (the compiled
    search releases the GIL, each point is independent, so the answer does not depend on who took which
    chunk); ``result()`` gives the ``SnappedPoints`` once every chunk is done.
    """

    def __init__(
        self, *, network: Network, lon: ArrayLike, lat: ArrayLike, max_distance_m: float | None = None,
        cell_m: float | None = None,
    ) -> None:
        lon_a = np.atleast_1d(np.asarray(lon, dtype=float))
        lat_a = np.atleast_1d(np.asarray(lat, dtype=float))
        if lon_a.shape != lat_a.shape:
            raise ValueError("lon and lat must have the same length")
        if not (np.all(np.isfinite(lon_a)) and np.all(np.isfinite(lat_a))):
            raise ValueError("coordinates must be finite numbers")
        if np.any(np.abs(lat_a) > 90.0) or np.any(np.abs(lon_a) > 180.0):
            raise ValueError("coordinates must be WGS-84 degrees: longitude within ±180, latitude within ±90")
        if cell_m is not None and not (cell_m > 0 and math.isfinite(cell_m)):
            raise ValueError("cell_m must be positive")
        if max_distance_m is not None and not (max_distance_m >= 0):
            raise ValueError("max_distance_m must not be negative")
        self.network, self.lon, self.lat, self.max_distance_m = network, lon_a, lat_a, max_distance_m
        self.chunks: queue.SimpleQueue[slice] = queue.SimpleQueue()
        self.pending = 0
        if lon_a.size == 0 or network.n_edges == 0:
            return
        from ._kernels import cell_order

        idx = self.index = _index(network, cell_m)
        self.order = cell_order(
            lon_a, lat_a, idx.origin_lon, idx.origin_lat, idx.east0, idx.north0, idx.min_x, idx.min_y,
            idx.cell_m, idx.nx, idx.ny,
        )
        self.lon_s, self.lat_s = lon_a[self.order], lat_a[self.order]
        n = lon_a.size
        self.out = (np.empty(n, np.int64), np.empty(n), np.empty(n), np.empty(n), np.empty(n))
        size = max(_CHUNK_POINTS, -(-n // 64))
        for start in range(0, n, size):
            self.chunks.put(slice(start, min(n, start + size)))
            self.pending += 1
        self.finished = threading.Semaphore(0)
        self.error: BaseException | None = None

    def work(self) -> None:
        """Snap chunks until none is left."""
        from ._kernels import snap_search

        idx = self.index if self.pending else None
        while idx is not None:
            try:
                chunk = self.chunks.get_nowait()
            except queue.Empty:
                return
            try:
                parts = snap_search(
                    self.lon_s[chunk], self.lat_s[chunk], idx.origin_lon, idx.origin_lat, idx.east0, idx.north0,
                    idx.cell_ptr, idx.cell_seg, idx.cell_x0, idx.cell_y0, idx.cell_x1, idx.cell_y1,
                    idx.cell_start_m, idx.cell_length_m, idx.min_x, idx.min_y, idx.cell_m, idx.nx, idx.ny,
                )
                for out, part in zip(self.out, parts, strict=True):
                    out[chunk] = part
            except BaseException as exc:  # recorded for result(), which must not wait for this chunk forever
                self.error = exc
                raise
            finally:
                self.finished.release()

    def result(self) -> SnappedPoints:
        """The snapped points, in the order given (waits for chunks other threads are still snapping)."""
        n, network = self.lon.size, self.network
        if not self.pending:
            empty_i = np.full(n, -1, dtype=np.int64)
            empty_f = np.full(n, np.inf)
            return SnappedPoints(empty_i, empty_i, empty_i, empty_f, empty_f, empty_f, empty_f, self.lon, self.lat)
        self.work()  # nothing left to take unless nobody else worked
        for _ in range(self.pending):
            self.finished.acquire()
        self.pending = 0
        if self.error is not None:
            raise self.error
        piece, s_lon, s_lat, offset, along = (np.empty_like(out) for out in self.out)
        for target, out in zip((piece, s_lon, s_lat, offset, along), self.out, strict=True):
            target[self.order] = out
        far = np.flatnonzero(offset > _TANGENT_PLANE_MAX_M)
        if far.size:
            offset[far] = geod_distance_m(lon1=self.lon[far], lat1=self.lat[far], lon2=s_lon[far], lat2=s_lat[far])
        edge = self.index.edge[piece].astype(np.int64)
        length = network.edge_length_m[edge]
        np.clip(along, 0.0, length, out=along)
        if self.max_distance_m is not None:
            edge = np.where(offset <= self.max_distance_m, edge, -1)
        return SnappedPoints(
            edge=edge, u=network.edge_u[edge.clip(0)], v=network.edge_v[edge.clip(0)],
            along_m=along, to_u_m=along, to_v_m=length - along, offset_m=offset, lon=s_lon, lat=s_lat,
        )


def snap_points(
    *, network: Network, lon: ArrayLike, lat: ArrayLike, max_distance_m: float | None = None,
    cell_m: float | None = None, threads: int | None = None,
) -> SnappedPoints:
    """Snap WGS-84 points to the network (rule in the module docstring).

    Points whose straight walk to the network exceeds ``max_distance_m`` get ``edge = -1`` and count as
    unreachable; with ``None`` every point is snapped however far away it is. ``cell_m`` sets the search
    grid's cell size (default: about one street piece per cell) and ``threads`` how many threads a large
    batch may use (default: one per core); both change speed, never the answer.
    """
    job = SnapJob(network=network, lon=lon, lat=lat, max_distance_m=max_distance_m, cell_m=cell_m)
    helpers = min(threads or cpu_cores(), max(1, job.lon.size // _POINTS_PER_THREAD)) - 1
    if helpers > 0 and job.pending > 1:
        with ThreadPoolExecutor(max_workers=helpers) as pool:
            futures = [pool.submit(job.work) for _ in range(helpers)]
            job.work()
            for future in futures:
                future.result()
    return job.result()


def points_at_nodes(*, network: Network, nodes: ArrayLike) -> SnappedPoints:
    """Points placed exactly on network nodes (no off-network walk), e.g. candidate sites at junctions."""
    nodes_a = np.atleast_1d(np.asarray(nodes, dtype=np.int64))
    if nodes_a.size and (nodes_a.min() < 0 or nodes_a.max() >= network.n_nodes):
        raise ValueError("node index out of range")
    ends = np.concatenate([network.edge_u, network.edge_v])
    edge_of = np.full(network.n_nodes, -1, dtype=np.int64)
    edge_of[ends[::-1]] = np.concatenate([np.arange(network.n_edges)] * 2)[::-1]
    edge = edge_of[nodes_a]
    if np.any(edge < 0):
        raise ValueError(f"nodes {nodes_a[edge < 0][:10].tolist()} touch no street")
    at_u = network.edge_u[edge] == nodes_a
    length = network.edge_length_m[edge]
    along = np.where(at_u, 0.0, length)
    return SnappedPoints(
        edge=edge, u=network.edge_u[edge], v=network.edge_v[edge], along_m=along, to_u_m=along,
        to_v_m=length - along, offset_m=np.zeros(nodes_a.size), lon=network.lon[nodes_a], lat=network.lat[nodes_a],
    )
