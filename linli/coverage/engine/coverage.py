"""Coverage figures: who lives within 5/10/15 minutes' walk of a center, per group and overall.

Rules:
- a household is *within t minutes* when its walking time is <= t (a household exactly at 15:00 counts);
- households that cannot reach any center (other network island, too far from any street) have time
  ``inf``; they count in the denominators and never as covered (an honest figure, not a crash);
- shares are ``None`` for an empty group rather than a made-up 0 or 1;
- *uncovered* means beyond the largest threshold; uncovered households are clustered when they lie
  within ``radius_m`` of each other (single-linkage: connected components of the radius graph).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from .geo import LocalProjection
from .routing import DEFAULT_THRESHOLDS_MIN, check_thresholds

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


@dataclass(frozen=True)
class CoverageRow:
    """Counts for one group (or the whole county when ``key`` is None)."""

    key: Any
    households: int
    residents: float
    households_within: dict[float, int]
    residents_within: dict[float, float]
    unreachable_households: int

    def households_share(self, minutes: float) -> float | None:
        return self.households_within[minutes] / self.households if self.households else None

    def residents_share(self, minutes: float) -> float | None:
        return self.residents_within[minutes] / self.residents if self.residents else None

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "households": self.households, "residents": self.residents,
            "unreachable_households": self.unreachable_households,
        }
        for t in self.households_within:
            label = f"{t:g}min"
            out[f"households_within_{label}"] = self.households_within[t]
            out[f"residents_within_{label}"] = self.residents_within[t]
            out[f"households_within_{label}_share"] = self.households_share(t)
            out[f"residents_within_{label}_share"] = self.residents_share(t)
        return out


@dataclass(frozen=True)
class CoverageFigures:
    thresholds: tuple[float, ...]
    overall: CoverageRow
    by_group: dict[str, dict[Any, CoverageRow]] = field(default_factory=dict)
    uncovered: IntArray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))

    def as_dict(self) -> dict[str, Any]:
        return {
            "thresholds_min": list(self.thresholds),
            "overall": self.overall.as_dict(),
            "by_group": {
                name: {str(key): row.as_dict() for key, row in rows.items()} for name, rows in self.by_group.items()
            },
            "uncovered_count": int(self.uncovered.size),
        }


def _rows(keys: list[Any], group: IntArray, minutes: FloatArray, residents: FloatArray,
          thresholds: tuple[float, ...]) -> list[CoverageRow]:
    """One row per key; ``group`` is each household's position in ``keys``."""
    from ._kernels import group_counts

    households, people, unreachable, h_within, r_within = group_counts(
        group, len(keys), minutes, residents, np.asarray(thresholds, dtype=float))
    households, people, unreachable = households.tolist(), people.tolist(), unreachable.tolist()
    h_within, r_within = h_within.tolist(), r_within.tolist()
    return [
        CoverageRow(
            key=key, households=households[i], residents=people[i],
            households_within={t: h_within[j][i] for j, t in enumerate(thresholds)},
            residents_within={t: r_within[j][i] for j, t in enumerate(thresholds)},
            unreachable_households=unreachable[i],
        )
        for i, key in enumerate(keys)
    ]


def _factorize(key_arr: NDArray[Any]) -> tuple[list[Any], IntArray]:
    """The distinct keys (sorted) and each household's position among them."""
    if key_arr.dtype.kind in "iu" and key_arr.size:
        low, high = int(key_arr.min()), int(key_arr.max())
        if high - low < 4 * key_arr.size:  # integers in a narrow range (ids, grid numbers): count, not sort
            shifted = key_arr.astype(np.int64) - low
            present = np.bincount(shifted) > 0
            rank = np.cumsum(present) - 1
            return (np.flatnonzero(present) + low).tolist(), rank[shifted]
    # object keys (mixed types, None) are compared by their text, so 1 and "1" are the same group
    comparable = key_arr.astype(str) if key_arr.dtype == object else key_arr
    _, first_idx, inverse = np.unique(comparable, return_index=True, return_inverse=True)
    keys = key_arr[first_idx].tolist() if key_arr.dtype != object else list(key_arr[first_idx])
    return keys, inverse.ravel()


