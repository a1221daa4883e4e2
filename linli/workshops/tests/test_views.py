"""Workshop pages: every page renders for the staff of the workshop's community and is 404 for another
community's; a piece record goes through check → record, its duplicate and a day without contract are
refused under their field; a pay run is computed, a payment needs proof, the ledger shows masked ID
numbers and its .xlsx export is audited; a worker sees only their own pay slips and raises a concern."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from linli.accounts.models import Role
from linli.core.idcard import make as make_id
from linli.core.models import AccessLog
from linli.core.testing import (
    HouseholdFactory,
    OrganizationFactory,
    PersonFactory,
    SiteFactory,
    UserFactory,
    grant,
)
from linli.jobs.testing import export_via_job
from linli.people.models import CareTag, Membership
from linli.workshops import creditcode, services
from linli.workshops.models import LedgerRow, PayRun, WorkRecord, WorkshopKind


def person_in(grid, *, age=40, tags=(), user=None, name=None):
    today = timezone.localdate()
    person = PersonFactory(division=grid, user=user, with_id=False, **({"name": name} if name else {}))
    person.set_id_number(make_id("360724", today.replace(year=today.year - age) - dt.timedelta(days=3),
                                 person.pk % 900 + 1))
    person.save()
    for t in tags:
        person.care_tags.add(CareTag.objects.get(code=t))
    Membership.objects.create(person=person, household=HouseholdFactory(division=grid),
                              relation=Membership.Relation.HEAD, start_date=dt.date(2000, 1, 1))
    return person


def seed_reference_data():
    """The migration's care tags, kinds of workshop and default rules (a browser test's flush of the
    database removes them)."""
    import importlib

    from django.apps import apps

    importlib.import_module("linli.workshops.migrations.0002_seed").seed(apps, None)


def build_world(county, *, staff_name=None, home_based=False):
    """A workshop of community A with a piece job (0.50 元 a piece since a year ago), a day job, and a
    worker from a 脱贫 household under contract since a year ago (with a user account)."""
    seed_reference_data()
    today = timezone.localdate()
    staff = grant(UserFactory(**({"username": staff_name} if staff_name else {})), Role.Kind.COMMUNITY_STAFF,
                  county["A"])
    site = SiteFactory(division=county["A"], name="东门邻里中心")
    since = today - dt.timedelta(days=400)
    ws = services.workshop_create(
        by=staff, name="东门帮扶车间", operator=OrganizationFactory(name="上犹县巧手服饰有限公司", division=county["A"]),
        credit_code=creditcode.make("360724", "MA35XK2P7"), site=site,
        kind=WorkshopKind.objects.get(code="home" if home_based else "factory"), products="手工编织包、服装辅料",
        opened_on=since, hours="8:00–17:30", insurer="人保财险", insurance_policy="PICC-2026-001",
        insurance_expires=today + dt.timedelta(days=20), insurance_per_worker_month=Decimal("20"),
        contact_name="刘经理", contact_phone="13900001111", contract_start=since,
        contract_end=today + dt.timedelta(days=700))
    sew = services.job_create(by=staff, workshop=ws, name="缝制", pay_kind="piece", rate=Decimal("0.50"),
                              valid_from=since, unit="件")
    day = services.job_create(by=staff, workshop=ws, name="包装（日工）", pay_kind="day", rate=Decimal("120"),
                              valid_from=since)
    user = UserFactory(username=f"worker{ws.pk}")
    grant(user, Role.Kind.RESIDENT, county["A1"])
    p = person_in(county["A1"], tags=["tuopin"], user=user, name="李秀英")
    worker = services.worker_add(by=staff, workshop=ws, person=p, contract_kind="labour", contract_start=since,
                                 started_on=since)
    return {**county, "staff": staff, "ws": ws, "sew": sew, "day": day, "worker": worker, "user": user}


def last_month():
    return (timezone.localdate().replace(day=1) - dt.timedelta(days=1)).replace(day=1)


def paid_run(w):
    cycle = last_month()
    services.record_add(by=w["staff"], worker=w["worker"], job=w["sew"], date=cycle + dt.timedelta(days=2),
                        quantity=Decimal("800"))
    services.record_add(by=w["staff"], worker=w["worker"], job=w["day"], date=cycle + dt.timedelta(days=3),
                        quantity=Decimal("1"))
    return services.pay_run_compute(by=w["staff"], workshop=w["ws"], cycle=cycle)


@pytest.fixture
def w(county):
    return build_world(county)


def test_every_page_renders_for_staff_and_is_404_for_another_community(client, w):
    run = paid_run(w)
    ws = w["ws"]
    app = services.subsidy_application_create(by=w["staff"], workshop=ws, kind="job_award",
                                              period_start=last_month(), period_end=timezone.localdate(),
                                              amount=Decimal("2000"))
    urls = [f"/workshops/{ws.pk}/{p}" for p in ("", "sign/", "workers/", "workers/new/", "workers/new/?q=李",
                                                  "records/", "records/new/", "pay/", "reviews/", "subsidies/")]
    urls += ["/workshops/", f"/workshops/pay/{run.pk}/", f"/workshops/subsidies/{app.pk}/", "/workshops/checks/"]
    client.force_login(w["staff"])
    for url in urls:
        assert client.get(url).status_code == 200, url
    other = grant(UserFactory(), Role.Kind.COMMUNITY_STAFF, w["B"])
    client.force_login(other)
    for url in urls[:-2] + [urls[-2]]:
        if url != "/workshops/":
            assert client.get(url).status_code == 404, url
    assert ws.name not in client.get("/workshops/").content.decode()


def test_a_piece_record_is_checked_then_recorded_and_its_duplicate_refused(client, w):
    client.force_login(w["staff"])
    url = f"/workshops/{w['ws'].pk}/records/new/"
    data = {"worker": w["worker"].pk, "job": w["sew"].pk, "quantity": "120", "date": timezone.localdate().isoformat()}
    check = client.post(url, data)
    assert check.status_code == 200 and "60.00" in check.content.decode()  # 120 × 0.50 元
    assert not WorkRecord.objects.exists()  # nothing recorded before the confirmation
    assert client.post(url, {**data, "step": "confirm"}).status_code == 302
    assert WorkRecord.objects.get().status == WorkRecord.Status.CONFIRMED
    again = client.post(url, {**data, "step": "confirm"})
    body = again.content.decode()
    assert again.status_code == 200 and WorkRecord.objects.count() == 1
    assert 'data-field="quantity"' in body and "errorlist" in body.split('data-field="quantity"')[1].split("</div>")[0]


def test_a_record_on_a_day_without_contract_is_refused_under_the_worker(client, w):
    today = timezone.localdate()
    late = services.worker_add(by=w["staff"], workshop=w["ws"], person=person_in(w["A1"], name="赵六"),
                               contract_kind="work", contract_start=today - dt.timedelta(days=5),
                               started_on=today - dt.timedelta(days=5))
    client.force_login(w["staff"])
    before = today - dt.timedelta(days=8)
    r = client.post(f"/workshops/{w['ws'].pk}/records/new/", {
        "worker": late.pk, "job": w["sew"].pk, "quantity": "5", "date": before.isoformat(), "step": "confirm"})
    body = r.content.decode()
    assert r.status_code == 200 and not WorkRecord.objects.exists()
    assert "errorlist" in body.split('data-field="worker"')[1].split("</div>")[0]


def test_the_workshop_confirms_many_and_reverses_one(client, w):
    client.force_login(w["user"])
    day = timezone.localdate()
    a = services.record_add(by=w["user"], worker=w["worker"], job=w["sew"], date=day, quantity=Decimal("10"))
    b = services.record_add(by=w["user"], worker=w["worker"], job=w["sew"], date=day, quantity=Decimal("11"))
    assert {a.status, b.status} == {WorkRecord.Status.SUBMITTED}
    client.force_login(w["staff"])
    url = f"/workshops/{w['ws'].pk}/records/"
    assert client.post(url, {"record": [a.pk, b.pk]}).status_code == 302
    assert set(WorkRecord.objects.values_list("status", flat=True)) == {WorkRecord.Status.CONFIRMED}
    client.post(url, {"reverse": a.pk, "reason": "数错了"})
    reversal = WorkRecord.objects.get(reverses=a)
    assert reversal.quantity == -a.quantity and WorkRecord.objects.count() == 3


def test_a_pay_run_is_computed_and_a_payment_needs_proof(client, w):
    cycle = last_month()
    services.record_add(by=w["staff"], worker=w["worker"], job=w["sew"], date=cycle + dt.timedelta(days=1),
                        quantity=Decimal("1000"))
    client.force_login(w["staff"])
    r = client.post(f"/workshops/{w['ws'].pk}/pay/", {"cycle": f"{cycle:%Y-%m}"})
    run = PayRun.objects.get()
    assert r.status_code == 302 and run.net == Decimal("500.00")
    # A second run over the closed cycle: a field error, nothing more recorded.
    again = client.post(f"/workshops/{w['ws'].pk}/pay/", {"cycle": f"{cycle:%Y-%m}"})
    assert again.status_code == 200 and "errorlist" in again.content.decode() and PayRun.objects.count() == 1
    row = run.rows.get()
    page = client.get(f"/workshops/pay/{run.pk}/").content.decode()
    assert row.id_number_masked in page and w["worker"].person.id_number not in page
    no_proof = client.post(f"/workshops/pay/{run.pk}/", {"row": row.pk, f"r{row.pk}-pay_date": timezone.localdate()})
    assert no_proof.status_code == 200 and "errorlist" in no_proof.content.decode()
    row.refresh_from_db()
    assert row.pay_date is None
    client.post(f"/workshops/pay/{run.pk}/", {"row": row.pk, f"r{row.pk}-pay_date": timezone.localdate(),
                                              f"r{row.pk}-transfer_ref": "BOC20261101-0042"})
    row.refresh_from_db()
    run.refresh_from_db()
    assert row.transfer_ref == "BOC20261101-0042" and run.paid_at is not None


def test_the_ledger_export_is_audited_and_shows_masked_numbers(client, w):
    run = paid_run(w)
    client.force_login(w["staff"])
    assert client.get(f"/workshops/pay/{run.pk}/?format=xlsx").status_code == 200  # the button, nothing built
    assert not AccessLog.objects.filter(action=AccessLog.Action.EXPORT).exists()
    export, r = export_via_job(client, f"/workshops/pay/{run.pk}/?format=xlsx")
    assert r.status_code == 200 and export.created_by == w["staff"]
    sheet = load_workbook(io.BytesIO(r.body)).active
    values = [str(c) for row in sheet.iter_rows(values_only=True) for c in row if c]
    assert w["worker"].person.id_number_masked in values and w["worker"].person.id_number not in values
    assert any(w["worker"].person.name in v for v in values)
    assert AccessLog.objects.filter(action=AccessLog.Action.EXPORT, model="workshops.LedgerRow").exists()


def test_a_worker_sees_only_their_own_pay_slips_and_raises_a_concern(client, w, county):
    from linli.cases.models import Case, ServiceItem

    ServiceItem.objects.get_or_create(code="wages", defaults={"name": "工资待遇", "kind": "concern"})
    run = paid_run(w)
    row = run.rows.get()
    client.force_login(w["user"])
    page = client.get("/workshops/me/").content.decode()
    assert f"/workshops/me/slips/{row.pk}/" in page
    slip = client.get(f"/workshops/me/slips/{row.pk}/").content.decode()
    assert str(row.net) in slip
    assert client.get(f"/workshops/pay/{run.pk}/").status_code == 404  # the ledger is the workshop's
    stranger = grant(UserFactory(), Role.Kind.RESIDENT, county["A1"])
    client.force_login(stranger)
    assert client.get(f"/workshops/me/slips/{row.pk}/").status_code == 404
    client.force_login(w["user"])
    r = client.post("/workshops/me/concern/", {"description": "十月的计件少记了两百件"})
    assert r.status_code == 302
    case = Case.objects.get()
    assert case.person == w["worker"].person and "两百件" in case.description


def test_the_public_sign_shows_counts_and_no_name(client, w):
    client.force_login(w["staff"])
    page = client.get(f"/workshops/{w['ws'].pk}/sign/").content.decode()
    assert "上犹县巧手服饰有限公司" in page and w["worker"].person.name not in page
    assert 'data-testid="sign-poor">1<' in page


def test_adding_a_worker_finds_the_person_by_the_last_four_id_digits(client, w):
    p = person_in(w["A1"], tags=["jiance"], name="王建国")
    client.force_login(w["staff"])
    found = client.get(f"/workshops/{w['ws'].pk}/workers/new/?q={p.id_number[-4:]}").content.decode()
    assert f"?person={p.pk}" in found
    r = client.post(f"/workshops/{w['ws'].pk}/workers/new/", {
        "person": p.pk, "contract_kind": "work", "contract_start": timezone.localdate().isoformat(),
        "started_on": timezone.localdate().isoformat()})
    assert r.status_code == 302 and w["ws"].workers.filter(person=p).exists()


def test_an_under_16_worker_is_refused_with_a_message(client, w):
    child = person_in(w["A1"], age=15, name="小明")
    client.force_login(w["staff"])
    r = client.post(f"/workshops/{w['ws'].pk}/workers/new/", {
        "person": child.pk, "contract_kind": "labour", "contract_start": timezone.localdate().isoformat(),
        "started_on": timezone.localdate().isoformat()})
    assert r.status_code == 200 and not w["ws"].workers.filter(person=child).exists()
    assert "16" in r.content.decode()


def test_a_submitted_subsidy_application_is_frozen_on_the_page(client, w):
    paid_run(w)
    client.force_login(w["staff"])
    r = client.post(f"/workshops/{w['ws'].pk}/subsidies/", {
        "kind": "stabilisation", "period_start": last_month().isoformat(),
        "period_end": timezone.localdate().isoformat(), "amount": "1000"})
    assert r.status_code == 302
    app_url = r["Location"]
    client.post(app_url)
    page = client.get(app_url).content.decode()
    assert 'data-testid="frozen"' in page and 'data-testid="subsidy-submit"' not in page


def test_ledger_rows_are_never_listed_to_the_worker_of_another_workshop(w):
    paid_run(w)
    assert LedgerRow.objects.visible_to(UserFactory()).count() == 0


def test_the_county_checks_page_reads_its_findings_in_the_users_language(client, w):
    office = grant(UserFactory(), Role.Kind.COUNTY_ADMIN, w["county"])
    client.force_login(office)
    page = client.get("/workshops/checks/").content.decode()
    idle = page.split('data-testid="check-idle_workshops"')[1].split("</section>")[0]
    assert w["ws"].name in idle and "没有生产记录" in page  # months without any record
    client.cookies["django_language"] = "en"
    page = client.get("/workshops/checks/").content.decode()
    assert "recorded no production" in page
    resident = grant(UserFactory(), Role.Kind.RESIDENT, w["A1"])
    client.force_login(resident)
    assert client.get("/workshops/checks/").status_code == 404


def test_a_worker_records_their_own_day_and_it_awaits_the_workshop(client, w):
    client.force_login(w["user"])
    assert 'data-testid="my-record-link"' in client.get("/workshops/me/").content.decode()
    data = {"worker": w["worker"].pk, "job": w["sew"].pk, "quantity": "40", "date": timezone.localdate().isoformat()}
    assert client.post("/workshops/me/record/", {**data, "step": "confirm"}).status_code == 302
    record = WorkRecord.objects.get()
    assert record.status == WorkRecord.Status.SUBMITTED and record.source == WorkRecord.Source.WORKER
    # Another worker's row cannot be chosen: the form offers only the user's own.
    other = services.worker_add(by=w["staff"], workshop=w["ws"], person=person_in(w["A1"], name="钱七"),
                                contract_kind="work", contract_start=timezone.localdate(),
                                started_on=timezone.localdate())
    r = client.post("/workshops/me/record/", {**data, "worker": other.pk, "step": "confirm"})
    assert r.status_code == 200 and WorkRecord.objects.count() == 1
    stranger = grant(UserFactory(), Role.Kind.RESIDENT, w["A1"])
    client.force_login(stranger)
    assert client.get("/workshops/me/record/").status_code == 404


def test_a_workshop_manager_records_work_and_pays_but_does_not_run_pay(client, w):
    manager = UserFactory()
    services.workshop_manager_add(by=w["staff"], workshop=w["ws"], user=manager)
    client.force_login(manager)
    assert client.get(f"/workshops/{w['ws'].pk}/records/new/").status_code == 200
    pay = client.get(f"/workshops/{w['ws'].pk}/pay/").content.decode()
    assert 'data-testid="pay-run-create"' not in pay
    assert client.post(f"/workshops/{w['ws'].pk}/pay/", {"cycle": f"{last_month():%Y-%m}"}).status_code == 404
    run = paid_run(w)
    row = run.rows.get()
    client.post(f"/workshops/pay/{run.pk}/", {"row": row.pk, f"r{row.pk}-pay_date": timezone.localdate(),
                                              f"r{row.pk}-transfer_ref": "NX-1"})
    row.refresh_from_db()
    assert row.transfer_ref == "NX-1"
    other = services.workshop_create(
        by=grant(UserFactory(), Role.Kind.COMMUNITY_STAFF, w["B"]), name="别处车间",
        operator=OrganizationFactory(division=w["B"]), credit_code=creditcode.make("360724", "MA35XK2P8"),
        site=SiteFactory(division=w["B"]), kind=WorkshopKind.objects.get(code="home"), products="竹编",
        opened_on=w["ws"].opened_on)
    assert client.get(f"/workshops/{other.pk}/").status_code == 404


def test_the_workshop_renews_a_contract_and_ends_a_worker(client, w):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(w["staff"])
    worker = w["worker"]
    url = f"/workshops/{w['ws'].pk}/workers/{worker.pk}/"
    assert client.get(url).status_code == 200
    assert AccessLog.objects.filter(model="workshops.Worker", action="view").exists()
    bad = client.post(url, {"action": "contract", "c-contract_kind": "labour",
                            "c-contract_end": (worker.contract_start - dt.timedelta(days=1)).isoformat()},
                      HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert bad.status_code == 200 and "合同" in bad.content.decode()
    until = timezone.localdate() + dt.timedelta(days=365)
    scan = SimpleUploadedFile("contract.pdf", b"%PDF-1.4 test", content_type="application/pdf")
    assert client.post(url, {"action": "contract", "c-contract_kind": "work", "c-contract_end": until.isoformat(),
                             "c-contract_scan": scan}).status_code == 302
    worker.refresh_from_db()
    assert worker.contract_end == until and worker.contract_kind == "work" and worker.contract_scan
    early = client.post(url, {"action": "end", "e-ended_on": (worker.started_on - dt.timedelta(days=1)).isoformat(),
                              "e-reason": "回乡"})
    assert early.status_code == 200
    worker.refresh_from_db()
    assert worker.ended_on is None
    assert client.post(url, {"action": "end", "e-ended_on": timezone.localdate().isoformat(),
                             "e-reason": "回乡务农"}).status_code == 302
    worker.refresh_from_db()
    assert worker.ended_on == timezone.localdate() and worker.end_reason == "回乡务农"
    other = grant(UserFactory(), Role.Kind.COMMUNITY_STAFF, w["B"])
    client.force_login(other)
    assert client.get(url).status_code == 404
    client.force_login(w["user"])
    assert client.get(url).status_code == 404


def test_the_community_staff_register_and_edit_a_workshop(client, w):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from linli.workshops.models import Workshop

    client.force_login(w["staff"])
    assert 'data-testid="new-workshop"' in client.get("/workshops/").content.decode()
    assert client.get("/workshops/new/").status_code == 200
    org = OrganizationFactory(name="上犹县竹编合作社", division=w["A"])
    site = SiteFactory(division=w["A"], name="西区邻里中心")
    foreign = SiteFactory(division=w["B"], name="别处中心")
    kind = WorkshopKind.objects.get(code="home")
    today = timezone.localdate()
    data = {"name": "西区竹编车间", "operator": org.pk, "credit_code": "91360724MA35XK2P7X", "site": site.pk,
            "kind": kind.pk, "products": "竹编果篮", "hours": "弹性", "opened_on": today.isoformat(),
            "contract_start": today.isoformat(), "contract_end": (today + dt.timedelta(days=730)).isoformat(),
            "insurer": "人保财险", "insurance_policy": "PICC-2026-009",
            "insurance_expires": (today + dt.timedelta(days=365)).isoformat(), "insurance_per_worker_month": "15",
            "contact_name": "王主任", "contact_phone": "13900002222"}
    before = Workshop.objects.count()
    bad = client.post("/workshops/new/", data, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert bad.status_code == 200 and 'data-field="credit_code"' in bad.content.decode()
    assert "has-error" in bad.content.decode()
    elsewhere = client.post("/workshops/new/", {**data, "site": foreign.pk,
                                                "credit_code": creditcode.make("360724", "MA35XK2P8")})
    assert elsewhere.status_code == 200 and Workshop.objects.count() == before
    scan = SimpleUploadedFile("licence.pdf", b"%PDF-1.4 test", content_type="application/pdf")
    ok = client.post("/workshops/new/", {**data, "credit_code": creditcode.make("360724", "MA35XK2P8"),
                                         "licence_scan": scan})
    assert ok.status_code == 302
    ws = Workshop.objects.get(name="西区竹编车间")
    assert ws.division == w["A"] and ws.kind == kind and ws.licence_scan and ws.operator == org
    url = f"/workshops/{ws.pk}/edit/"
    assert client.get(url).status_code == 200
    edit = {k: v for k, v in data.items() if k not in ("operator", "site", "opened_on")}
    refused = client.post(url, {**edit, "credit_code": "123"})
    assert refused.status_code == 200
    ws.refresh_from_db()
    assert ws.products == "竹编果篮"
    assert client.post(url, {**edit, "credit_code": ws.credit_code, "products": "竹编果篮、竹席",
                             "insurance_policy": "PICC-2027-001"}).status_code == 302
    ws.refresh_from_db()
    assert ws.products == "竹编果篮、竹席" and ws.insurance_policy == "PICC-2027-001" and ws.licence_scan
    client.force_login(grant(UserFactory(), Role.Kind.COMMUNITY_STAFF, w["B"]))
    assert client.get(url).status_code == 404
    client.force_login(w["user"])
    assert client.get("/workshops/new/").status_code == 404 and client.get(url).status_code == 404


def test_a_worker_withdraws_their_own_entry_while_it_awaits_the_workshop(client, w):
    client.force_login(w["user"])
    data = {"worker": w["worker"].pk, "job": w["sew"].pk, "quantity": "40", "date": timezone.localdate().isoformat()}
    client.post("/workshops/me/record/", {**data, "step": "confirm"})
    record = WorkRecord.objects.get()
    page = client.get("/workshops/me/record/").content.decode()
    assert f'data-testid="withdraw-{record.pk}"' in page
    url = f"/workshops/me/record/{record.pk}/withdraw/"
    assert client.get(url).status_code == 405
    client.post(url, {"reason": ""})
    assert WorkRecord.objects.count() == 1  # no reason, nothing recorded
    stranger = grant(UserFactory(), Role.Kind.RESIDENT, w["A1"])
    client.force_login(stranger)
    assert client.post(url, {"reason": "错了"}).status_code == 404
    client.force_login(w["user"])
    assert client.post(url, {"reason": "数量记错了"}).status_code == 302
    reversal = WorkRecord.objects.get(reverses=record)
    assert reversal.quantity == -record.quantity and reversal.reason == "数量记错了"
    page = client.get("/workshops/me/record/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert f'data-testid="withdraw-{record.pk}"' not in page
    assert client.post(url, {"reason": "again"}).status_code == 302
    assert WorkRecord.objects.filter(reverses=record).count() == 1
    confirmed = services.record_add(by=w["staff"], worker=w["worker"], job=w["sew"],
                                    date=timezone.localdate() - dt.timedelta(days=1), quantity=Decimal("5"))
    assert client.post(f"/workshops/me/record/{confirmed.pk}/withdraw/", {"reason": "x"}).status_code == 404


def test_deductions_are_entered_per_worker_when_computing_a_pay_run(client, w):
    cycle = last_month()
    services.record_add(by=w["staff"], worker=w["worker"], job=w["sew"], date=cycle + dt.timedelta(days=1),
                        quantity=Decimal("1000"))
    client.force_login(w["staff"])
    url = f"/workshops/{w['ws'].pk}/pay/"
    check = client.post(url, {"cycle": f"{cycle:%Y-%m}", "step": "deductions"})
    body = check.content.decode()
    assert check.status_code == 200 and f'data-testid="deduction-{w["worker"].pk}"' in body and "500.00" in body
    assert not PayRun.objects.exists()
    wid = w["worker"].pk
    over = client.post(url, {"cycle": f"{cycle:%Y-%m}", "step": "compute", f"d-{wid}-label": "代扣个人社保",
                             f"d-{wid}-amount": "600"}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert over.status_code == 200 and 'data-testid="deduction-errors"' in over.content.decode()
    assert not PayRun.objects.exists()
    nameless = client.post(url, {"cycle": f"{cycle:%Y-%m}", "step": "compute", f"d-{wid}-amount": "5"})
    assert nameless.status_code == 200 and not PayRun.objects.exists()
    ok = client.post(url, {"cycle": f"{cycle:%Y-%m}", "step": "compute", f"d-{wid}-label": "代扣个人社保",
                           f"d-{wid}-amount": "52.30"})
    assert ok.status_code == 302
    run = PayRun.objects.get()
    row = run.rows.get()
    assert row.deductions == Decimal("52.30") and row.net == Decimal("447.70")
    assert row.deduction_items == [{"label": "代扣个人社保", "amount": "52.30"}]
    assert "代扣个人社保" in client.get(f"/workshops/pay/{run.pk}/").content.decode()
    services.ledger_row_pay(by=w["staff"], row=row, pay_date=timezone.localdate(), transfer_ref="BOC-1")
    client.force_login(w["user"])
    slip = client.get(f"/workshops/me/slips/{row.pk}/").content.decode()
    assert "代扣个人社保" in slip and "447.70" in slip


def test_the_roster_of_poor_workers_is_built_by_a_job_for_its_owner_only(client, w):
    paid_run(w)
    client.force_login(w["staff"])
    url = f"/workshops/{w['ws'].pk}/roster/"
    assert client.get(url).status_code == 200
    assert client.post(url, {"first": "2026-05-01", "last": "2026-04-01"}).status_code == 200  # a form error
    first, today = last_month(), timezone.localdate()
    export, r = export_via_job(client, url, data={"first": first.isoformat(), "last": today.isoformat()})
    assert r.status_code == 200
    values = [str(c) for row in load_workbook(io.BytesIO(r.body)).active.iter_rows(values_only=True) for c in row if c]
    assert "李秀英" in values and w["worker"].person.id_number not in values
    assert AccessLog.objects.filter(action=AccessLog.Action.EXPORT, model="workshops.Worker").get().object_ids == \
        [w["worker"].pk]
    client.force_login(grant(UserFactory(), Role.Kind.COMMUNITY_STAFF, w["A"]))
    assert client.get(reverse("jobs:export_download", args=[export.token])).status_code == 404
    client.force_login(grant(UserFactory(), Role.Kind.COMMUNITY_STAFF, w["B"]))
    assert client.get(url).status_code == 404
