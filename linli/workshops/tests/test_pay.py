"""Pay runs: gross from confirmed records at the rate in force on each record's date, deductions, net;
once per cycle; the wage ledger row paid only with proof; overdue runs flagged once to the community staff and the county office; retention."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from linli.core import crypto
from linli.core.testing import UserFactory
from linli.notifications.models import Notification
from linli.workshops import selectors, services
from linli.workshops.models import Job, LedgerRow, PayRun
from linli.workshops.testing import county_user, job, last_month, month_of_work, person, staff_user, worker

pytestmark = pytest.mark.django_db


def _code(exc) -> set[str]:
    return {e.code for errors in exc.value.error_dict.values() for e in errors}


def _add(world, wk, j, day, qty, hh=18):
    return services.record_add(by=world["staff"], worker=wk, job=j, date=day, quantity=qty,
                               now=timezone.make_aware(dt.datetime.combine(day, dt.time(hh))))


def test_gross_uses_the_rate_in_force_on_each_records_date_then_deductions_and_net(world):
    cycle = last_month()
    services.rate_set(by=world["staff"], job=world["sewing"], amount=Decimal("0.60"), valid_from=cycle.replace(day=16))
    packing = job(world["workshop"], by=world["staff"], name="包装", pay_kind=Job.PayKind.DAY, rate="80")
    wk = worker(world["workshop"], person(world["A1"]), by=world["staff"])
    _add(world, wk, world["sewing"], cycle.replace(day=10), 100)   # 100 × 0.50 = 50
    _add(world, wk, world["sewing"], cycle.replace(day=20), 100)   # 100 × 0.60 = 60
    _add(world, wk, packing, cycle.replace(day=21), Decimal("0.5"))  # ½ day × 80 = 40
    preview = services.pay_run_preview(workshop=world["workshop"], cycle=cycle)  # what staff see first
    run = services.pay_run_compute(by=world["staff"], workshop=world["workshop"], cycle=cycle,
                                   deductions={wk.pk: [{"label": "代扣个人社保", "amount": "12.50"}]})
    row = LedgerRow.objects.get(pay_run=run)
    assert row.gross == Decimal("150.00")
    assert [(r["worker"].pk, r["gross"]) for r in preview] == [(wk.pk, row.gross)]
    assert row.deductions == Decimal("12.50") and row.net == Decimal("137.50")
    assert sorted((i["rate"], i["amount"]) for i in row.items) == [("0.500", "50.00"), ("0.600", "60.00"),
                                                                  ("80.000", "40.00")]
    assert row.pieces == 200 and row.days == Decimal("2.5") and row.hours == 0
    assert row.employer == world["workshop"].operator.name and row.cycle == cycle
    assert crypto.decrypt(row.id_number_encrypted) == wk.person.id_number
    assert row.id_number_masked == wk.person.id_number_masked and "*" in row.id_number_masked
    assert (run.gross, run.net, run.workers) == (Decimal("150.00"), Decimal("137.50"), 1)
    assert run.due_on == services.month_end(cycle) + dt.timedelta(days=15)


def test_unconfirmed_and_reversed_records_are_not_paid(world):
    user = UserFactory()
    cycle = last_month()
    wk = worker(world["workshop"], person(world["A1"], user=user), by=world["staff"])
    kept = _add(world, wk, world["sewing"], cycle.replace(day=3), 100)
    wrong = _add(world, wk, world["sewing"], cycle.replace(day=4), 300)
    services.record_reverse(by=world["staff"], record=wrong, reason="重复录入")
    mine = services.record_add(by=user, worker=wk, job=world["sewing"], date=cycle.replace(day=5), quantity=70)
    services.record_reverse(by=user, record=mine, reason="录错了")  # withdrawn before confirmation
    run = services.pay_run_compute(by=world["staff"], workshop=world["workshop"], cycle=cycle)
    assert LedgerRow.objects.get(pay_run=run).gross == kept.quantity * Decimal("0.5")


def test_a_second_pay_run_over_a_closed_cycle_is_refused_and_nothing_recorded(world):
    cycle = last_month()
    wk = worker(world["workshop"], person(world["A1"]), by=world["staff"])
    month_of_work(wk, world["sewing"], by=world["staff"], cycle=cycle, days=3)
    services.pay_run_compute(by=world["staff"], workshop=world["workshop"], cycle=cycle)
    with pytest.raises(ValidationError) as exc:
        services.pay_run_compute(by=world["staff"], workshop=world["workshop"], cycle=cycle)
    assert "closed" in _code(exc)
    assert PayRun.objects.count() == 1 and LedgerRow.objects.count() == 1


def test_a_cycle_is_paid_after_it_ends(world):
    with pytest.raises(ValidationError) as exc:
        services.pay_run_compute(by=world["staff"], workshop=world["workshop"], cycle=timezone.localdate())
    assert "not_over" in _code(exc)


def test_deductions_never_exceed_the_gross(world):
    cycle = last_month()
    wk = worker(world["workshop"], person(world["A1"]), by=world["staff"])
    _add(world, wk, world["sewing"], cycle.replace(day=3), 10)
    with pytest.raises(ValidationError):
        services.pay_run_compute(by=world["staff"], workshop=world["workshop"], cycle=cycle,
                                 deductions={wk.pk: [("借支", "6.00")]})
    assert not PayRun.objects.exists()


def test_a_ledger_row_without_proof_of_payment_is_not_marked_paid(world):
    cycle = last_month()
    wk = worker(world["workshop"], person(world["A1"]), by=world["staff"])
    month_of_work(wk, world["sewing"], by=world["staff"], cycle=cycle, days=2)
    run = services.pay_run_compute(by=world["staff"], workshop=world["workshop"], cycle=cycle)
    row = run.rows.get()
    with pytest.raises(ValidationError) as exc:
        services.ledger_row_pay(by=world["staff"], row=row, pay_date=timezone.localdate(), transfer_ref="  ")
    assert "no_proof" in _code(exc)
    row.refresh_from_db()
    assert row.pay_date is None and not PayRun.objects.get(pk=run.pk).is_paid
    services.ledger_row_pay(by=world["staff"], row=row, pay_date=timezone.localdate(), transfer_ref="ICBC2026001")
    assert PayRun.objects.get(pk=run.pk).is_paid
    with pytest.raises(ValidationError) as exc:
        services.ledger_row_pay(by=world["staff"], row=row, pay_date=timezone.localdate(), transfer_ref="again")
    assert "paid" in _code(exc)


def test_a_signature_is_proof_of_payment(world):
    from django.core.files.uploadedfile import SimpleUploadedFile

    cycle = last_month()
    wk = worker(world["workshop"], person(world["A1"]), by=world["staff"])
    month_of_work(wk, world["sewing"], by=world["staff"], cycle=cycle, days=1)
    row = services.pay_run_compute(by=world["staff"], workshop=world["workshop"], cycle=cycle).rows.get()
    sig = SimpleUploadedFile("sig.png", b"\x89PNG\r\n\x1a\n" + b"0" * 20, content_type="image/png")
    row = services.ledger_row_pay(by=world["staff"], row=row, pay_date=timezone.localdate(), signature=sig)
    assert row.signature.name and row.is_paid


def test_an_unpaid_run_past_its_due_day_is_flagged_to_community_staff_once(world):
    cycle = services.add_months(last_month(), -1)
    wk = worker(world["workshop"], person(world["A1"]), by=world["staff"])
    month_of_work(wk, world["sewing"], by=world["staff"], cycle=cycle, days=2)
    run = services.pay_run_compute(by=world["staff"], workshop=world["workshop"], cycle=cycle)
    assert services.pay_overdue_notify(today=run.due_on) == 0  # not past due yet
    after = run.due_on + dt.timedelta(days=1)
    assert services.pay_overdue_notify(today=after) == 1
    assert services.pay_overdue_notify(today=after) == 0
    n = Notification.objects.get(recipient=world["staff"], key="workshops.pay_overdue")
    assert world["workshop"].name in n.subject and n.shown
    # the community's staff and the county office (its county_admin), each once
    assert set(Notification.objects.filter(key="workshops.pay_overdue").values_list("recipient", flat=True)) == {
        world["staff"].pk, world["office"].pk}


def test_the_overdue_flag_reaches_the_county_office_of_that_county_only_and_once(world):
    from linli.divisions.models import Division

    other_county = Division.objects.create(name="崇义县", code="360725", level=Division.Level.COUNTY)
    elsewhere = county_user(other_county)
    other_staff = staff_user(world["B"])
    cycle = services.add_months(last_month(), -1)
    wk = worker(world["workshop"], person(world["A1"]), by=world["staff"])
    month_of_work(wk, world["sewing"], by=world["staff"], cycle=cycle, days=2)
    run = services.pay_run_compute(by=world["staff"], workshop=world["workshop"], cycle=cycle)
    after = run.due_on + dt.timedelta(days=1)
    assert services.pay_overdue_notify(today=after) == 1
    # a second pass (the run unflagged again, as after a restore) sends nothing new: the dedup key holds
    PayRun.objects.filter(pk=run.pk).update(flagged_at=None)
    assert services.pay_overdue_notify(today=after) == 1
    sent = Notification.objects.filter(key="workshops.pay_overdue")
    assert sent.filter(recipient=world["office"]).count() == 1
    assert sent.filter(recipient=world["staff"]).count() == 1
    assert not sent.filter(recipient__in=[elsewhere, other_staff]).exists()
    assert sent.get(recipient=world["office"]).dedup_key == f"workshops.pay_overdue:{run.pk}"


def test_ledger_rows_are_anonymised_after_the_retention_period_never_before_three_years(world):
    cycle = dt.date(2021, 3, 1)
    wk = worker(world["workshop"], person(world["A1"]), by=world["staff"])
    month_of_work(wk, world["sewing"], by=world["staff"], cycle=cycle, days=2)
    run = services.pay_run_compute(by=world["staff"], workshop=world["workshop"], cycle=cycle)
    row = run.rows.get()
    end = dt.date(2021, 3, 31)
    assert services.ledger_retention_purge(today=end.replace(year=2024)) == 0  # exactly 3 years: kept
    assert services.ledger_retention_purge(today=dt.date(2024, 4, 1)) == 1
    row.refresh_from_db()
    assert row.name == services.ANONYMISED and row.id_number_encrypted == "" and row.phone == ""
    assert row.worker_id is None and row.gross > 0 and row.anonymised_at
    assert services.ledger_retention_purge(today=dt.date(2025, 1, 1)) == 0


def test_retention_below_three_years_is_refused_as_a_rule(world):
    with pytest.raises(ValidationError):
        services.rule_set_create(by=world["office"], county=world["county"], valid_from=dt.date(2026, 1, 1),
                                 ledger_retention_years=2)


def test_a_worker_sees_only_their_own_pay_slips(world):
    mine, other = UserFactory(), UserFactory()
    cycle = last_month()
    a = worker(world["workshop"], person(world["A1"], user=mine), by=world["staff"])
    b = worker(world["workshop"], person(world["A1"], user=other), by=world["staff"])
    month_of_work(a, world["sewing"], by=world["staff"], cycle=cycle, days=2)
    month_of_work(b, world["sewing"], by=world["staff"], cycle=cycle, days=2)
    services.pay_run_compute(by=world["staff"], workshop=world["workshop"], cycle=cycle)
    slips = list(selectors.pay_slips(user=mine))
    assert [s.worker_id for s in slips] == [a.pk]
    theirs = LedgerRow.objects.get(worker=b)
    from django.http import Http404

    with pytest.raises(Http404):
        selectors.pay_slip_get(user=mine, pk=theirs.pk)
    assert selectors.pay_slip_get(user=mine, pk=slips[0].pk) == slips[0]
    assert set(LedgerRow.objects.visible_to(mine)) == {slips[0]}


def test_a_worker_raises_a_concern_through_the_cases_services(world):
    from linli.cases.models import Kind, ServiceItem

    ServiceItem.objects.get_or_create(code="wages", defaults={"name": "工资", "kind": Kind.CONCERN})
    user = UserFactory()
    wk = worker(world["workshop"], person(world["A1"], user=user), by=world["staff"])
    case = services.worker_concern_raise(by=user, worker=wk, description="上月工资少算了")
    assert case.kind == Kind.CONCERN and case.person == wk.person and world["workshop"].name in case.description
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.worker_concern_raise(by=world["staff"], worker=wk, description="x")


def test_a_paid_cycles_rates_do_not_change(world):
    cycle = last_month()
    wk = worker(world["workshop"], person(world["A1"]), by=world["staff"])
    month_of_work(wk, world["sewing"], by=world["staff"], cycle=cycle, days=2)
    services.pay_run_compute(by=world["staff"], workshop=world["workshop"], cycle=cycle)
    with pytest.raises(ValidationError) as exc:
        services.rate_set(by=world["staff"], job=world["sewing"], amount=Decimal("0.9"), valid_from=cycle.replace(day=5))
    assert "paid" in _code(exc)
    services.rate_set(by=world["staff"], job=world["sewing"], amount=Decimal("0.9"),
                      valid_from=services.month_end(cycle) + dt.timedelta(days=1))


def test_a_reversal_carried_into_a_cycle_without_other_work_makes_a_negative_row(world):
    wk = worker(world["workshop"], person(world["A1"]), by=world["staff"])
    earlier = services.add_months(last_month(), -1)
    rec = month_of_work(wk, world["sewing"], by=world["staff"], cycle=earlier, days=1)[0]
    services.pay_run_compute(by=world["staff"], workshop=world["workshop"], cycle=earlier)
    services.record_reverse(by=world["staff"], record=rec, reason="多计")
    run = services.pay_run_compute(by=world["staff"], workshop=world["workshop"], cycle=last_month())
    assert run.rows.get().gross == -rec.quantity * Decimal("0.5")
