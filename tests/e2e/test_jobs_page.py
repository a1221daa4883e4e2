"""The jobs page at phone width and on a desktop: staff reach it from the menu, each job is a card
with its status, progress and error, and nothing is wider than the screen."""

from django.utils import timezone

from linli.accounts.models import Role
from linli.jobs import services
from linli.jobs.models import Job
from linli.jobs.testing import run_queued
from tests.e2e.conftest import login, shot


def test_the_jobs_page_fits_a_phone_and_shows_errors_in_chinese(page, county, make_user):
    staff = make_user(Role.Kind.COMMUNITY_STAFF, county["A"], username="jobsstaff")
    services.enqueue("linli.jobs.tests.test_page.gone", by=staff, division=county["A"])
    run_queued()
    Job.objects.create(task="linli.grids.services.register_import_commit_job", created_by=staff,
                       division=county["A"], status=Job.Status.RUNNING, progress=42, started_at=timezone.now())
    login(page, staff.username)
    page.goto("/jobs/")
    assert page.locator("[data-testid=job]").count() == 2
    assert "已不存在" in page.inner_text("[data-testid=job-error]")
    assert page.locator("progress[value='42']").count() == 1
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    shot(page, "jobs")
