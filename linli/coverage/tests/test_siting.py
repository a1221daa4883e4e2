import itertools

import numpy as np
import pytest
import scipy.sparse as sp

from linli.coverage.engine import (
    minutes_to_metres,
    points_at_nodes,
    site_new_centers,
    snap_points,
    solve_mclp,
    walking_times,
)
from linli.coverage.engine.siting import covered_weight, greedy_swap

from .helpers import grid_network, to_lonlat


def _brute_force(cover: np.ndarray, weights: np.ndarray, k: int) -> float:
    return max(weights[cover[list(c)].any(axis=0)].sum() for c in itertools.combinations(range(cover.shape[0]), k))


@pytest.mark.parametrize("seed", range(6))
def test_milp_optimum_equals_brute_force_and_beats_or_ties_greedy(seed):
    rng = np.random.default_rng(seed)
    cover = rng.random((10, 40)) < 0.18
    weights = rng.integers(1, 9, 40).astype(float)
    for k in (1, 2, 3, 4):
        solution = solve_mclp(cover=sp.csr_matrix(cover), weights=weights, k=k, time_limit_s=30)
        assert solution.objective == pytest.approx(_brute_force(cover, weights, k))
        assert solution.status == "optimal" and solution.gap == 0.0
        assert solution.objective >= solution.greedy_objective
        assert solution.chosen.size == k
        assert solution.best_bound == pytest.approx(solution.objective)


def test_greedy_only_is_reported_without_a_bound():
    cover = sp.csr_matrix(np.eye(4, dtype=bool))
    solution = solve_mclp(cover=cover, weights=np.array([1.0, 5, 3, 2]), k=2, method="greedy")
    assert solution.objective == 8 and solution.method == "greedy+swap" and solution.gap is None


def test_k_larger_than_the_candidates_is_a_clear_error():
    with pytest.raises(ValueError, match="larger than"):
        solve_mclp(cover=sp.csr_matrix(np.eye(3, dtype=bool)), weights=np.ones(3), k=4)
    with pytest.raises(ValueError):
        solve_mclp(cover=sp.csr_matrix(np.eye(3, dtype=bool)), weights=np.ones(3), k=0)


def test_siting_on_a_network_keeps_existing_centers_and_matches_brute_force():
    rng = np.random.default_rng(2)
    net = grid_network(nx=12, ny=12, spacing_m=120)
    x, y = rng.uniform(0, 1320, 150), rng.uniform(0, 1320, 150)
    demand = snap_points(network=net, lon=to_lonlat(x, y)[0], lat=to_lonlat(x, y)[1])
    residents = rng.integers(1, 6, 150).astype(float)
    existing = points_at_nodes(network=net, nodes=[0])
    cand_nodes = rng.choice(net.n_nodes, 9, replace=False)
    candidates = points_at_nodes(network=net, nodes=cand_nodes)
    threshold = 6.0
    result = site_new_centers(
        network=net, demand=demand, residents=residents, candidates=candidates, existing=existing, k=3,
        threshold_min=threshold,
    )
    limit = minutes_to_metres(minutes=threshold)
    covered_before = walking_times(network=net, centers=existing, points=demand).distance_m <= limit
    per_cand = np.array([
        walking_times(network=net, centers=candidates.subset([j]), points=demand).distance_m <= limit
        for j in range(len(candidates))
    ])

    def newly(combo):
        return residents[per_cand[list(combo)].any(axis=0) & ~covered_before].sum()

    best = max(newly(c) for c in itertools.combinations(range(len(candidates)), 3))
    assert result.newly_covered_residents == pytest.approx(best)
    assert newly(result.chosen) == pytest.approx(best)
    assert result.already_covered_residents == pytest.approx(residents[covered_before].sum())


def test_milp_with_the_greedy_floor_still_proves_optimality_when_greedy_is_optimal():
    # greedy is optimal here, so the objective floor is tight: the MILP must still find and prove it
    cover = sp.csr_matrix(np.eye(4, dtype=bool))
    solution = solve_mclp(cover=cover, weights=np.array([1.0, 5, 3, 2]), k=2, time_limit_s=10)
    assert solution.objective == 8 and solution.status == "optimal" and solution.gap == 0.0
    assert solution.chosen.tolist() == [1, 2]


@pytest.mark.parametrize("seed", range(4))
def test_local_search_is_reproducible_and_never_worse_than_greedy_swap(seed):
    rng = np.random.default_rng(seed)
    cover = sp.csr_matrix(rng.random((12, 60)) < 0.15)
    weights = rng.integers(1, 9, 60).astype(float)
    plain = greedy_swap(cover=cover, weights=weights, k=3)
    searched = greedy_swap(cover=cover, weights=weights, k=3, perturb_seconds=5, seed=1)
    again = greedy_swap(cover=cover, weights=weights, k=3, perturb_seconds=5, seed=1)
    assert searched.tolist() == again.tolist() and searched.size == 3
    got = covered_weight(cover=cover, weights=weights, chosen=searched)
    assert got >= covered_weight(cover=cover, weights=weights, chosen=plain)
    assert got <= _brute_force(cover.toarray(), weights, 3)


def test_a_milp_stopped_before_any_solution_still_reports_a_proven_bound(monkeypatch):
    # SciPy gives no bound when HiGHS stops without a solution; the LP relaxation bound is used instead
    from scipy.optimize import OptimizeResult

    from linli.coverage.engine import siting

    real_milp, calls = siting.milp, []

    def stopped_first(*args, **kwargs):
        calls.append(kwargs["integrality"].copy())
        if len(calls) == 1:
            return OptimizeResult(status=1, x=None, fun=None, mip_dual_bound=None, message="time limit")
        return real_milp(*args, **kwargs)

    monkeypatch.setattr(siting, "milp", stopped_first)
    rng = np.random.default_rng(3)
    cover = rng.random((10, 40)) < 0.18
    weights = rng.integers(1, 9, 40).astype(float)
    solution = solve_mclp(cover=sp.csr_matrix(cover), weights=weights, k=3, time_limit_s=10)
    assert len(calls) == 2 and not calls[1].any()  # the second solve is the LP relaxation
    assert solution.status == "time limit (bound from the LP relaxation)" and solution.method == "greedy+swap"
    assert solution.best_bound >= _brute_force(cover, weights, 3) - 1e-9
    assert solution.gap == pytest.approx((solution.best_bound - solution.objective) / solution.best_bound)
