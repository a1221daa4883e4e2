"""The workshops API: scoped (another community's workshop is a 404), a piece record created through the
service (its duplicate and a day without contract are a 400 naming the field, nothing recorded), a pay
run computed once, its ledger rows masked and the read audited, a payment without proof refused."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from linli.accounts.models import Role
from linli.core.models import AccessLog
from linli.core.testing import UserFactory, grant
from linli.workshops.models import PayRun, WorkRecord

from .test_views import build_world, last_month, paid_run


@pytest.fixture
def w(county):
    return build_world(county)


def _api(user):
    api = APIClient()
    api.force_authenticate(user)
    return api


def test_lists_are_scoped_to_the_callers_communities(w):
    mine = _api(w["staff"]).get("/api/workshops/workshops/").json()
    assert [r["id"] for r in mine["results"]] == [w["ws"].pk]
    other = _api(grant(UserFactory(), Role.Kind.COMMUNITY_STAFF, w["B"]))
    assert other.get("/api/workshops/workshops/").json()["results"] == []
    assert other.get(f"/api/workshops/workshops/{w['ws'].pk}/").status_code == 404
    assert other.get(f"/api/workshops/workers/{w['worker'].pk}/").status_code == 404


def test_a_piece_record_is_created_and_its_duplicate_refused(w):
    api = _api(w["staff"])
    body = {"worker": w["worker"].pk, "job": w["sew"].pk, "date": timezone.localdate().isoformat(), "quantity": "80"}
    first = api.post("/api/workshops/records/", body, format="json")
    assert first.status_code == 201 and first.json()["status"] == WorkRecord.Status.CONFIRMED
    again = api.post("/api/workshops/records/", body, format="json")
    assert again.status_code == 400 and "quantity" in again.json()
    assert WorkRecord.objects.count() == 1


def test_a_record_without_contract_and_bad_input_are_a_400(w):
    api = _api(w["staff"])
    before = (w["ws"].opened_on - dt.timedelta(days=3)).isoformat()
    r = api.post("/api/workshops/records/", {"worker": w["worker"].pk, "job": w["sew"].pk, "date": before,
                                             "quantity": "5"}, format="json")
    assert r.status_code == 400 and "worker" in r.json()
    for bad in ({"quantity": "-1"}, {"quantity": "abc"}, {"date": "2026-13-40"}, {"worker": 10**12}):
        body = {"worker": w["worker"].pk, "job": w["sew"].pk, "date": timezone.localdate().isoformat(),
                "quantity": "5", **bad}
        assert api.post("/api/workshops/records/", body, format="json").status_code == 400, bad
    assert not WorkRecord.objects.exists()


def test_a_pay_run_once_its_rows_masked_and_audited_and_payment_needs_proof(w):
    api = _api(w["staff"])
    cycle = last_month()
    api.post("/api/workshops/records/", {"worker": w["worker"].pk, "job": w["sew"].pk,
                                         "date": (cycle + dt.timedelta(days=4)).isoformat(), "quantity": "200"},
             format="json")
    run = api.post("/api/workshops/pay-runs/", {"workshop": w["ws"].pk, "cycle": cycle.isoformat()}, format="json")
    assert run.status_code == 201 and Decimal(run.json()["net"]) == Decimal("100.00")
    again = api.post("/api/workshops/pay-runs/", {"workshop": w["ws"].pk, "cycle": cycle.isoformat()}, format="json")
    assert again.status_code == 400 and "cycle" in again.json() and PayRun.objects.count() == 1
    pk = run.json()["id"]
    rows = api.get(f"/api/workshops/pay-runs/{pk}/rows/").json()
    assert rows[0]["id_number_masked"] == w["worker"].person.id_number_masked
    assert w["worker"].person.id_number not in str(rows)
    assert AccessLog.objects.filter(model="workshops.LedgerRow", action=AccessLog.Action.LIST).exists()
    no_proof = api.post(f"/api/workshops/pay-runs/{pk}/pay/", {"row": rows[0]["id"],
                                                               "pay_date": timezone.localdate().isoformat()},
                        format="json")
    assert no_proof.status_code == 400 and "transfer_ref" in no_proof.json()
    paid = api.post(f"/api/workshops/pay-runs/{pk}/pay/", {"row": rows[0]["id"], "transfer_ref": "ICBC-77",
                                                           "pay_date": timezone.localdate().isoformat()},
                    format="json")
    assert paid.status_code == 200 and paid.json()["transfer_ref"] == "ICBC-77"


def test_a_resident_cannot_compute_a_pay_run_or_read_the_ledger(w):
    run = paid_run(w)
    api = _api(w["user"])
    assert api.get(f"/api/workshops/pay-runs/{run.pk}/rows/").status_code == 404
    r = api.post("/api/workshops/pay-runs/", {"workshop": w["ws"].pk, "cycle": last_month().isoformat()},
                 format="json")
    assert r.status_code in (400, 403)
