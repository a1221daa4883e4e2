"""The figures are computed from the cases and their history, never typed in."""

import datetime as dt

from django.utils import timezone

from linli.cases import selectors, services
from linli.cases.models import Case, CaseEvent, Kind
from linli.cases.tests.conftest import new_case
from linli.core.stats import figures as all_figures

KEYS = {"total", "open", "by_kind", "median_hours_to_dispatch", "median_hours_to_close", "overdue_share",
        "average_rating", "disputes_resolved_in_community_share"}


def _backdate(case, hours_ago, *, due_in_hours=None):
    """Move a case and its history back in time by the same amount, like a case received hours ago."""
    shift = dt.timedelta(hours=hours_ago)
    Case.objects.filter(pk=case.pk).update(created_at=case.created_at - shift)
    for ev in CaseEvent.objects.filter(case=case):
        CaseEvent.objects.filter(pk=ev.pk).update(at=ev.at - shift)
    if due_in_hours is not None:
        Case.objects.filter(pk=case.pk).update(due_at=case.created_at - shift + dt.timedelta(hours=due_in_hours))


def _event_at(case, action, hours_after_receipt):
    created = Case.objects.get(pk=case.pk).created_at
    CaseEvent.objects.filter(case=case, action=action).update(at=created + dt.timedelta(hours=hours_after_receipt))


def test_empty_county_has_every_key_and_no_invented_numbers(world):
    f = selectors.figures()
    assert set(f) == KEYS
    assert f["total"] == 0 and f["median_hours_to_close"] is None and f["average_rating"] is None


def test_figures_from_constructed_records(world):
    w = world
    # Order 1: dispatched after 2 h, done after 10 h, rated 5 → closed after 20 h.
    o1 = new_case(w)
    services.case_dispatch(case=o1, by=w["staff"], team=w["team"])
    services.case_accept(case=o1, by=w["vol_user"])
    services.case_complete(case=o1, by=w["vol_user"], report="好")
    services.case_rate(case=o1, by=w["resident"], rating=5)
    _backdate(o1, 100)
    _event_at(o1, "dispatch", 2), _event_at(o1, "complete", 10), _event_at(o1, "rate", 20)
    # Order 2: dispatched after 4 h, rated 3 → closed after 40 h, done after its 24 h deadline (late).
    o2 = new_case(w)
    services.case_dispatch(case=o2, by=w["staff"], team=w["team"])
    services.case_accept(case=o2, by=w["vol_user"])
    services.case_complete(case=o2, by=w["vol_user"], report="好")
    services.case_rate(case=o2, by=w["resident"], rating=3)
    _backdate(o2, 100, due_in_hours=24)
    _event_at(o2, "dispatch", 4), _event_at(o2, "complete", 30), _event_at(o2, "rate", 40)
    # A concern still new and past its deadline (overdue, open).
    c1 = new_case(w, Kind.CONCERN)
    _backdate(c1, 500, due_in_hours=168)
    # Disputes: one agreed in the community, one escalated then agreed by the county, one failed.
    d1, d2, d3 = (new_case(w, Kind.DISPUTE) for _ in range(3))
    for d in (d1, d2, d3):
        services.case_dispatch(case=d, by=w["staff"])
    services.case_close(case=d1, by=w["staff"], agreement_terms="赔偿", performance="当面付清")
    services.case_escalate(case=d2, by=w["staff"], reason="金额大")
    services.case_close(case=d2, by=w["county_admin"], agreement_terms="赔偿", performance="当面付清")
    services.case_close(case=d3, by=w["staff"], resolution=Case.Resolution.UNRESOLVED, referred_to="法院")
    # A withdrawn order counts in the totals but not in the timings.
    o3 = new_case(w)
    services.case_withdraw(case=o3, by=w["resident"])

    f = selectors.figures()
    assert f["total"] == 7
    assert f["open"] == 1
    assert f["by_kind"] == {"order": 3, "concern": 1, "dispute": 3, "opinion": 0}
    # Dispatch: 2 h, 4 h and the three disputes (~0 h) → median of [0, 0, 0, 2, 4] = 0.
    assert f["median_hours_to_dispatch"] == 0.0
    # Close: orders 20 h, 40 h, disputes ~0 h ×3 → median 0; the late order and the open concern are overdue.
    assert f["median_hours_to_close"] == 0.0
    assert f["overdue_share"] == round(2 / 6, 3)
    assert f["average_rating"] == 4.0
    assert f["disputes_resolved_in_community_share"] == round(1 / 3, 3)


def test_median_hours_are_computed_from_the_history(world):
    w = world
    for hours in (2, 4, 9):
        o = new_case(w)
        services.case_dispatch(case=o, by=w["staff"], team=w["team"])
        _backdate(o, 50)
        _event_at(o, "dispatch", hours)
    assert selectors.figures()["median_hours_to_dispatch"] == 4.0


def test_stats_section_is_registered_and_scoped(world):
    new_case(world)
    out = all_figures()
    assert set(out["cases"]) == KEYS and out["cases"]["total"] == 1
    assert selectors.figures(world["staff_b"])["total"] == 0
    assert selectors.figures(world["staff"])["total"] == 1


def test_a_done_order_waiting_for_its_rating_is_not_overdue(world):
    w = world
    o = new_case(w)
    services.case_dispatch(case=o, by=w["staff"], team=w["team"])
    services.case_accept(case=o, by=w["vol_user"])
    services.case_complete(case=o, by=w["vol_user"], report="好")
    # Done two hours ago, the deadline passed an hour ago: the resident has not rated yet.
    CaseEvent.objects.filter(case=o, action="complete").update(at=timezone.now() - dt.timedelta(hours=2))
    Case.objects.filter(pk=o.pk).update(due_at=timezone.now() - dt.timedelta(hours=1))
    o.refresh_from_db()
    assert not o.is_overdue
    assert selectors.figures()["overdue_share"] == 0.0
