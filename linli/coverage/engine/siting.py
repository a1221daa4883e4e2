"""Siting: where should the next k centers go (maximal covering location problem, Church & ReVelle 1974).

Rule: keep the existing centers; among the candidate locations choose exactly k that maximise the
residents *newly* within ``threshold_min`` minutes' walk (residents already covered by an existing
center count for nothing; residents no candidate can reach are left out of the model).

Model: binary x_j (open candidate j), y_i in [0, 1] (demand i covered); maximise sum w_i y_i subject
to y_i <= sum_{j covers i} x_j and sum x_j = k. y may be continuous: with integral x the optimum puts
y_i = 1 exactly where some chosen candidate covers i. Solved with SciPy's ``milp`` (HiGHS) under a time
limit; the answer reports HiGHS's status, the objective, the best bound and the relative gap
``(bound - objective) / bound``, so a time-limited answer is never presented as optimal.

Greedy (largest marginal gain first) followed by 1-swap local search (replace one chosen candidate
by the best other while it strictly improves) runs first, then (unless ``method="greedy"``) a seeded
iterated local search (random 3-swap perturbation + 1-swap descent) for up to 10 % of the time limit
(at most 10 s): it is the fallback when the MILP finds no solution in time and a comparison figure
otherwise. Its objective also enters the MILP as a constraint ``sum w_i y_i >= heuristic objective``:
the optimum satisfies it, so the optimum and the bound are unchanged, but HiGHS can prune with it from
the start (SciPy's ``milp`` takes no starting solution). The reported gap always uses HiGHS's proven
bound against the best solution actually found (MILP or heuristic), evaluated on the cover matrix.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Literal

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike, NDArray
from scipy.optimize import Bounds, LinearConstraint, milp

from .network import Network
from .routing import DEFAULT_SPEED_KMH, minutes_to_metres, reachable_pairs, walking_times
from .snap import SnappedPoints

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


@dataclass(frozen=True)
class MclpSolution:
    chosen: IntArray  # candidate indices (rows of the cover matrix), sorted
    objective: float  # covered weight
    method: Literal["milp", "greedy+swap"]
    status: str  # "optimal", "time limit", "greedy only", or HiGHS's message when it failed
    best_bound: float | None  # an upper bound on the optimum (None without a MILP run)
    gap: float | None  # (best_bound - objective) / best_bound; 0 means proven optimal
    greedy_objective: float
    milp_seconds: float | None
    greedy_seconds: float


def covered_weight(*, cover: sp.csr_matrix, weights: FloatArray, chosen: ArrayLike) -> float:
    """Weight of the demand covered by at least one chosen candidate."""
    idx = np.asarray(chosen, dtype=np.int64)
    if idx.size == 0:
        return 0.0
    hit = np.asarray(cover[idx].sum(axis=0)).ravel() > 0
    return float(weights[hit].sum())


def _swap_descent(
    *, cover: sp.csr_matrix, weights: FloatArray, chosen: list[int], counts: FloatArray, deadline: float | None
) -> FloatArray:
    """1-swaps (replace one chosen row by the best other) while one strictly improves; ``chosen`` in place."""
    is_chosen = np.zeros(cover.shape[0], dtype=bool)
    is_chosen[chosen] = True
    tol = 1e-9 * max(1.0, float(weights.sum()))
    improved = True
    while improved and (deadline is None or time.perf_counter() < deadline):
        improved = False
        for pos in range(len(chosen)):
            j = chosen[pos]
            row = cover[j].toarray().ravel()
            without = counts - row
            loss = float(weights[(without == 0) & (row > 0)].sum())
            gains = cover @ (weights * (without == 0))
            gains[is_chosen] = -1.0
            best = int(np.argmax(gains))
            if gains[best] > loss + tol:
                chosen[pos] = best
                is_chosen[j], is_chosen[best] = False, True
                counts = without + cover[best].toarray().ravel()
                improved = True
            if deadline is not None and time.perf_counter() >= deadline:
                break
    return counts


def greedy_swap(
    *, cover: sp.csr_matrix, weights: FloatArray, k: int, deadline: float | None = None,
    perturb_seconds: float = 0.0, seed: int = 0,
) -> IntArray:
    """Greedy by marginal gain, then first-improvement 1-swaps until none improves (or the deadline).

    With ``perturb_seconds`` > 0, an iterated local search follows: replace 3 random chosen rows by
    random others, descend by 1-swaps again, keep the result when it is at least as good; stops after
    that time or 200 perturbations in a row without a better answer. Seeded, so reproducible.
    """
    cover = sp.csr_matrix(cover, dtype=np.float64)
    n_cand = cover.shape[0]
    counts = np.zeros(cover.shape[1])
    chosen: list[int] = []
    is_chosen = np.zeros(n_cand, dtype=bool)
    for _ in range(k):
        gains = cover @ (weights * (counts == 0))
        gains[is_chosen] = -1.0
        j = int(np.argmax(gains))
        chosen.append(j)
        is_chosen[j] = True
        counts += cover[j].toarray().ravel()
    counts = _swap_descent(cover=cover, weights=weights, chosen=chosen, counts=counts, deadline=deadline)
    if perturb_seconds > 0 and k < n_cand:
        stop = time.perf_counter() + perturb_seconds
        if deadline is not None:
            stop = min(stop, deadline)
        rng = np.random.default_rng(seed)
        best, best_obj = list(chosen), float(weights[counts > 0].sum())
        current, current_obj = list(chosen), best_obj
        n_swap, stale = min(3, k, n_cand - k), 0
        while time.perf_counter() < stop and stale < 200:
            trial = list(current)
            others = np.setdiff1d(np.arange(n_cand), trial)
            for pos, other in zip(rng.choice(k, n_swap, replace=False), rng.choice(others, n_swap, replace=False),
                                  strict=True):
                trial[pos] = int(other)
            t_counts = np.asarray(cover[trial].sum(axis=0)).ravel()
            t_counts = _swap_descent(cover=cover, weights=weights, chosen=trial, counts=t_counts, deadline=stop)
            obj = float(weights[t_counts > 0].sum())
            stale = 0 if obj > best_obj else stale + 1
            if obj >= current_obj:
                current, current_obj = trial, obj
            if obj > best_obj:
                best, best_obj = list(trial), obj
        chosen = best
    return np.sort(np.asarray(chosen, dtype=np.int64))


def solve_mclp(
    *, cover: sp.csr_matrix, weights: ArrayLike, k: int, time_limit_s: float = 60.0,
    method: Literal["auto", "milp", "greedy"] = "auto", mip_rel_gap: float = 0.0,
) -> MclpSolution:
    """Choose exactly k rows of the boolean ``cover`` (candidates x demand) maximising covered weight."""
    cover = sp.csr_matrix(cover, dtype=bool)
    w = np.asarray(weights, dtype=float)
    n_cand, n_dem = cover.shape
    if w.shape != (n_dem,):
        raise ValueError("weights must have one value per demand point")
    if np.any(w < 0) or not np.all(np.isfinite(w)):
        raise ValueError("weights must be finite and non-negative")
    if not isinstance(k, int | np.integer) or k < 1:
        raise ValueError(f"k must be a positive integer, got {k!r}")
    if k > n_cand:
        raise ValueError(f"k = {k} is larger than the {n_cand} candidates")
    if not time_limit_s > 0:
        raise ValueError("time_limit_s must be positive")
    start = time.perf_counter()
    # demand no candidate reaches, or with no weight, cannot change the choice
    useful = np.flatnonzero((np.asarray(cover.sum(axis=0)).ravel() > 0) & (w > 0))
    sub = cover[:, useful].tocsr()
    sw = w[useful]
    perturb = 0.0 if method == "greedy" else min(10.0, 0.1 * time_limit_s)
    g_chosen = greedy_swap(
        cover=sub, weights=sw, k=int(k), deadline=start + time_limit_s, perturb_seconds=perturb,
    )
    g_obj = covered_weight(cover=sub, weights=sw, chosen=g_chosen)
    g_seconds = time.perf_counter() - start
    if method == "greedy" or useful.size == 0:
        return MclpSolution(
            chosen=g_chosen, objective=g_obj, method="greedy+swap",
            status="greedy only" if useful.size else "optimal (nothing to cover)",
            best_bound=None if useful.size else 0.0, gap=None if useful.size else 0.0,
            greedy_objective=g_obj, milp_seconds=None, greedy_seconds=g_seconds,
        )
    # Reductions that keep the optimum: demand points with the same candidate set become one weighted
    # row, and a candidate whose set is contained in another's is dropped (with "at most k" opened,
    # padded back to exactly k afterwards, which never lowers the covered weight).
    col_sets = sub.T.tocsr()
    col_sets.sort_indices()
    keys = [col_sets.indices[col_sets.indptr[i] : col_sets.indptr[i + 1]].tobytes() for i in range(useful.size)]
    _, first, inverse = np.unique(np.asarray(keys, dtype=object), return_index=True, return_inverse=True)
    agg_w = np.bincount(inverse.ravel(), weights=sw)
    agg = sub[:, first].tocsr().astype(float)
    size = np.asarray(agg.sum(axis=1)).ravel()
    inter = (agg @ agg.T).toarray()
    np.fill_diagonal(inter, -1)
    contained = inter >= size[:, None]  # contained[j, i]: set j within set i
    equal = contained & contained.T
    dominated = (contained & ~equal).any(axis=1) | (np.triu(equal, 1).T).any(axis=1) | (size == 0)
    keep = np.flatnonzero(~dominated)
    model = agg[keep].tocsr()
    n_model, m = keep.size, first.size
    c = np.concatenate([np.zeros(n_model), -agg_w])
    cover_rows = sp.hstack([-model.T, sp.identity(m, format="csr")], format="csr")
    pick_k = sp.csr_matrix(np.concatenate([np.ones(n_model), np.zeros(m)])[None, :])
    # The greedy+swap objective as a constraint (the optimum is at least that): HiGHS may prune every
    # node whose bound falls below it. It never removes the optimum, so the bound stays a valid bound on
    # the original problem; the slack only absorbs rounding in the sum of float weights.
    floor = g_obj - 1e-9 * max(1.0, float(sw.sum()))
    objective_row = sp.csr_matrix(np.concatenate([np.zeros(n_model), agg_w])[None, :])
    constraints = [
        LinearConstraint(cover_rows, -np.inf, 0.0),
        LinearConstraint(pick_k, 0, k),
        LinearConstraint(objective_row, floor, np.inf),
    ]
    integrality = np.concatenate([np.ones(n_model), np.zeros(m)])
    remaining = max(0.1, time_limit_s - g_seconds)
    t0 = time.perf_counter()
    res = milp(
        c, integrality=integrality, bounds=Bounds(0.0, 1.0), constraints=constraints,
        options={"time_limit": remaining, "mip_rel_gap": mip_rel_gap, "disp": False},
    )
    bound = None if res.get("mip_dual_bound") is None else -float(res.mip_dual_bound)
    lp_bound = False
    if res.x is None and res.status == 1:
        # Stopped before HiGHS found a solution above the floor: SciPy then reports no bound, so take the
        # LP relaxation of the model without the floor, a proven (weaker) upper bound.
        lp = milp(c, integrality=np.zeros_like(integrality), bounds=Bounds(0.0, 1.0), constraints=constraints[:2],
                  options={"time_limit": max(1.0, 0.1 * time_limit_s), "disp": False})
        if lp.status == 0 and lp.fun is not None:
            bound, lp_bound = -float(lp.fun), True
    milp_seconds = time.perf_counter() - t0
    if res.x is not None:
        picked = keep[res.x[:n_model] > 0.5]
        pad = np.setdiff1d(np.arange(n_cand), picked)[: k - picked.size]
        m_chosen = np.sort(np.concatenate([picked, pad]).astype(np.int64))
        m_obj = covered_weight(cover=sub, weights=sw, chosen=m_chosen)
    else:
        m_chosen, m_obj = g_chosen, -math.inf
    use_milp = m_obj >= g_obj
    chosen, obj = (m_chosen, m_obj) if use_milp else (g_chosen, g_obj)
    if bound is not None and math.isfinite(bound):
        bound = max(bound, obj)  # HiGHS's bound can sit a rounding error below a proven optimum
        gap = 0.0 if bound <= 0 else (bound - obj) / bound
        gap = 0.0 if gap < 1e-9 else gap
    else:
        bound, gap = None, None
    if res.status == 0 and gap is not None and gap <= mip_rel_gap + 1e-9:
        status = "optimal" if gap == 0 else f"within the requested gap {mip_rel_gap:g}"
    elif res.status == 1:
        status = "time limit (bound from the LP relaxation)" if lp_bound else "time limit"
    else:
        status = f"MILP did not finish: {res.message}"
    return MclpSolution(
        chosen=chosen, objective=obj, method="milp" if use_milp else "greedy+swap", status=status,
        best_bound=bound, gap=gap, greedy_objective=g_obj, milp_seconds=milp_seconds, greedy_seconds=g_seconds,
    )


@dataclass(frozen=True)
class SitingResult:
    solution: MclpSolution
    chosen: IntArray  # indices into the candidates
    newly_covered_residents: float
    already_covered_residents: float
    uncovered_before_residents: float  # residents beyond the threshold before the new centers
    threshold_min: float
    speed_kmh: float


def site_new_centers(
    *, network: Network, demand: SnappedPoints, residents: ArrayLike, candidates: SnappedPoints,
    existing: SnappedPoints | None, k: int, threshold_min: float = 15.0, speed_kmh: float = DEFAULT_SPEED_KMH,
    time_limit_s: float = 60.0, method: Literal["auto", "milp", "greedy"] = "auto", mip_rel_gap: float = 0.0,
) -> SitingResult:
    """Choose k candidates maximising residents newly within ``threshold_min`` (rule in the module docstring).

    Coverage sets come from one bounded Dijkstra per candidate (``limit`` = the threshold distance),
    run in batches, over only the demand the existing centers leave uncovered.
    """
    w = np.asarray(residents, dtype=float)
    if w.shape != (len(demand),):
        raise ValueError("residents must have one value per demand point")
    limit_m = minutes_to_metres(minutes=threshold_min, speed_kmh=speed_kmh)
    valid_cand = np.flatnonzero(candidates.valid)
    if not isinstance(k, int | np.integer) or k < 1:
        raise ValueError(f"k must be a positive integer, got {k!r}")
    if k > valid_cand.size:
        raise ValueError(f"k = {k} is larger than the {valid_cand.size} usable candidates")
    covered = np.zeros(len(demand), dtype=bool)
    if existing is not None and len(existing):
        times = walking_times(
            network=network, centers=existing, points=demand, speed_kmh=speed_kmh, limit_min=threshold_min
        )
        covered = times.distance_m <= limit_m
    open_demand = np.flatnonzero(~covered & demand.valid & (w > 0))
    cover = reachable_pairs(
        network=network, sources=candidates.subset(valid_cand), targets=demand.subset(open_demand), limit_m=limit_m
    )
    solution = solve_mclp(
        cover=cover, weights=w[open_demand], k=int(k), time_limit_s=time_limit_s, method=method,
        mip_rel_gap=mip_rel_gap,
    )
    return SitingResult(
        solution=solution, chosen=valid_cand[solution.chosen], newly_covered_residents=solution.objective,
        already_covered_residents=float(w[covered].sum()), uncovered_before_residents=float(w[~covered].sum()),
        threshold_min=float(threshold_min), speed_kmh=speed_kmh,
    )
