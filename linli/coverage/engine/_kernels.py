"""Compiled inner loops of the engine (numba): the multi-source Dijkstra and the street-snapping search.

Imported lazily by ``routing`` and ``snap`` (importing numba costs about a second), compiled on first
use and cached on disk next to this file (``cache=True``), so later processes load the machine code.
Each function is a plain loop over numpy arrays; the rules they implement are in the docstrings of
``routing.py`` and ``snap.py``, and the tests compare their results with networkx and brute force.
Why numba and not SciPy alone: docs/decisions/0008-numba-kernels.md.
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np

# --- multi-source Dijkstra ------------------------------------------------------------------------------


@nb.njit(cache=True, nogil=True, boundscheck=False)
def _heap_push(keys, vals, size, key, val):  # pragma: no cover - compiled
    """Push onto a 4-ary min-heap held in (keys, vals); returns the new size."""
    j = size
    while j > 0:
        p = (j - 1) >> 2
        if keys[p] <= key:
            break
        keys[j] = keys[p]
        vals[j] = vals[p]
        j = p
    keys[j] = key
    vals[j] = val
    return size + 1


@nb.njit(cache=True, nogil=True, boundscheck=False)
def multi_source_dijkstra(indptr, indices, weights, seed_node, seed_dist, seed_source, limit):  # pragma: no cover
    """Distance from every node to the nearest seed, and that seed's source label, in one pass.

    Seeds are (node, start distance, source label): a center part-way along a street seeds both of the
    street's ends with its partial walks, so no virtual nodes are needed. Nodes farther than ``limit``
    keep ``inf`` and label -1. A 4-ary heap with lazy deletion (stale entries are skipped when popped).
    Equal distances keep the label that reached the node first.
    """
    n = indptr.shape[0] - 1
    dist = np.full(n, np.inf)
    label = np.full(n, -1, np.int64)
    capacity = seed_node.shape[0] + indices.shape[0] + 1
    keys = np.empty(capacity)
    vals = np.empty(capacity, indices.dtype)
    size = 0
    for i in range(seed_node.shape[0]):
        v = seed_node[i]
        d = seed_dist[i]
        if d < dist[v] and d <= limit:
            dist[v] = d
            label[v] = seed_source[i]
            size = _heap_push(keys, vals, size, d, v)
    while size > 0:
        d = keys[0]
        u = vals[0]
        size -= 1
        last_key = keys[size]
        last_val = vals[size]
        j = 0
        while True:
            c = 4 * j + 1
            if c >= size:
                break
            best = c
            best_key = keys[c]
            end = min(c + 4, size)
            for q in range(c + 1, end):
                if keys[q] < best_key:
                    best_key = keys[q]
                    best = q
            if best_key >= last_key:
                break
            keys[j] = best_key
            vals[j] = vals[best]
            j = best
        keys[j] = last_key
        vals[j] = last_val
        if d > dist[u]:
            continue  # a stale entry: u was settled through a shorter path
        s = label[u]
        for e in range(indptr[u], indptr[u + 1]):
            w = indices[e]
            nd = d + weights[e]
            if nd < dist[w] and nd <= limit:
                dist[w] = nd
                label[w] = s
                size = _heap_push(keys, vals, size, nd, w)
    return dist, label


# --- snapping: a uniform grid of cells listing the street segments that pass through them ---------------


@nb.njit(cache=True, nogil=True, boundscheck=False)
def cell_lists(x0, y0, x1, y1, grid_x, grid_y, cell, nx, ny):  # pragma: no cover - compiled
    """For every cell of the grid, the segments that pass through it: (cell_ptr, cell_seg), CSR by cell,
    segments ascending within a cell.

    A segment is walked in steps of half a cell and listed in the cells of each step's bounding box
    (a superset of the cells it crosses, never fewer), each cell once.
    """
    m = x0.shape[0]
    n_cells = nx * ny
    # pass 1: each segment's cells, each once, into one flat list (segment by segment)
    total = 0
    for s in range(m):
        steps = int(math.ceil(math.hypot(x1[s] - x0[s], y1[s] - y0[s]) / (0.5 * cell))) + 1
        total += 4 * steps
    flat_cell = np.empty(total, np.int64)
    flat_seg = np.empty(total, np.int64)
    last_seg = np.full(n_cells, -1, np.int64)
    k = 0
    for s in range(m):
        steps = int(math.ceil(math.hypot(x1[s] - x0[s], y1[s] - y0[s]) / (0.5 * cell))) + 1
        px = x0[s]
        py = y0[s]
        for i in range(1, steps + 1):
            t = min(1.0, i / steps)
            qx = x0[s] + t * (x1[s] - x0[s])
            qy = y0[s] + t * (y1[s] - y0[s])
            ax = max(int(math.floor((min(px, qx) - grid_x) / cell)), 0)
            bx = min(int(math.floor((max(px, qx) - grid_x) / cell)), nx - 1)
            ay = max(int(math.floor((min(py, qy) - grid_y) / cell)), 0)
            by = min(int(math.floor((max(py, qy) - grid_y) / cell)), ny - 1)
            for cx in range(ax, bx + 1):
                for cy in range(ay, by + 1):
                    c = cx * ny + cy
                    if last_seg[c] != s:  # neighbouring steps share cells: list each once
                        last_seg[c] = s
                        flat_cell[k] = c
                        flat_seg[k] = s
                        k += 1
            px = qx
            py = qy
    # pass 2: counting sort by cell (stable, so segments stay ascending within a cell)
    cell_ptr = np.zeros(n_cells + 1, np.int64)
    for j in range(k):
        cell_ptr[flat_cell[j] + 1] += 1
    for c in range(n_cells):
        cell_ptr[c + 1] += cell_ptr[c]
    fill = cell_ptr[:-1].copy()
    cell_seg = np.empty(k, np.int64)
    for j in range(k):
        c = flat_cell[j]
        cell_seg[fill[c]] = flat_seg[j]
        fill[c] += 1
    return cell_ptr, cell_seg


_A = 6_378_137.0  # WGS-84 semi-major axis (m)
_E2 = 6.694_379_990_14e-3  # WGS-84 first eccentricity squared
_DEG = math.pi / 180.0


@nb.njit(cache=True, nogil=True)
def metres_per_degree(lat):  # pragma: no cover - compiled
    """(east, north) metres per degree at latitude ``lat`` on the WGS-84 ellipsoid (radii of curvature)."""
    phi = min(max(lat, -89.9), 89.9) * _DEG  # no zero scale at a pole
    w = 1.0 - _E2 * math.sin(phi) ** 2
    return _A / math.sqrt(w) * math.cos(phi) * _DEG, _A * (1.0 - _E2) / (w * math.sqrt(w)) * _DEG


@nb.njit(cache=True, nogil=True, boundscheck=False)
def _nearest_one(
    px, py, sxi, syi, cell_ptr, x0, y0, x1, y1, cell_seg, grid_x, grid_y, cell, nx, ny
):  # pragma: no cover - compiled
    """(position in the cell lists, t, squared distance) of the nearest piece to one point (see snap_search)."""
    fx = (px - grid_x) / cell
    fy = (py - grid_y) / cell
    cx = int(math.floor(fx))
    cy = int(math.floor(fy))
    reach = max(max(cx, nx - 1 - cx), max(cy, ny - 1 - cy))  # rings beyond this hold no cell
    bd2 = np.inf
    bq = -1
    bs = -1
    bt = 0.0
    # rings nearer than the grid's nearest cell hold nothing: a point far outside starts there
    r = max(max(0, -cx, cx - (nx - 1)), max(0, -cy, cy - (ny - 1)))
    while True:
        lo_x = cx - r
        hi_x = cx + r
        lo_y = cy - r
        hi_y = cy + r
        for gx in range(max(lo_x, 0), min(hi_x, nx - 1) + 1):
            if gx == lo_x or gx == hi_x:  # the ring's left or right side: every row
                g0, g1, step = max(lo_y, 0), min(hi_y, ny - 1), 1
            else:  # a column inside the ring: only its bottom and top rows are new
                g0, g1, step = lo_y, hi_y, hi_y - lo_y
            for gy in range(g0, g1 + 1, step):
                if gy < 0 or gy >= ny:
                    continue
                c = gx * ny + gy
                for q in range(cell_ptr[c], cell_ptr[c + 1]):
                    ex = (x1[q] - x0[q]) * sxi
                    ey = (y1[q] - y0[q]) * syi
                    ax = (px - x0[q]) * sxi
                    ay = (py - y0[q]) * syi
                    num = ax * ex + ay * ey  # t = num / den, clamped to [0, 1]
                    den = ex * ex + ey * ey
                    if num <= 0.0 or den == 0.0:
                        d2 = ax * ax + ay * ay
                        t = 0.0
                    elif num >= den:
                        d2 = (ax - ex) * (ax - ex) + (ay - ey) * (ay - ey)
                        t = 1.0
                    else:
                        # the foot of the perpendicular; the division only when it might win
                        if (ax * ax + ay * ay) * den - num * num > bd2 * den:
                            continue
                        t = num / den
                        dx = ax - t * ex
                        dy = ay - t * ey
                        d2 = dx * dx + dy * dy
                    seg = cell_seg[q]
                    if d2 < bd2 or (d2 == bd2 and seg < bs):
                        bd2 = d2
                        bq = q
                        bs = seg
                        bt = t
        if r >= reach:
            break  # every cell seen
        # the cells not seen yet lie in the grid beyond one of the ring's four sides: the nearest of those
        # four rectangles is the nearest anything unseen can be (plane metres)
        bound = _unseen_distance(px, py, sxi, syi, cx, cy, r, grid_x, grid_y, cell, nx, ny)
        if bd2 <= bound * bound:
            break
        r += 1
    return bq, bt, bd2


@nb.njit(cache=True, nogil=True)
def _rect_distance(px, py, sx, sy, ax, ay, bx, by):  # pragma: no cover - compiled
    """Distance from (px, py) to the rectangle [ax, bx] x [ay, by], plane offsets scaled by (sx, sy): the
    point's metric stretches the axes, so the nearest point of the rectangle is the same clamped one."""
    dx = max(ax - px, 0.0, px - bx)
    dy = max(ay - py, 0.0, py - by)
    return math.hypot(dx * sx, dy * sy)


