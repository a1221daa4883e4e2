"""Income per month and monitoring year; households whose workshop income drops sharply, or whose member
stopped working, are listed for the grid worker's next visit."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from linli.workshops import selectors, services
from linli.workshops.testing import last_month, month_of_work, person, worker

pytestmark = pytest.mark.django_db


def _months_paid(world, wk, per_day_by_month: dict):
    for cycle, per_day in sorted(per_day_by_month.items()):
        if per_day:
            month_of_work(wk, world["sewing"], by=world["staff"], cycle=cycle, per_day=per_day, days=10)
        services.pay_run_compute(by=world["staff"], workshop=world["workshop"], cycle=cycle)


def test_the_monitoring_year_runs_october_to_september():
    assert selectors.monitoring_year(dt.date(2026, 9, 30)) == (dt.date(2025, 10, 1), dt.date(2026, 9, 30))
    assert selectors.monitoring_year(dt.date(2026, 10, 1)) == (dt.date(2026, 10, 1), dt.date(2027, 9, 30))


def test_a_sharp_drop_of_workshop_income_lists_the_household(world):
    last = last_month()
    months = [services.add_months(last, -i) for i in (3, 2, 1)]
    steady = worker(world["workshop"], person(world["A1"], tags=("tuopin",)), by=world["staff"],
                    started_on=months[0])
    dropping = worker(world["workshop"], person(world["A1"], tags=("tuopin",)), by=world["staff"],
                      started_on=months[0])
    for cycle in [*months, last]:
        month_of_work(steady, world["sewing"], by=world["staff"], cycle=cycle, per_day=200, days=10)
        month_of_work(dropping, world["sewing"], by=world["staff"], cycle=cycle,
                      per_day=200 if cycle != last else 60, days=10)
        services.pay_run_compute(by=world["staff"], workshop=world["workshop"], cycle=cycle)
    watch = selectors.relapse_watch(division=world["A"])
    assert [(w.reason, w.person_names) for w in watch] == [("income_drop", [dropping.person.name])]
    assert "300.00" in watch[0].text and "1000.00" in watch[0].text
    income = selectors.person_income(person=dropping.person)
    assert income["year_total"] + income["previous_year_total"] == Decimal("3300.00")


def test_a_member_who_stopped_working_lists_the_household(world):
    wk = worker(world["workshop"], person(world["A1"], tags=("jiance",)), by=world["staff"],
                started_on=services.add_months(last_month(), -6))
    services.worker_end(by=world["staff"], worker=wk, ended_on=last_month() + dt.timedelta(days=5), reason="生病")
    watch = selectors.relapse_watch(division=world["A"])
    assert [w.reason for w in watch] == ["stopped_work"]
    assert selectors.relapse_watch(division=world["B"]) == []
    # Working again (at another workshop) is not a stop.
    from linli.workshops.testing import workshop

    other = workshop(world["A"], by=world["staff"], name="二车间")
    worker(other, wk.person, by=world["staff"], started_on=timezone.localdate())
    assert selectors.relapse_watch(division=world["A"]) == []


def test_the_grid_workers_home_lists_the_household_to_look_in_on(world, client):
    from django.urls import reverse

    from linli.accounts.models import Role
    from linli.core.models import AccessLog
    from linli.core.testing import UserFactory, grant

    p = person(world["A1"], tags=("jiance",))
    wk = worker(world["workshop"], p, by=world["staff"], started_on=services.add_months(last_month(), -6))
    services.worker_end(by=world["staff"], worker=wk, ended_on=last_month() + dt.timedelta(days=5), reason="生病")
    home = p.memberships.get().household
    grid_worker = grant(UserFactory(), Role.Kind.GRID_WORKER, world["A1"])
    client.force_login(grid_worker)
    page = client.get(reverse("grids:home")).content.decode()
    assert 'data-testid="visit-prompts"' in page and home.address in page and world["workshop"].name in page
    assert home.pk in AccessLog.objects.filter(user=grid_worker).latest("at").object_ids
    other = grant(UserFactory(), Role.Kind.GRID_WORKER, world["A2"])
    client.force_login(other)
    assert home.address not in client.get(reverse("grids:home")).content.decode()
