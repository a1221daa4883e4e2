"""Work records: only under contract, never twice within the duplicate interval, never in a closed
cycle, never edited or deleted (a reversal corrects them); a worker's own entries await confirmation."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from linli.core.testing import UserFactory
from linli.workshops import services
from linli.workshops.models import Worker, WorkRecord
from linli.workshops.testing import last_month, month_of_work, person, worker

pytestmark = pytest.mark.django_db


def _code(exc) -> set[str]:
    return {e.code for errors in exc.value.error_dict.values() for e in errors}


def _at(day, hh=10, mm=0):
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hh, mm)))


def test_a_piece_record_without_a_contract_that_day_is_refused_and_nothing_recorded(world):
    started = timezone.localdate() - dt.timedelta(days=30)
    wk = worker(world["workshop"], person(world["A1"]), by=world["staff"], started_on=started,
                contract_end=started + dt.timedelta(days=10))
    with pytest.raises(ValidationError) as exc:
        services.record_add(by=world["staff"], worker=wk, job=world["sewing"], date=started + dt.timedelta(days=12),
                            quantity=50)
    assert "no_contract" in _code(exc)
    with pytest.raises(ValidationError):
        services.record_add(by=world["staff"], worker=wk, job=world["sewing"], date=started - dt.timedelta(days=1),
                            quantity=50)
    assert WorkRecord.objects.count() == 0


def test_the_same_piece_record_within_the_interval_is_refused_later_accepted(world):
    wk = worker(world["workshop"], person(world["A1"]), by=world["staff"])
    day = timezone.localdate() - dt.timedelta(days=1)
    services.record_add(by=world["staff"], worker=wk, job=world["sewing"], date=day, quantity=120, now=_at(day, 10))
    with pytest.raises(ValidationError) as exc:
        services.record_add(by=world["staff"], worker=wk, job=world["sewing"], date=day, quantity=120,
                            now=_at(day, 10, 9))
    assert "duplicate" in _code(exc)
    assert WorkRecord.objects.count() == 1
    # A different quantity, or the same after the interval, is another batch of the day.
    services.record_add(by=world["staff"], worker=wk, job=world["sewing"], date=day, quantity=80, now=_at(day, 10, 5))
    services.record_add(by=world["staff"], worker=wk, job=world["sewing"], date=day, quantity=120, now=_at(day, 10, 11))
    assert WorkRecord.objects.count() == 3


def test_a_worker_under_16_is_refused_and_16_accepted(world):
    today = timezone.localdate()
    young = person(world["A1"], born=today.replace(year=today.year - 16) + dt.timedelta(days=1))
    with pytest.raises(ValidationError) as exc:
        worker(world["workshop"], young, by=world["staff"], started_on=today)
    assert "under_age" in _code(exc)
    assert not Worker.objects.exists()
    sixteen = person(world["A1"], born=today.replace(year=today.year - 16))
    assert worker(world["workshop"], sixteen, by=world["staff"], started_on=today).pk


def test_a_person_without_an_id_number_is_not_taken_on(world):
    from linli.core.testing import PersonFactory

    p = PersonFactory(division=world["A1"], with_id=False)
    with pytest.raises(ValidationError) as exc:
        worker(world["workshop"], p, by=world["staff"])
    assert "no_id" in _code(exc)


def test_records_are_never_edited_or_deleted(world):
    wk = worker(world["workshop"], person(world["A1"]), by=world["staff"])
    r = services.record_add(by=world["staff"], worker=wk, job=world["sewing"],
                            date=timezone.localdate() - dt.timedelta(days=1), quantity=10)
    r.quantity = 1000
    with pytest.raises(ValidationError):
        r.save()
    with pytest.raises(ValidationError):
        r.delete()
    assert WorkRecord.objects.get(pk=r.pk).quantity == 10


def test_a_reversal_of_a_paid_cycle_counts_in_the_next_open_cycle(world):
    wk = worker(world["workshop"], person(world["A1"]), by=world["staff"])
    cycle = services.add_months(last_month(), -1)
    records = month_of_work(wk, world["sewing"], by=world["staff"], cycle=cycle, days=2)
    services.pay_run_compute(by=world["staff"], workshop=world["workshop"], cycle=cycle)
    rev = services.record_reverse(by=world["staff"], record=records[0], reason="点数有误")
    assert rev.quantity == -records[0].quantity and rev.reverses == records[0]
    assert rev.cycle == last_month()
    with pytest.raises(ValidationError):
        services.record_reverse(by=world["staff"], record=records[0], reason="again")


def test_a_closed_cycle_refuses_new_records(world):
    wk = worker(world["workshop"], person(world["A1"]), by=world["staff"])
    cycle = last_month()
    month_of_work(wk, world["sewing"], by=world["staff"], cycle=cycle, days=1)
    services.pay_run_compute(by=world["staff"], workshop=world["workshop"], cycle=cycle)
    with pytest.raises(ValidationError) as exc:
        services.record_add(by=world["staff"], worker=wk, job=world["sewing"], date=cycle + dt.timedelta(days=20),
                            quantity=5)
    assert "closed" in _code(exc)


def test_a_workers_own_entry_awaits_confirmation_and_blocks_the_pay_run_until_confirmed(world):
    user = UserFactory()
    wk = worker(world["workshop"], person(world["A1"], user=user), by=world["staff"])
    day = last_month() + dt.timedelta(days=3)
    mine = services.record_add(by=user, worker=wk, job=world["sewing"], date=day, quantity=40)
    assert mine.status == WorkRecord.Status.SUBMITTED and mine.source == WorkRecord.Source.WORKER
    with pytest.raises(ValidationError) as exc:
        services.pay_run_compute(by=world["staff"], workshop=world["workshop"], cycle=day)
    assert "awaiting" in _code(exc)
    services.record_confirm(by=world["staff"], record=mine)
    run = services.pay_run_compute(by=world["staff"], workshop=world["workshop"], cycle=day)
    assert run.gross == 20  # 40 × 0.50


def test_someone_else_may_not_record_a_workers_work(world):
    wk = worker(world["workshop"], person(world["A1"]), by=world["staff"])
    with pytest.raises(PermissionDenied):
        services.record_add(by=UserFactory(), worker=wk, job=world["sewing"],
                            date=timezone.localdate(), quantity=5)
