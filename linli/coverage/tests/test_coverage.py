import numpy as np
import pytest

from linli.coverage.engine import coverage_figures, uncovered_clusters

from .helpers import to_lonlat


def test_shares_per_threshold_overall_and_per_group():
    minutes = np.array([3.0, 5.0, 9.0, 12.0, 15.0, 16.0, np.inf, 7.0])
    residents = np.array([1, 2, 3, 4, 5, 6, 7, 8])
    community = ["A", "A", "A", "A", "B", "B", "B", "B"]
    figures = coverage_figures(minutes=minutes, residents=residents, groups={"community": community})
    overall = figures.overall
    assert overall.households_within == {5.0: 2, 10.0: 4, 15.0: 6}
    assert overall.households_share(15.0) == pytest.approx(6 / 8)
    assert overall.residents_share(5.0) == pytest.approx(3 / 36)
    assert overall.residents_share(15.0) == pytest.approx((1 + 2 + 3 + 4 + 5 + 8) / 36)
    assert overall.unreachable_households == 1
    a, b = figures.by_group["community"]["A"], figures.by_group["community"]["B"]
    assert a.households_share(15.0) == 1.0 and a.residents_share(5.0) == pytest.approx(3 / 10)
    assert b.households_share(10.0) == pytest.approx(1 / 4) and b.residents_share(15.0) == pytest.approx(13 / 26)
    assert figures.uncovered.tolist() == [5, 6]  # 16 min and unreachable
    data = figures.as_dict()
    assert data["overall"]["households_within_15min_share"] == pytest.approx(0.75)


def test_empty_group_share_is_none_not_zero():
    figures = coverage_figures(minutes=np.array([]), residents=np.array([]))
    assert figures.overall.households_share(15.0) is None


@pytest.mark.parametrize("thresholds", [(0,), (-5, 10), ()])
def test_zero_or_negative_thresholds_are_rejected(thresholds):
    with pytest.raises(ValueError):
        coverage_figures(minutes=[1.0], thresholds=thresholds)


def test_uncovered_households_cluster_by_radius():
    # two tight groups 1 km apart and one lone household
    x = np.array([0, 40, 80, 1000, 1050, 3000.0])
    y = np.array([0, 0, 30, 0, 20, 3000.0])
    lon, lat = to_lonlat(x, y)
    clusters = uncovered_clusters(lon=lon, lat=lat, residents=[1, 1, 1, 4, 4, 2], radius_m=60)
    assert [sorted(c.households.tolist()) for c in clusters] == [[3, 4], [0, 1, 2], [5]]
    assert [c.residents for c in clusters] == [8, 3, 2]
    c_lon, c_lat = to_lonlat(1025, 10)
    assert clusters[0].lon == pytest.approx(float(c_lon), abs=1e-6)
    assert clusters[0].lat == pytest.approx(float(c_lat), abs=1e-6)
    assert len(uncovered_clusters(lon=lon, lat=lat, radius_m=60, min_households=2)) == 2


def test_group_keys_keep_their_type_and_mixed_keys_group_by_text():
    minutes = np.array([1.0, 20.0, 1.0, 1.0])
    by_int = coverage_figures(minutes=minutes, groups={"grid": np.array([7, 7, 8, 8])}).by_group["grid"]
    assert set(by_int) == {7, 8} and by_int[7].households_share(15.0) == 0.5
    mixed = coverage_figures(minutes=minutes, groups={"grid": [1, "1", None, None]}).by_group["grid"]
    assert len(mixed) == 2 and mixed[None].households == 2


@pytest.mark.parametrize(
    "keys",
    [
        np.array([5, -3, 5, 7, -3, 2]),  # narrow range with negatives: counted, not sorted
        np.array([10**12, 3, 10**12, 3, 3, 42]),  # wide range: sorted
        np.array(["b", "a", "b", "c", "a", "a"]),
    ],
)
def test_groups_count_the_same_whichever_way_keys_are_factorised(keys):
    minutes = np.array([1.0, 20.0, 4.0, np.inf, 12.0, 15.0])
    figures = coverage_figures(minutes=minutes, residents=np.arange(1.0, 7.0), groups={"g": keys})
    rows = figures.by_group["g"]
    assert list(rows) == sorted(set(keys.tolist()))
    for key, row in rows.items():
        mine = keys == key
        assert row.households == mine.sum()
        assert row.households_within[15.0] == np.count_nonzero(minutes[mine] <= 15)
        assert row.residents_within[5.0] == np.arange(1.0, 7.0)[mine & (minutes <= 5)].sum()
        assert row.unreachable_households == np.count_nonzero(np.isinf(minutes[mine]))
        assert type(key) is type(keys[0].item())
