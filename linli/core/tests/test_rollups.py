"""Figures from rollups equal the live computation from records, after any sequence of the services'
own calls and a refresh; pages say "as of" and read one community's rollup for one community."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from linli.accounts.models import Role
from linli.activities import services as activities
from linli.activities.testing import activity, shift_to
from linli.cases import services as cases
from linli.cases.models import Case, Kind
from linli.cases.tests.conftest import item, new_case, world  # noqa: F401 (fixture)
from linli.core import rollups, stats
from linli.core.models import RollupMark
from linli.core.testing import HouseholdFactory, PersonFactory, UserFactory, grant
from linli.grids import services as grids
from linli.volunteers import services as volunteers

ACTIONS = ["register", "check_in", "cancel_registration", "order", "dispatch", "accept", "complete", "rate",
           "concern", "close", "dispute", "escalate", "visit", "service_record", "confirm_record"]


@pytest.fixture
def town(world):  # noqa: F811
    w = dict(world)
    w["grid_user"] = grant(UserFactory(username="grid_a1"), Role.Kind.GRID_WORKER, w["A"].children.first())
    w["households"] = [HouseholdFactory(division=w["A"].children.first()) for _ in range(3)]
    w["persons"] = [PersonFactory(division=w["A"].children.first()) for _ in range(6)]
    now = timezone.now()
    w["later"] = activity(by=w["staff"], division=w["A"], capacity=3, start=now + dt.timedelta(days=3))
    today = activity(by=w["staff"], division=w["A"], capacity=10, start=now + dt.timedelta(days=2))
    w["today"] = today.occurrences.get()
    for p in w["persons"][:4]:
        activities.registration_create(occurrence=w["today"], person=p, by=w["staff"])
    shift_to(w["today"], start=now - dt.timedelta(minutes=30), end=now + dt.timedelta(hours=1))
    return w


def _do(w, action: str, n: int) -> None:
    """One service call chosen by the test; a call the rules refuse is a no-op, as for a user."""
    pick = lambda seq: seq[n % len(seq)] if seq else None  # noqa: E731
    later = w["later"].occurrences.get()
    open_cases = list(Case.objects.exclude(status=Case.Status.CLOSED).order_by("pk"))
    case = pick(open_cases)
    try:
        if action == "register":
            activities.registration_create(occurrence=later, person=pick(w["persons"]), by=w["staff"])
        elif action == "check_in":
            reg = pick(list(w["today"].registrations.order_by("pk")))
            activities.check_in_by_staff(registration=reg, by=w["staff"], undo=n % 5 == 0)
        elif action == "cancel_registration":
            reg = pick(list(later.registrations.filter(status="confirmed").order_by("pk")))
            if reg:
                activities.registration_cancel(registration=reg, by=w["staff"])
        elif action == "order":
            new_case(w)
        elif action == "concern":
            new_case(w, Kind.CONCERN)
        elif action == "dispute":
            new_case(w, Kind.DISPUTE)
        elif action == "dispatch" and case:
            cases.case_dispatch(case=case, by=w["staff"], team=w["team"])
        elif action == "accept" and case:
            cases.case_accept(case=case, by=w["vol_user"])
        elif action == "complete" and case:
            cases.case_complete(case=case, by=w["vol_user"], report="已办好", hours=Decimal("1.5"))
        elif action == "rate" and case:
            cases.case_rate(case=case, by=w["resident"], rating=1 + n % 5)
        elif action == "close" and case:
            cases.case_close(case=case, by=w["staff"], answer="已处理")
        elif action == "escalate" and case:
            cases.case_escalate(case=case, by=w["staff"], reason="需要县里协调")
        elif action == "visit":
            grids.visit_record(by=w["grid_user"], household=pick(w["households"]),
                               visited_on=timezone.localdate() - dt.timedelta(days=n * 7))
        elif action == "service_record":
            start = timezone.now() - dt.timedelta(days=1 + n)
            volunteers.service_record_add(volunteer=w["volunteer"], by=w["staff"], content="助老服务",
                                          start=start, end=start + dt.timedelta(hours=2), hours=Decimal(2))
        elif action == "confirm_record":
            rec = pick(list(w["volunteer"].records.filter(status="pending").order_by("pk")))
            if rec:
                volunteers.service_record_confirm(record=rec, by=w["staff"])
    except (ValidationError, PermissionDenied):
        pass


def _viewers(w):
    return [None, w["county_admin"], w["staff"], w["staff_b"], w["grid_user"]]


@settings(max_examples=10, deadline=None, derandomize=True, phases=[Phase.explicit, Phase.generate],
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(calls=st.lists(st.tuples(st.sampled_from(ACTIONS), st.integers(0, 20)), min_size=1, max_size=14))
def test_rollups_equal_the_live_figures_after_any_sequence_of_service_calls(town, calls):
    for action, n in calls:
        _do(town, action, n)
    rollups.refresh_all()
    for user in _viewers(town):
        user = user and type(user).objects.get(pk=user.pk)  # a fresh request's user
        live = stats.figures(user)
        cached, as_of = rollups.figures(user)
        assert cached == live, user
        cache.clear()  # and from the table, not only the cache
        assert rollups.figures(user)[0] == live
        assert as_of is not None


@settings(max_examples=10, deadline=None, derandomize=True, phases=[Phase.explicit, Phase.generate],
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(first=st.lists(st.tuples(st.sampled_from(ACTIONS), st.integers(0, 20)), max_size=6),
       calls=st.lists(st.tuples(st.sampled_from(ACTIONS), st.integers(0, 20)), min_size=1, max_size=14))
def test_the_incremental_refresh_equals_the_live_figures_after_any_sequence(town, first, calls):
    """The scheduled refresh recomputes only the scopes whose divisions were marked by the writes since
    the last refresh (decision 0026): after any sequence, every viewer's rollups still equal live."""
    for action, n in first:
        _do(town, action, n)
    rollups.refresh_all()
    for user in _viewers(town):
        rollups.figures(user)  # every viewer's scope is known (grids, several grants) before the writes
    for action, n in calls:
        _do(town, action, n)
    rollups.refresh_changed()
    cache.clear()
    for user in _viewers(town):
        user = user and type(user).objects.get(pk=user.pk)
        assert rollups.figures(user)[0] == stats.figures(user), user
    assert not RollupMark.objects.exists()  # the marks read are gone


