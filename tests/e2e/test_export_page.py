"""An export at phone width and on a desktop: the button queues the job, the export's page polls
(htmx, no inline script) until the worker has built the file, then offers the download."""

from playwright.sync_api import expect

from linli.accounts.models import Role
from linli.jobs.testing import run_queued
from linli.people.models import Person
from tests.e2e.conftest import login, shot


def test_the_export_page_shows_the_download_once_the_job_has_run(page, county, make_user):
    from linli.core.testing import HouseholdFactory, PersonFactory
    from linli.people.models import Membership

    staff = make_user(Role.Kind.COMMUNITY_STAFF, county["A"], username="exportstaff")
    person = PersonFactory(division=county["A1"])
    Membership.objects.create(household=HouseholdFactory(division=county["A1"]), person=person,
                              relation=Membership.Relation.HEAD, start_date="2020-01-01")
    login(page, staff.username)
    page.goto(f"/grids/{county['A1'].pk}/")
    page.click("[data-testid=grid-export]")
    expect(page.locator("[data-testid=export-progress]")).to_have_attribute("data-ready", "0")
    run_queued()  # the worker, here
    download_link = page.locator("[data-testid=export-download]")
    expect(download_link).to_be_visible(timeout=10000)  # the next poll swaps the card
    with page.expect_download() as got:
        download_link.click()
    assert got.value.suggested_filename.startswith("register-") and Person.objects.count() == 1
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    shot(page, "export")
