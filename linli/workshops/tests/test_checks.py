"""Each of the county office's checks finds what it is about, and nothing on a clean workshop."""

import datetime as dt

import pytest
from django.utils import timezone

from linli.workshops import selectors, services
from linli.workshops.models import LedgerRow, WorkRecord
from linli.workshops.testing import last_month, month_of_work, person, worker, workshop

pytestmark = pytest.mark.django_db


def test_a_clean_workshop_has_no_findings(world):
    wk = worker(world["workshop"], person(world["A1"], tags=("tuopin",)), by=world["staff"],
                started_on=services.add_months(last_month(), -1))
    month_of_work(wk, world["sewing"], by=world["staff"], cycle=last_month(), days=5)
    month_of_work(wk, world["sewing"], by=world["staff"], cycle=services.add_months(last_month(), -1), days=5)
    services.pay_run_compute(by=world["staff"], workshop=world["workshop"], cycle=services.add_months(last_month(), -1))
    services.pay_run_compute(by=world["staff"], workshop=world["workshop"], cycle=last_month())
    found = selectors.county_checks(user=world["office"])
    assert {k: v for k, v in found.items() if v and k != "idle_workshops"} == {}


def test_a_poor_worker_counted_at_two_workshops_in_the_same_period(world):
    other = workshop(world["B"], by=world["office"], name="另一车间")
    p = person(world["A1"], tags=("tuopin",))
    worker(world["workshop"], p, by=world["staff"], started_on=dt.date(2025, 1, 1))
    worker(other, p, by=world["office"], started_on=dt.date(2025, 6, 1))
    found = selectors.check_double_counted(user=world["office"])
    assert len(found) == 1 and p.name in found[0].text
    # Not a poor worker: not this check's business.
    q = person(world["A1"])
    worker(world["workshop"], q, by=world["staff"], started_on=dt.date(2025, 1, 1))
    worker(other, q, by=world["office"], started_on=dt.date(2025, 1, 1))
    assert len(selectors.check_double_counted(user=world["office"])) == 1


def test_wages_below_the_pieces_confirmed(world):
    wk = worker(world["workshop"], person(world["A1"]), by=world["staff"])
    month_of_work(wk, world["sewing"], by=world["staff"], cycle=last_month(), days=4)
    run = services.pay_run_compute(by=world["staff"], workshop=world["workshop"], cycle=last_month())
    assert selectors.check_wages_below_pieces(user=world["office"]) == []
    LedgerRow.objects.filter(pay_run=run).update(gross=10, net=10)  # a ledger row rewritten below the records
    found = selectors.check_wages_below_pieces(user=world["office"])
    assert len(found) == 1 and "10" in found[0].text and "200.00" in found[0].text


def test_workers_with_no_pay_recorded(world):
    cycle = last_month()
    paid = worker(world["workshop"], person(world["A1"]), by=world["staff"])
    ghost = worker(world["workshop"], person(world["A1"]), by=world["staff"])
    month_of_work(paid, world["sewing"], by=world["staff"], cycle=cycle, days=3)
    services.pay_run_compute(by=world["staff"], workshop=world["workshop"], cycle=cycle)
    found = selectors.check_no_pay(user=world["office"])
    assert [f.text for f in found] == [f.text for f in found if ghost.person.name in f.text] and len(found) == 1


def test_a_workshop_with_no_production_for_a_month(world):
    wk = worker(world["workshop"], person(world["A1"]), by=world["staff"])
    two_ago = services.add_months(last_month(), -1)
    month_of_work(wk, world["sewing"], by=world["staff"], cycle=two_ago, days=3)
    found = selectors.check_idle_workshops(user=world["office"], months=2)
    assert [f.text for f in found] == [f"{world['workshop'].name}" + f.text[len(world['workshop'].name):]
                                       for f in found]
    assert len(found) == 1 and f"{last_month():%Y-%m}" in found[0].text
    # A reversed record is no production either.
    rec = month_of_work(wk, world["sewing"], by=world["staff"], cycle=last_month(), days=1)[0]
    assert selectors.check_idle_workshops(user=world["office"], months=2) == []
    services.record_reverse(by=world["staff"], record=rec, reason="虚报")
    assert len(selectors.check_idle_workshops(user=world["office"], months=2)) == 1
    assert WorkRecord.objects.count() == 5


def test_subsidies_claimed_for_workers_who_left(world):
    start = services.add_months(last_month(), -3)
    crew = [worker(world["workshop"], person(world["A1"], tags=("tuopin",)), by=world["staff"], started_on=start)
            for _ in range(3)]
    services.worker_end(by=world["staff"], worker=crew[0], ended_on=start + dt.timedelta(days=20), reason="外出务工")
    app = services.subsidy_application_create(by=world["staff"], workshop=world["workshop"], kind="stabilisation",
                                              period_start=start, period_end=services.month_end(last_month()),
                                              amount=3000, workers=crew)
    services.subsidy_application_submit(by=world["staff"], application=app)
    found = selectors.check_subsidies_for_leavers(user=world["office"])
    assert len(found) == 1 and crew[0].person.name in found[0].text


def test_checks_see_only_the_users_divisions(world):
    p = person(world["A1"], tags=("tuopin",))
    other = workshop(world["B"], by=world["office"], name="另一车间")
    worker(world["workshop"], p, by=world["staff"], started_on=timezone.localdate() - dt.timedelta(days=9))
    worker(other, p, by=world["office"], started_on=timezone.localdate() - dt.timedelta(days=9))
    from linli.workshops.testing import staff_user

    b_staff = staff_user(world["B"])
    assert selectors.check_double_counted(user=b_staff) == []  # only B's side: no pair within B
    assert len(selectors.check_double_counted(user=world["office"])) == 1