def test_the_incremental_refresh_recomputes_only_what_a_write_touched(town):
    """Only the sections that read the written table, of the scopes covering the write's division."""
    from linli.core.models import Rollup

    rollups.refresh_all()
    always = rollups.refresh_changed()  # nothing written, nothing old: only the ALWAYS sections
    assert always == len([r for r in Rollup.objects.all() if r.section in rollups.ALWAYS])
    new_case(town)  # in community A
    touched = {(m.path, m.table) for m in RollupMark.objects.all()}
    assert touched and all(p.startswith(town["A"].path) for p, _t in touched)
    before = {(r.scope, r.section): (r.computed_at, set(r.tables)) for r in Rollup.objects.all()}
    n = rollups.refresh_changed()
    redone = {(r.scope, r.section) for r in Rollup.objects.all() if r.computed_at != before[(r.scope, r.section)][0]}
    redone -= {(s, name) for s, name in redone if name in rollups.ALWAYS}
    assert n == len(redone) + always and (rollups.ALL, "cases") in redone and (town["A"].path, "cases") in redone
    assert (rollups.ALL, "core") not in redone and (town["B"].path, "cases") not in redone
    for scope, section in redone:
        assert any(rollups.covers(scope, p) and t in before[(scope, section)][1] for p, t in touched)
    # A day later everything is recomputed once (figures relative to today).
    assert rollups.refresh_changed(now=timezone.now() + dt.timedelta(days=1)) == Rollup.objects.count()


def test_a_write_shows_after_the_refresh_and_the_page_says_as_of(town, client):
    before, _ = rollups.section("cases", town["staff"])
    new_case(town)
    assert rollups.section("cases", town["staff"])[0] == before  # not live: as of the last refresh
    rollups.refresh_all()
    after, as_of = rollups.section("cases", town["staff"])
    assert after["total"] == before["total"] + 1
    client.force_login(town["staff"])
    page = client.get("/cases/figures/")
    assert page.status_code == 200 and b'data-testid="as-of"' in page.content


def test_a_community_reads_only_its_own_rollup(town):
    rollups.refresh_all()
    for u in _viewers(town)[1:]:
        rollups.section("cases", u)
    with CaptureQueriesContext(connection) as ctx:
        cache.clear()
        data, _ = rollups.section("cases", town["staff"], division=town["A"])
    assert data == stats._SECTIONS["cases"](rollups.viewer(town["A"].path))
    sql = " ".join(q["sql"] for q in ctx.captured_queries)
    assert "cases_case" not in sql  # the rollup row, not the cases
    assert rollups.within(rollups.scope_of(town["county_admin"]), town["A"]) == town["A"].path
    assert rollups.within(rollups.scope_of(town["staff_b"]), town["A"]) == ""


def test_figures_pages_take_odd_parameters_without_error(town, client):
    rollups.refresh_all()
    client.force_login(town["county_admin"])
    for query in ("?page=-1", "?page=999999999999999999999", "?division=abc", "?q=" + "字" * 10000,
                  "?page_size=10000000", "?%00=%ff"):
        for path in ("/cases/figures/", "/", "/classroom/"):
            assert client.get(path + query).status_code == 200, path + query


def test_linli_stats_reads_rollups_and_live_computes(town, capsys):
    from linli import cli

    rollups.refresh_all()
    new_case(town)
    cli._print_figures(as_json=True)
    rolled = capsys.readouterr().out
    cli._print_figures(as_json=True, live=True)
    live = capsys.readouterr().out
    import json

    assert json.loads(live)["cases"]["total"] == json.loads(rolled)["cases"]["total"] + 1
    assert set(json.loads(live)) == set(json.loads(rolled))
