"""The staff page of jobs: staff see the jobs of their divisions (and the ones they started),
superusers all, everybody else gets a 404; errors read in the reader's language; staff reach it
from the navigation."""

import pytest
from django.test import Client
from django.urls import reverse

from linli.core.nav import nav_for
from linli.jobs import services
from linli.jobs.models import Job
from linli.jobs.testing import run_queued

pytestmark = pytest.mark.django_db
URL = "/jobs/"


def client_for(user, lang="en"):
    c = Client(HTTP_ACCEPT_LANGUAGE=lang)
    c.force_login(user)
    return c


def gone():
    Job.objects.get(pk=0)


@pytest.fixture
def jobs(county):
    a = services.enqueue("linli.jobs.testing.steps", division=county["A1"], key="in-A")
    b = services.enqueue("linli.jobs.testing.steps", division=county["B"], key="in-B")
    nightly = services.enqueue("linli.jobs.testing.steps", schedule="nightly", key="scheduled")
    return a, b, nightly


def shown(client):
    r = client.get(URL)
    assert r.status_code == 200
    return {j.key for j in r.context["jobs"]}


def test_staff_see_the_jobs_of_their_divisions_only(jobs, county, make_user):
    assert shown(client_for(make_user("community_staff", county["A"]))) == {"in-A"}
    assert shown(client_for(make_user("county_admin", county["county"]))) == {"in-A", "in-B"}
    assert shown(client_for(make_user(is_superuser=True))) == {"in-A", "in-B", "scheduled"}


def test_the_starter_sees_their_own_job(county, make_user):
    staff = make_user("community_staff", county["B"])
    services.enqueue("linli.jobs.testing.steps", by=staff, key="mine")
    assert shown(client_for(staff)) == {"mine"}


def test_people_who_are_not_staff_get_a_404(jobs, county, make_user):
    for kind, where in (("grid_worker", county["A1"]), ("resident", county["A"]), (None, None)):
        assert client_for(make_user(kind, where)).get(URL).status_code == 404


def test_cancelling_a_job_out_of_scope_is_a_404(jobs, county, make_user):
    a, b, _ = jobs
    staff = client_for(make_user("community_staff", county["A"]))
    assert staff.post(reverse("jobs:cancel", args=[b.pk])).status_code == 404
    assert staff.post(reverse("jobs:cancel", args=[a.pk])).status_code == 302
    a.refresh_from_db()
    b.refresh_from_db()
    assert a.status == Job.Status.CANCELLED and b.status == Job.Status.QUEUED


def test_the_page_shows_status_progress_and_the_error_in_the_readers_language(county, make_user):
    staff = make_user("community_staff", county["A"])
    services.enqueue(f"{__name__}.gone", by=staff, division=county["A"])
    run_queued()
    Job.objects.create(task="linli.coverage.services.coverage_run_execute", division=county["A"],
                       status=Job.Status.RUNNING, progress=55)
    en = client_for(staff).get(URL).content.decode()
    assert "What this job works on no longer exists (job); the job gave up." in en
    assert 'value="55"' in en and "Coverage run" in en and 'data-status="failed"' in en
    zh = client_for(staff, "zh-hans").get(URL).content.decode()
    assert "已不存在" in zh and "覆盖测算" in zh


def test_staff_reach_the_page_from_the_navigation_others_do_not(county, make_user):
    def keys(user):
        return {item["key"] for item in nav_for(user)[0]}

    assert "jobs" in keys(make_user("community_staff", county["A"]))
    assert "jobs" not in keys(make_user("grid_worker", county["A1"]))
