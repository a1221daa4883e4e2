"""A grid worker on a phone: record a visit from the day's list, mark a household reached with one tap,
and mark one while offline — it is sent once the phone is back online, and recorded once."""

import datetime as dt

from django.utils import timezone

from linli.accounts.models import Role
from linli.grids import services
from linli.grids.models import Campaign, Reach, Visit
from linli.grids.tests.conftest import resident_in
from linli.people.models import CareTag
from tests.e2e.conftest import login, shot


def _setup(county, make_user):
    # Live-server tests flush the database between tests, seeded care tags included.
    CareTag.objects.update_or_create(code="living_alone_elderly", defaults={"name": "独居老人", "visit_every_days": 7})
    worker = make_user(Role.Kind.GRID_WORKER, county["A1"], username="gridworker", display_name="刘网格员")
    staff = make_user(Role.Kind.COUNTY_ADMIN, county["county"])
    lonely = resident_in(county["A1"], tags=["living_alone_elderly"], name="王奶奶")[0]
    other = resident_in(county["A1"], name="李大爷")[0]
    campaign = services.campaign_create(by=staff, title="创建文明城市入户宣传", content="告居民书", division=county["county"],
                                        starts_on=timezone.localdate(), deadline=timezone.localdate() + dt.timedelta(days=7),
                                        methods=[Campaign.Method.VISIT, Campaign.Method.PHONE])
    return worker, lonely, other, campaign


def test_record_a_visit_from_the_days_list(page, county, make_user):
    worker, lonely, _other, _campaign = _setup(county, make_user)
    login(page, worker.username)
    page.goto("/grids/")
    assert lonely.address in page.inner_text("[data-testid=overdue]")
    shot(page, "grid-home")
    page.click("[data-testid=overdue] a.btn")
    page.wait_for_selector("[data-testid=save-visit]")
    page.fill("textarea[name=notes]", "身体不错，已提醒按时吃药")
    shot(page, "grid-visit")
    with page.expect_navigation():
        page.click("[data-testid=save-visit]")
    assert page.url.endswith("/grids/")
    assert page.locator("[data-testid=overdue]").count() == 0  # nothing overdue any more
    visit = Visit.objects.get()
    assert visit.household == lonely and visit.met is not None and visit.notes.startswith("身体不错")


def test_mark_a_household_reached_with_one_tap(page, county, make_user):
    worker, _lonely, other, campaign = _setup(county, make_user)
    login(page, worker.username)
    page.goto("/grids/")
    row = page.locator("[data-testid=campaign-todo] li", has_text=other.address)
    with page.expect_navigation():
        row.locator("button[type=submit]").click()
    assert Reach.objects.filter(campaign=campaign, household=other).count() == 1
    page.goto(f"/grids/campaigns/{campaign.pk}/")
    assert page.inner_text("[data-testid=unreached-count]") == "1"
    shot(page, "grid-campaign")


def test_a_reach_marked_offline_is_sent_once_when_back_online(page, county, make_user):
    worker, _lonely, other, campaign = _setup(county, make_user)
    login(page, worker.username)
    page.goto("/grids/")
    row = page.locator("[data-testid=campaign-todo] li", has_text=other.address)
    page.context.set_offline(True)
    row.locator("button[type=submit]").click()
    row.locator("button[disabled]").wait_for()
    row.locator("button[type=submit]").evaluate("b => b.form.requestSubmit()")  # a second tap while offline
    assert page.evaluate("window.linliOutbox.size()") == 1
    assert page.locator("[data-outbox]").is_visible()
    shot(page, "grid-offline")
    assert not Reach.objects.exists()
    page.context.set_offline(False)
    with page.expect_navigation():  # the outbox sends, then the page reloads
        page.evaluate("window.linliOutbox.flush()")
    assert page.evaluate("window.linliOutbox.size()") == 0
    assert Reach.objects.filter(campaign=campaign, household=other).count() == 1
