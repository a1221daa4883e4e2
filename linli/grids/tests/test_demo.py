"""The demo county's grids: a boundary for every grid, households inside them (but a few), workers with
dates, a year of visits, a finished campaign at 100% and a running one with gaps."""

import datetime as dt

import pytest
from django.utils import timezone
from shapely.geometry import shape

from linli.accounts.models import User
from linli.core.stats import figures
from linli.demo import generator
from linli.divisions.models import Division
from linli.grids import selectors
from linli.grids.models import Campaign, GridAssignment, Visit


@pytest.fixture
def demo(db):
    return generator.build(households_per_grid=8)


def test_every_demo_grid_has_a_valid_boundary_and_neighbours_do_not_overlap(demo):
    grids = list(Division.objects.filter(level=Division.Level.GRID))
    assert grids and all(g.boundary for g in grids)
    for g in grids:
        poly = shape(g.boundary)
        assert poly.is_valid and poly.area > 0
        for other in grids:
            if other.parent_id == g.parent_id and other.pk != g.pk:
                assert poly.intersection(shape(other.boundary)).area < 1e-9


def test_households_lie_in_their_grids_except_the_ones_meant_to_be_checked(demo):
    county = User.objects.get(username="county")
    mismatches = selectors.location_mismatches(user=county)
    assert len(mismatches) == Division.objects.filter(level=Division.Level.COMMUNITY).count()
    assert all(h.located_in is not None and h.located_in.parent_id == h.division.parent_id for h in mismatches)


def test_the_demo_grid_worker_has_a_short_day(demo):
    grid = User.objects.get(username="grid")
    assert GridAssignment.objects.filter(user=grid, grid__name="东门社区第1网格", end_date__isnull=True).exists()
    assert [c.title for c, _h, _n in selectors.open_campaign_households(user=grid)] == ["创建全国文明城市·入户宣传"]


def test_one_grid_has_no_current_worker(demo):
    county = User.objects.get(username="county")
    assert sum(1 for g in selectors.grid_list(user=county) if not g.current_assignments) == 1


def test_a_year_of_visits_and_two_campaigns(demo):
    today = timezone.localdate()
    first = Visit.objects.order_by("visited_on").first().visited_on
    assert today - dt.timedelta(days=366) <= first <= today - dt.timedelta(days=300)
    county = User.objects.get(username="county")
    done, running = (Campaign.objects.get(title__startswith=t) for t in ("春节", "创建"))
    assert selectors.campaign_report(user=county, campaign=done).unreached_count == 0
    report = selectors.campaign_report(user=county, campaign=running)
    assert 0 < report.unreached_count < report.total
    out = figures()
    assert set(out["visits"]) == {"total", "last_30_days", "overdue_care_visits"}
    assert out["visits"]["overdue_care_visits"] > 0 and out["campaigns"]["running"] == 1
    assert 0 < out["campaigns"]["households_reached_share"] < 1
