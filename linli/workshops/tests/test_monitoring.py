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


def _household_page(client, household):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"/people/households/{household.pk}/")
    assert response.status_code == 200
    return response.content.decode(), len(queries)


def test_the_household_page_shows_its_workshop_income_of_the_monitoring_year_audited_in_bounded_queries(world,
                                                                                                       client):
    from linli.core.models import AccessLog
    from linli.core.testing import HouseholdFactory
    from linli.people.models import Membership
    from linli.workshops.testing import job, workshop

    client.force_login(world["staff"])
    last = last_month()
    first, _last = selectors.monitoring_year(last)
    home = HouseholdFactory(division=world["A1"])
    head = worker(world["workshop"], person(world["A1"], tags=("tuopin",), household=home), by=world["staff"],
                  started_on=services.add_months(first, -2))
    month_of_work(head, world["sewing"], by=world["staff"], cycle=services.add_months(first, -1), per_day=100,
                  days=10)  # the previous monitoring year: 10 × 100 × 0.50 = 500
    services.pay_run_compute(by=world["staff"], workshop=world["workshop"], cycle=services.add_months(first, -1))
    month_of_work(head, world["sewing"], by=world["staff"], cycle=last, per_day=120, days=10)  # 600
    services.pay_run_compute(by=world["staff"], workshop=world["workshop"], cycle=last)

    html, one = _household_page(client, home)
    assert 'data-testid="workshop-income"' in html and "就业帮扶车间务工收入" in html
    assert 'data-testid="workshop-income-year">600.00<' in html
    assert 'data-testid="workshop-income-previous">500.00<' in html
    assert f"{last:%Y-%m}" in html and world["workshop"].name in html
    log = AccessLog.objects.filter(path=f"/people/households/{home.pk}/").latest("at")
    assert "workshop_income" in log.fields and head.person_id in log.object_ids

    # More members at more workshops: the same number of queries.
    other = workshop(world["A"], by=world["staff"], name="二车间")
    job(other, by=world["staff"])
    for i in range(3):
        p = person(world["A1"], household=home, relation=Membership.Relation.CHILD)
        worker(other if i % 2 else world["workshop"], p, by=world["staff"], started_on=last)
    _html, more = _household_page(client, home)
    assert more <= one <= 30, (one, more)  # tests/test_page_queries.py's budget; a warm cache only lowers it

    # A household none of whose members ever worked at a workshop shows no such section, and logs no such field.
    quiet = HouseholdFactory(division=world["A1"])
    person(world["A1"], household=quiet)
    html, without = _household_page(client, quiet)
    print(f"household page queries: with workshop income {one} then {more} (4 members at 2 workshops), "
          f"without {without}")
    assert 'data-testid="workshop-income"' not in html
    assert "workshop_income" not in AccessLog.objects.filter(path=f"/people/households/{quiet.pk}/").latest("at").fields


def test_the_person_page_shows_their_own_workshop_income_audited(world, client):
    from linli.core.models import AccessLog

    client.force_login(world["staff"])
    last = last_month()
    wk = worker(world["workshop"], person(world["A1"], tags=("jiance",)), by=world["staff"],
                started_on=services.add_months(last, -1))
    month_of_work(wk, world["sewing"], by=world["staff"], cycle=last, per_day=100, days=4)  # 200
    services.pay_run_compute(by=world["staff"], workshop=world["workshop"], cycle=last)
    response = client.get(f"/people/persons/{wk.person_id}/", HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()
    assert response.status_code == 200 and 'data-testid="workshop-income"' in html
    assert 'data-testid="workshop-income-year">200.00<' in html
    log = AccessLog.objects.filter(path=f"/people/persons/{wk.person_id}/").latest("at")
    assert "workshop_income" in log.fields