@nb.njit(cache=True, nogil=True)
def _unseen_distance(px, py, sx, sy, cx, cy, r, grid_x, grid_y, cell, nx, ny):  # pragma: no cover - compiled
    """Distance (in the point's metric) from the point to the grid's cells outside the square of rings
    0..r around cell (cx, cy)."""
    x_end = grid_x + nx * cell
    y_end = grid_y + ny * cell
    best = np.inf
    if cx + r + 1 <= nx - 1:  # columns to the right of the square
        best = min(best, _rect_distance(px, py, sx, sy, grid_x + max(cx + r + 1, 0) * cell, grid_y, x_end, y_end))
    if cx - r - 1 >= 0:  # columns to the left
        best = min(best, _rect_distance(px, py, sx, sy, grid_x, grid_y, grid_x + (min(cx - r - 1, nx - 1) + 1) * cell, y_end))
    if cy + r + 1 <= ny - 1:  # rows above
        best = min(best, _rect_distance(px, py, sx, sy, grid_x, grid_y + max(cy + r + 1, 0) * cell, x_end, y_end))
    if cy - r - 1 >= 0:  # rows below
        best = min(best, _rect_distance(px, py, sx, sy, grid_x, grid_y, x_end, grid_y + (min(cy - r - 1, ny - 1) + 1) * cell))
    return best