def coverage_figures(
    *, minutes: ArrayLike, residents: ArrayLike | None = None, groups: Mapping[str, Sequence[Any] | ArrayLike] | None = None,
    thresholds: Sequence[float] = DEFAULT_THRESHOLDS_MIN,
) -> CoverageFigures:
    """Share of households and residents within each threshold, overall and per group key.

    ``minutes`` per household (``inf`` = unreachable); ``residents`` per household (default 1);
    ``groups`` maps a grouping name (``"grid"``, ``"community"``) to one key per household.
    """
    ts = check_thresholds(list(thresholds))
    m = np.asarray(minutes, dtype=float)
    if np.any(np.isnan(m)):
        raise ValueError("walking times must not be NaN (use inf for unreachable)")
    r = np.ones(m.size) if residents is None else np.asarray(residents, dtype=float)
    if r.shape != m.shape:
        raise ValueError("residents must have one value per household")
    if np.any(r < 0):
        raise ValueError("resident counts must not be negative")
    by_group: dict[str, dict[Any, CoverageRow]] = {}
    for name, keys in (groups or {}).items():
        key_arr = np.asarray(keys)
        if key_arr.shape != m.shape:
            raise ValueError(f"group {name!r} must have one key per household")
        # object keys (mixed types, None) are compared by their text, so 1 and "1" are the same group
        keys, inverse = _factorize(key_arr)
        rows = dict(zip(keys, _rows(keys, inverse.astype(np.int64, copy=False), m, r, ts), strict=True))
        by_group[name] = rows
    return CoverageFigures(
        thresholds=ts, overall=_rows([None], np.zeros(m.size, dtype=np.int64), m, r, ts)[0], by_group=by_group,
        uncovered=np.flatnonzero(~(m <= ts[-1])).astype(np.int64),
    )


@dataclass(frozen=True)
class UncoveredCluster:
    """A group of uncovered households, each within ``radius_m`` of another in the group."""

    households: IntArray  # indices into the household arrays
    residents: float
    lon: float  # resident-weighted centroid (household-weighted when residents are all zero)
    lat: float

    @property
    def count(self) -> int:
        return int(self.households.size)


def uncovered_clusters(
    *, lon: ArrayLike, lat: ArrayLike, residents: ArrayLike | None = None, radius_m: float = 150.0,
    min_households: int = 1,
) -> list[UncoveredCluster]:
    """Cluster the given (uncovered) households; largest by residents first.

    Pass only the uncovered households (e.g. ``figures.uncovered`` indices) and map the returned indices
    back through that selection.
    """
    if not radius_m > 0:
        raise ValueError("radius_m must be positive")
    lon_a = np.atleast_1d(np.asarray(lon, dtype=float))
    lat_a = np.atleast_1d(np.asarray(lat, dtype=float))
    if lon_a.size == 0:
        return []
    r = np.ones(lon_a.size) if residents is None else np.asarray(residents, dtype=float)
    proj = LocalProjection.around(lon=lon_a, lat=lat_a)
    x, y = proj.forward(lon=lon_a, lat=lat_a)
    pairs = cKDTree(np.column_stack([x, y])).query_pairs(r=radius_m, output_type="ndarray")
    n = lon_a.size
    adj = coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(n, n))
    _, labels = connected_components(adj, directed=False)
    clusters = []
    order = np.argsort(labels, kind="stable")
    bounds = np.searchsorted(labels[order], np.arange(labels.max() + 2))
    for c in range(labels.max() + 1):
        idx = order[bounds[c] : bounds[c + 1]]
        if idx.size < min_households:
            continue
        w = r[idx] if r[idx].sum() > 0 else np.ones(idx.size)
        cx, cy = float(np.average(x[idx], weights=w)), float(np.average(y[idx], weights=w))
        c_lon, c_lat = proj.inverse(x=cx, y=cy)
        clusters.append(
            UncoveredCluster(households=idx.astype(np.int64), residents=float(r[idx].sum()), lon=float(c_lon), lat=float(c_lat))
        )
    clusters.sort(key=lambda cl: (-cl.residents, -cl.count))
    return clusters
