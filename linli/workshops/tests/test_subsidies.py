"""Subsidy applications carry their evidence from the records and are frozen once submitted; the roster
and the ledger export as formula-safe .xlsx, masked and audited."""

import datetime as dt
import io

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from openpyxl import load_workbook

from linli.core.models import AccessLog
from linli.workshops import exports, services
from linli.workshops.models import SubsidyApplication
from linli.workshops.testing import last_month, month_of_work, person, worker

pytestmark = pytest.mark.django_db


@pytest.fixture
def paid(world):
    start = services.add_months(last_month(), -4)
    crew = [worker(world["workshop"], person(world["A1"], tags=("tuopin",)), by=world["staff"], started_on=start)
            for _ in range(5)]
    other = worker(world["workshop"], person(world["A1"]), by=world["staff"], started_on=start)
    for wk in [*crew, other]:
        month_of_work(wk, world["sewing"], by=world["staff"], cycle=last_month(), days=3)
    services.pay_run_compute(by=world["staff"], workshop=world["workshop"], cycle=last_month())
    return {"crew": crew, "other": other, "start": start, **world}


def test_an_application_carries_the_roster_the_ledger_extract_and_the_contracts(paid):
    app = services.subsidy_application_create(by=paid["staff"], workshop=paid["workshop"], kind="job_award",
                                              period_start=paid["start"], period_end=services.month_end(last_month()),
                                              amount=5000)
    assert {r["worker_id"] for r in app.roster} == {w.pk for w in paid["crew"]}  # poor workers only
    assert all("*" in r["id_number_masked"] for r in app.roster)
    assert {r["worker_id"] for r in app.ledger} == {w.pk for w in paid["crew"]}
    assert len(app.contracts) == 5 and app.figures["met"]


def test_a_submitted_application_is_frozen(paid):
    app = services.subsidy_application_create(by=paid["staff"], workshop=paid["workshop"], kind="construction",
                                              period_start=paid["start"], period_end=services.month_end(last_month()),
                                              amount=20000, workers=paid["crew"][:2])
    assert len(app.roster) == 2
    app = services.subsidy_application_submit(by=paid["staff"], application=app)
    app.amount = 99999
    with pytest.raises(ValidationError):
        app.save()
    with pytest.raises(ValidationError):
        app.delete()
    with pytest.raises(ValidationError), transaction.atomic():  # the guard fires inside add()'s transaction
        app.workers.add(paid["crew"][3])
    with pytest.raises(ValidationError):
        services.subsidy_application_submit(by=paid["staff"], application=app)
    stored = SubsidyApplication.objects.get(pk=app.pk)
    assert stored.amount == 20000 and stored.workers.count() == 2


def test_the_roster_and_ledger_export_masked_formula_safe_and_audited(paid):
    paid["crew"][0].person.name = "=HYPERLINK(1)"
    paid["crew"][0].person.save()
    data = exports.roster_xlsx(user=paid["staff"], workshop=paid["workshop"], first=paid["start"],
                               last=services.month_end(last_month()))
    ws = load_workbook(io.BytesIO(data)).active
    cells = [c.value for row in ws.iter_rows(min_row=3) for c in row]
    assert "'=HYPERLINK(1)" in cells
    assert not any(isinstance(v, str) and v == paid["crew"][1].person.id_number for v in cells)
    log = AccessLog.objects.get(model="workshops.Worker")
    assert log.action == "export" and set(log.object_ids) == {w.pk for w in paid["crew"]}
    data = exports.ledger_xlsx(user=paid["staff"], workshop=paid["workshop"], first=last_month(),
                               last=services.month_end(last_month()))
    ws = load_workbook(io.BytesIO(data)).active
    assert ws.max_row == 2 + 6
    assert AccessLog.objects.filter(model="workshops.LedgerRow", action="export").count() == 1


def test_an_application_without_any_poor_worker_is_not_submitted(world):
    app = services.subsidy_application_create(by=world["staff"], workshop=world["workshop"], kind="job_award",
                                              period_start=dt.date(2025, 1, 1), period_end=dt.date(2025, 3, 31),
                                              amount=100)
    with pytest.raises(ValidationError):
        services.subsidy_application_submit(by=world["staff"], application=app)
