"""Proven on PostgreSQL with real concurrent clients: the same piece record sent from several phones at
once is recorded once; the others are refused as duplicates (the Worker row is locked while checking).
A pay run computed twice at once is made once."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from linli.activities.testing import run_concurrently
from linli.core.testing import UserFactory
from linli.workshops import services
from linli.workshops.models import LedgerRow, PayRun, WorkRecord
from linli.workshops.testing import (
    county_user,
    job,
    last_month,
    month_of_work,
    person,
    staff_user,
    worker,
    workshop,
)

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("concurrency guarantees are proven on PostgreSQL (set DATABASE_URL)")


def test_a_duplicate_piece_record_from_concurrent_clients_is_recorded_once(county):
    county_user(county["county"])
    staff = staff_user(county["A"])
    w = workshop(county["A"], by=staff)
    sewing = job(w, by=staff)
    own = UserFactory()
    wk = worker(w, person(county["A1"], user=own), by=staff)
    day = timezone.localdate() - dt.timedelta(days=1)
    now = timezone.now()
    # The workshop's tablet and the worker's phone, ten submissions of the same scan.
    senders = [staff if i % 2 else own for i in range(10)]
    results, errors = run_concurrently(
        lambda by: services.record_add(by=by, worker=wk, job=sewing, date=day, quantity=120, now=now), senders,
        workers=10)
    assert len(results) == 1
    assert len(errors) == 9 and all(isinstance(e, ValidationError) for e in errors)
    assert all("duplicate" in {x.code for x in e.error_dict["quantity"]} for e in errors)
    assert WorkRecord.objects.filter(worker=wk).count() == 1


def test_a_pay_run_computed_twice_at_once_is_made_once(county):
    staff = staff_user(county["A"])
    w = workshop(county["A"], by=staff)
    sewing = job(w, by=staff)
    wk = worker(w, person(county["A1"]), by=staff)
    month_of_work(wk, sewing, by=staff, cycle=last_month(), days=3)
    results, errors = run_concurrently(
        lambda _i: services.pay_run_compute(by=staff, workshop=w, cycle=last_month()), list(range(4)), workers=4)
    assert len(results) == 1 and len(errors) == 3 and all(isinstance(e, ValidationError) for e in errors)
    assert PayRun.objects.count() == 1 and LedgerRow.objects.count() == 1