@nb.njit(cache=True, nogil=True, boundscheck=False)
def cell_order(lon, lat, origin_lon, origin_lat, east0, north0, grid_x, grid_y, cell, nx, ny):  # pragma: no cover
    """The points in cell order (a counting sort; points outside the grid go with its border cells), so
    that neighbours are searched one after another and find their cells' lists in cache."""
    m = lon.shape[0]
    key = np.empty(m, np.int64)
    counts = np.zeros(nx * ny + 1, np.int64)
    for i in range(m):
        cx = int(math.floor(((lon[i] - origin_lon) * east0 - grid_x) / cell))
        cy = int(math.floor(((lat[i] - origin_lat) * north0 - grid_y) / cell))
        key[i] = min(max(cx, 0), nx - 1) * ny + min(max(cy, 0), ny - 1)
        counts[key[i] + 1] += 1
    for c in range(nx * ny):
        counts[c + 1] += counts[c]
    order = np.empty(m, np.int64)
    for i in range(m):
        order[counts[key[i]]] = i
        counts[key[i]] += 1
    return order


@nb.njit(cache=True, nogil=True, boundscheck=False)
def snap_search(
    lon, lat, origin_lon, origin_lat, east0, north0, cell_ptr, cell_seg, x0, y0, x1, y1, start_m, length_m,
    grid_x, grid_y, cell, nx, ny,
):  # pragma: no cover - compiled
    """Snap every point to its nearest street piece: (piece, snapped lon, lat, offset m, metres along the
    piece's edge from its start). Give the points in ``cell_order``: it is several times faster.

    Plane: ``x = (lon - origin_lon) * east0``, ``y = (lat - origin_lat) * north0`` (metres per degree at
    the network's middle); the grid of cells starts at (``grid_x``, ``grid_y``). A point measures
    distances in its own local metric, the plane scaled by its latitude's metres per degree over the
    middle's. ``cell_seg[cell_ptr[c]:cell_ptr[c + 1]]`` are the pieces through cell c, their plane ends
    ``x0[q]`` ... ``y1[q]``, where along their edge they start (``start_m[q]``) and their length
    (``length_m[q]``) copied beside them (read in order, not scattered).

    Search: square rings of cells around the point's cell (from the grid's nearest ring when the point
    lies outside it); after ring r every piece not yet seen lies wholly in cells outside the square of
    rings 0..r, so at least as far (in the point's metric) as the nearest of those cells; the search
    stops when the best piece found is within that bound, or every cell has been seen: the answer is
    exact.

    Offset: the straight walk from the point to its snapped position in east/north metres at their mid
    latitude (the caller replaces long ones by the full geodesic).
    """
    m = lon.shape[0]
    piece = np.empty(m, np.int64)
    s_lon = np.empty(m)
    s_lat = np.empty(m)
    offset = np.empty(m)
    along = np.empty(m)
    for j in range(m):
        e, n = metres_per_degree(lat[j])
        q, t, _ = _nearest_one(
            (lon[j] - origin_lon) * east0, (lat[j] - origin_lat) * north0, e / east0, n / north0,
            cell_ptr, x0, y0, x1, y1, cell_seg, grid_x, grid_y, cell, nx, ny,
        )
        piece[j] = cell_seg[q]
        # the plane is linear in lon and lat, so the snapped point maps straight back
        s_lon[j] = origin_lon + (x0[q] + t * (x1[q] - x0[q])) / east0
        s_lat[j] = origin_lat + (y0[q] + t * (y1[q] - y0[q])) / north0
        e, n = metres_per_degree(0.5 * (lat[j] + s_lat[j]))
        offset[j] = math.hypot((s_lon[j] - lon[j]) * e, (s_lat[j] - lat[j]) * n)
        along[j] = start_m[q] + t * length_m[q]
    return piece, s_lon, s_lat, offset, along


# --- coverage figures ------------------------------------------------------------------------------------


@nb.njit(cache=True, nogil=True, boundscheck=False)
def group_counts(group, n_groups, minutes, residents, thresholds):  # pragma: no cover - compiled
    """Per group, in one pass over the households: households, residents, unreachable households (time
    ``inf``), and per threshold the households and residents within it (time <= threshold)."""
    t_count = thresholds.shape[0]
    households = np.zeros(n_groups, np.int64)
    people = np.zeros(n_groups)
    unreachable = np.zeros(n_groups, np.int64)
    h_within = np.zeros((t_count, n_groups), np.int64)
    r_within = np.zeros((t_count, n_groups))
    for i in range(group.shape[0]):
        g = group[i]
        m = minutes[i]
        households[g] += 1
        people[g] += residents[i]
        if not math.isfinite(m):
            unreachable[g] += 1
        for t in range(t_count):
            if m <= thresholds[t]:
                h_within[t, g] += 1
                r_within[t, g] += residents[i]
    return households, people, unreachable, h_within, r_within
