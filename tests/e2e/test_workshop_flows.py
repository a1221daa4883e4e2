"""Browser: at phone width in Chinese, the workshop records a day's pieces (check → record) and the
same record again is refused under its field; the month's pay run is computed and a wage paid with its
bank transfer reference; a worker opens their own pay slip. Then the workshop's page and its public
sign at desktop width, and the wage ledger in English."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from linli.workshops import services
from linli.workshops.models import LedgerRow, PayRun, WorkRecord
from linli.workshops.tests.test_views import build_world, last_month
from tests.e2e.conftest import login, shot

PHONE = pytest.mark.parametrize("viewport", ["phone"], indirect=True)
DESKTOP = pytest.mark.parametrize("viewport", ["desktop"], indirect=True)


def _month_of_pieces(w):
    cycle = last_month()
    for day in (2, 3, 6):
        services.record_add(by=w["staff"], worker=w["worker"], job=w["sew"], date=cycle + dt.timedelta(days=day),
                            quantity=Decimal("300"))
    return cycle


@PHONE
def test_a_piece_record_and_its_refused_duplicate(page, county):
    w = build_world(county, staff_name="wang")
    login(page, "wang")
    page.goto(f"/workshops/{w['ws'].pk}/")
    shot(page, "workshop-detail")
    page.click("[data-testid=record-link]")
    page.select_option("select[name=worker]", str(w["worker"].pk))
    page.select_option("select[name=job]", str(w["sew"].pk))
    page.fill("input[name=quantity]", "120")
    page.fill("input[name=date]", timezone.localdate().isoformat())
    shot(page, "workshop-record-entry")
    page.click("[data-testid=record-next]")
    expect(page.locator("[data-testid=record-check]")).to_contain_text("60.00")
    shot(page, "workshop-record-check")
    page.click("[data-testid=record-confirm]")
    expect(page.locator(".messages")).to_contain_text("已登记")
    assert WorkRecord.objects.get().quantity == Decimal("120")

    # The same record again, minutes later: refused under the quantity, nothing more recorded.
    page.select_option("select[name=job]", str(w["sew"].pk))
    page.fill("input[name=quantity]", "120")
    page.fill("input[name=date]", timezone.localdate().isoformat())
    page.click("[data-testid=record-next]")
    page.click("[data-testid=record-confirm]")
    error = page.locator("[data-field=quantity] .errorlist")
    expect(error).to_be_visible()
    expect(error).to_contain_text("重复记录不予登记")
    assert WorkRecord.objects.count() == 1
    shot(page, "workshop-record-duplicate")


@PHONE
def test_a_pay_run_is_computed_and_a_wage_paid(page, county):
    w = build_world(county, staff_name="wang")
    cycle = _month_of_pieces(w)
    login(page, "wang")
    page.goto(f"/workshops/{w['ws'].pk}/")
    page.click("[data-testid=pay-runs-link]")
    page.fill("input[name=cycle]", f"{cycle:%Y-%m}")
    shot(page, "workshop-pay-run-new")
    page.click("[data-testid=pay-run-create]")
    expect(page.locator("[data-testid=ledger]")).to_contain_text(w["worker"].person.name)
    run = PayRun.objects.get()
    row = run.rows.get()
    assert run.net == Decimal("450.00")  # 900 pieces × 0.50 元
    assert w["worker"].person.id_number not in page.content()
    shot(page, "workshop-pay-run")
    page.click(f"[data-testid=pay-open-{row.pk}]")
    page.fill(f"input[name=r{row.pk}-transfer_ref]", "BOC20261105-0017")
    page.click(f"[data-testid=pay-{row.pk}]")
    expect(page.locator(f"[data-testid=paid-{row.pk}]")).to_be_visible()
    expect(page.locator("[data-testid=run-paid]")).to_be_visible()
    row.refresh_from_db()
    assert row.transfer_ref == "BOC20261105-0017" and row.pay_date == timezone.localdate()
    shot(page, "workshop-pay-run-paid")


@PHONE
def test_a_worker_opens_their_own_pay_slip(page, county):
    w = build_world(county)
    cycle = _month_of_pieces(w)
    run = services.pay_run_compute(by=w["staff"], workshop=w["ws"], cycle=cycle)
    row = run.rows.get()
    services.ledger_row_pay(by=w["staff"], row=row, pay_date=timezone.localdate(), transfer_ref="BOC-1")
    login(page, w["user"].username)
    page.goto("/workshops/")
    page.click("[data-testid=my-pay-link]")
    shot(page, "workshop-my-pay")
    page.click(f"[data-testid=slip-{row.pk}]")
    expect(page.locator("[data-testid=slip-net]")).to_have_text("450.00")
    expect(page.locator("[data-testid=slip-paid]")).to_contain_text("已发放")
    assert LedgerRow.objects.get().worker == w["worker"]
    shot(page, "workshop-pay-slip")


@DESKTOP
def test_the_workshop_page_and_its_public_sign_at_desktop_width(page, county):
    w = build_world(county, staff_name="wang")
    login(page, "wang")
    page.goto(f"/workshops/{w['ws'].pk}/")
    expect(page.locator("[data-testid=insurance-warning]")).to_be_visible()  # the policy ends within a month
    expect(page.locator("[data-testid=criterion-poor_workers]")).to_contain_text("✗")
    shot(page, "workshop-detail")
    page.click("[data-testid=sign-link]")
    expect(page.locator("[data-testid=sign-headcount]")).to_have_text("1")
    assert w["worker"].person.name not in page.inner_text("[data-testid=sign]")
    shot(page, "workshop-sign")
    page.emulate_media(media="print")
    shot(page, "workshop-sign-print")


@PHONE
def test_the_wage_ledger_in_english(page, county):
    w = build_world(county, staff_name="wang")
    run = services.pay_run_compute(by=w["staff"], workshop=w["ws"], cycle=_month_of_pieces(w))
    login(page, "wang")
    with page.expect_navigation():
        page.click("[data-testid=lang-switch]")
    page.goto(f"/workshops/pay/{run.pk}/")
    expect(page.locator("h1")).to_contain_text("Wage ledger")
    assert page.locator("html").get_attribute("lang") == "en"
    expect(page.locator("[data-testid=run-unpaid]")).to_contain_text("1 wage to pay")
    shot(page, "workshop-pay-run")


@PHONE
def test_a_worker_records_their_day_and_the_workshop_confirms_it(page, browser, county, live_server):
    from tests.e2e.conftest import VIEWPORTS

    w = build_world(county, staff_name="wang")
    login(page, w["user"].username)
    page.goto("/workshops/me/")
    page.click("[data-testid=my-record-link]")
    page.select_option("select[name=job]", str(w["sew"].pk))
    page.fill("input[name=quantity]", "75")
    page.fill("input[name=date]", timezone.localdate().isoformat())
    page.click("[data-testid=record-next]")
    page.click("[data-testid=record-confirm]")
    expect(page.locator(".messages")).to_contain_text("已登记")
    record = WorkRecord.objects.get()
    assert record.status == WorkRecord.Status.SUBMITTED
    shot(page, "workshop-my-record")

    staff = browser.new_context(viewport=VIEWPORTS["phone"], locale="zh-CN", base_url=live_server.url,
                                is_mobile=True, has_touch=True).new_page()
    staff.linli_viewport = "phone"
    login(staff, "wang")
    staff.goto(f"/workshops/{w['ws'].pk}/records/")
    staff.check("[data-select-all=record]")
    expect(staff.locator(f"[data-testid=waiting-{record.pk}] input[name=record]")).to_be_checked()
    shot(staff, "workshop-confirm-many")
    staff.click("[data-testid=confirm-selected]")
    expect(staff.locator(".messages")).to_contain_text("已确认 1 条记录")
    record.refresh_from_db()
    assert record.status == WorkRecord.Status.CONFIRMED
    staff.context.close()


@PHONE
def test_the_community_staff_register_a_workshop_on_a_phone(page, county):
    from linli.core.testing import OrganizationFactory, SiteFactory
    from linli.workshops import creditcode
    from linli.workshops.models import Workshop, WorkshopKind

    w = build_world(county, staff_name="wang")
    org = OrganizationFactory(name="上犹县竹编合作社", division=w["A"])
    site = SiteFactory(division=w["A"], name="西区邻里中心")
    today = timezone.localdate()
    login(page, "wang")
    page.goto("/workshops/")
    page.click("[data-testid=new-workshop]")
    page.fill("input[name=name]", "西区竹编车间")
    page.select_option("select[name=operator]", str(org.pk))
    page.fill("input[name=credit_code]", "91360724MA35XK2P7X")
    page.select_option("select[name=site]", str(site.pk))
    page.select_option("select[name=kind]", str(WorkshopKind.objects.get(code="home").pk))
    page.fill("[name=products]", "竹编果篮")
    page.fill("input[name=opened_on]", today.isoformat())
    page.fill("input[name=insurance_policy]", "PICC-2026-009")
    page.fill("input[name=insurance_expires]", (today + dt.timedelta(days=365)).isoformat())
    page.fill("input[name=insurance_per_worker_month]", "15")
    page.click("[data-testid=workshop-save]")
    error = page.locator("[data-field=credit_code] .errorlist")
    expect(error).to_be_visible()
    shot(page, "workshop-new-refused")
    assert not Workshop.objects.filter(name="西区竹编车间").exists()
    page.fill("input[name=credit_code]", creditcode.make("360724", "MA35XK2P8"))
    page.click("[data-testid=workshop-save]")
    expect(page.locator(".messages")).to_contain_text("已登记")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, "workshop-new-done")
    assert Workshop.objects.get(name="西区竹编车间").division == w["A"]
