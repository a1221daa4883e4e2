"""A run or siting computes in a job worker that may die (a restart, a deploy); its job is retried and
takes the run over (linli/jobs/tests). One silent for RUN_STALE_AFTER shows as failed and interrupted on the page and in the API, does not block a
new one, and the dead thread's late writes never overwrite what came after; a live one beats."""

import datetime as dt
import re
import threading
import time

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from linli.accounts.models import Role
from linli.coverage import services
from linli.coverage.models import CoverageRun
from linli.jobs.models import Job
from linli.jobs.testing import run_queued

from .conftest import center, household

pytestmark = pytest.mark.django_db
RUNS = "/api/coverage/runs/"
STALE = services.RUN_STALE_AFTER + dt.timedelta(minutes=1)
FRESH = services.RUN_STALE_AFTER - dt.timedelta(minutes=1)


@pytest.fixture
def finished(network, county):
    center(county["A"], 0, 0)
    household(county["A1"], 100, 0, members=2)
    household(county["A2"], 1400, 1400)
    return services.coverage_run(network=network, division=county["county"])


def last_sign_of_life(run, ago):
    CoverageRun.objects.filter(pk=run.pk).update(updated_at=timezone.now() - ago)


def running(network, division, *, ago):
    """A run claimed by a thread at 40 %, last heard of `ago` ago."""
    run = CoverageRun.objects.create(network=network, division=division, speed_kmh=4.0, thresholds=[5, 10, 15],
                                     status=CoverageRun.Status.RUNNING, progress=40, started_at=timezone.now() - ago)
    last_sign_of_life(run, ago)
    return run


def siting_running(run, *, ago):
    CoverageRun.objects.filter(pk=run.pk).update(siting_status=CoverageRun.Status.RUNNING, siting_progress=30,
                                                 siting={"k": 1, "candidates": "nodes", "time_limit_s": 30},
                                                 siting_started_at=timezone.now() - ago)
    last_sign_of_life(run, ago)


def run_form(html):
    return re.search(r'data-testid="coverage-run-form".*?</form>', html, re.S).group(0)


def staff(client, make_user, division):
    client.force_login(make_user(Role.Kind.COUNTY_ADMIN, division))
    return client


def test_a_run_silent_for_the_stale_period_shows_as_interrupted_and_a_new_run_starts(
        client, make_user, county, network, finished):
    dead = running(network, county["county"], ago=STALE)
    c = staff(client, make_user, county["county"])
    page = reverse("coverage:division", args=[county["county"].pk])
    html = c.get(page).content.decode()
    assert 'data-testid="coverage-progress"' not in html and 'data-testid="coverage-failed"' in html
    assert "测算被中断" in html  # the message, in the page's language
    assert "disabled" not in run_form(html)
    dead.refresh_from_db()
    assert dead.status == CoverageRun.Status.FAILED and dead.interrupted and not dead.is_busy
    poll = reverse("coverage:progress", args=[county["county"].pk, dead.pk])
    htmx = c.get(poll, HTTP_HX_REQUEST="true")
    assert htmx.status_code == 204 and htmx["HX-Refresh"] == "true"  # an open page reloads and shows it
    assert "测算被中断" in c.get(poll).content.decode()
    c.post(reverse("coverage:run_start", args=[county["county"].pk]))
    new = CoverageRun.objects.latest("pk")
    assert new.pk != dead.pk and new.status == CoverageRun.Status.FINISHED


def test_the_api_reports_an_interrupted_run_as_failed_and_accepts_a_new_one(
        api, make_user, county, network, finished):
    dead = running(network, county["county"], ago=STALE)
    api.force_authenticate(make_user(Role.Kind.COUNTY_ADMIN, county["county"]))
    body = api.get(f"{RUNS}{dead.pk}/", HTTP_ACCEPT_LANGUAGE="en").json()
    assert body["status"] == "failed" and body["interrupted"] is True
    assert "interrupted" in body["error"] and "Start it again" in body["error"]
    assert api.get(f"{RUNS}{dead.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans").json()["error"].startswith("测算被中断")
    assert [r["id"] for r in api.get(RUNS, {"status": "running"}).json()["results"]] == []
    started = api.post(RUNS, {"division": county["county"].pk}, format="json")
    assert started.status_code == 202 and started.json()["status"] == "finished"


def test_a_fresh_running_run_is_not_called_interrupted(client, api, make_user, county, network, finished):
    alive = running(network, county["county"], ago=FRESH)
    assert services.coverage_runs_interrupt_stale() == 0
    c = staff(client, make_user, county["county"])
    html = c.get(reverse("coverage:division", args=[county["county"].pk])).content.decode()
    assert 'data-testid="coverage-progress"' in html and 'value="40"' in html
    assert 'data-testid="coverage-failed"' not in html and "disabled" in run_form(html)
    api.force_authenticate(make_user(Role.Kind.COUNTY_ADMIN, county["county"]))
    body = api.get(f"{RUNS}{alive.pk}/").json()
    assert body["status"] == "running" and body["interrupted"] is False and body["error"] == ""
    alive.refresh_from_db()
    assert alive.status == CoverageRun.Status.RUNNING and not alive.interrupted


def test_a_siting_silent_for_the_stale_period_shows_as_interrupted_and_may_be_asked_again(
        client, api, make_user, county, finished):
    siting_running(finished, ago=STALE)
    c = staff(client, make_user, county["county"])
    html = c.get(reverse("coverage:division", args=[county["county"].pk])).content.decode()
    assert 'data-testid="coverage-progress"' not in html and 'data-testid="coverage-siting-failed"' in html
    assert "选址被中断" in html
    api.force_authenticate(make_user(Role.Kind.COUNTY_ADMIN, county["county"]))
    body = api.get(f"{RUNS}{finished.pk}/", HTTP_ACCEPT_LANGUAGE="en").json()
    assert body["siting_status"] == "failed" and body["siting_interrupted"] is True
    assert "interrupted" in body["siting_error"]
    again = api.post(f"{RUNS}{finished.pk}/siting/", {"k": 1, "candidates": "nodes"}, format="json")
    assert again.status_code == 202 and again.json()["siting_status"] == "finished"
    assert again.json()["siting_interrupted"] is False and again.json()["siting_error"] == ""


def test_a_stale_siting_does_not_block_a_new_one_even_unread(finished):
    siting_running(finished, ago=STALE)  # nobody has looked at it since its thread died
    run = services.coverage_site(run=finished, k=1, candidates="nodes")
    assert run.siting_status == CoverageRun.Status.FINISHED and len(run.siting["chosen"]) == 1


def test_a_fresh_siting_still_blocks_a_second_one(finished):
    siting_running(finished, ago=FRESH)
    with pytest.raises(ValidationError, match="正在计算中"):
        services.coverage_site(run=finished, k=1, candidates="nodes")
    finished.refresh_from_db()
    assert finished.siting_status == CoverageRun.Status.RUNNING and not finished.siting_interrupted


def test_a_siting_asked_on_an_old_run_is_not_interrupted_while_it_waits(settings, finished):
    settings.LINLI_COVERAGE_INLINE = False  # the thread would start on commit, which never comes here
    last_sign_of_life(finished, dt.timedelta(hours=5))  # the run itself finished long ago
    run = services.coverage_site(run=finished, k=1, candidates="nodes", background=True)
    assert run.siting_status == CoverageRun.Status.PENDING
    assert services.coverage_runs_interrupt_stale() == 0


@pytest.mark.parametrize("where", ["isochrones", "results"])
def test_a_run_marked_interrupted_mid_way_writes_nothing_when_its_thread_wakes(
        monkeypatch, network, county, where):
    """The thread stalls (a frozen process), a reader marks the run interrupted, the thread goes on."""
    center(county["A"], 0, 0)
    household(county["A1"], 100, 0)

    def stall_and_get_marked():
        last_sign_of_life(CoverageRun.objects.get(), STALE)
        assert services.coverage_runs_interrupt_stale() == 1

    if where == "isochrones":  # a long step; the next progress update finds the claim gone
        real = services.engine.isochrones
        monkeypatch.setattr(services.engine, "isochrones", lambda **kw: (stall_and_get_marked(), real(**kw))[1])
    else:  # the very last write
        real_set = CoverageRun.set_household_results
        monkeypatch.setattr(CoverageRun, "set_household_results",
                            lambda self, **kw: (stall_and_get_marked(), real_set(self, **kw))[1])
    run = services.coverage_run(network=network, division=county["county"])
    assert run.status == CoverageRun.Status.FAILED and run.interrupted
    assert run.figures == {} and run.household_results is None and run.progress < 100


@pytest.mark.parametrize("late", ["result", "failure"])
def test_a_dead_sitings_late_write_does_not_overwrite_the_siting_asked_after_it(monkeypatch, finished, late):
    """Siting k=1 stalls in the solver; it is marked interrupted, a k=2 siting is asked and finishes;
    then the first thread wakes with its result (or its error) and must leave the k=2 answer alone."""
    real = services.engine.site_new_centers
    calls = []

    def solver(**kw):
        calls.append(kw["k"])
        if len(calls) == 1:
            last_sign_of_life(finished, STALE)
            again = services.coverage_site(run=CoverageRun.objects.get(pk=finished.pk), k=2, candidates="nodes")
            assert again.siting_status == CoverageRun.Status.FINISHED and again.siting["k"] == 2
            if late == "failure":
                raise RuntimeError("the first thread fails late")
        return real(**kw)

    monkeypatch.setattr(services.engine, "site_new_centers", solver)
    services.coverage_site(run=finished, k=1, candidates="nodes")
    finished.refresh_from_db()
    assert calls == [1, 2]
    assert finished.siting_status == CoverageRun.Status.FINISHED and finished.siting["k"] == 2
    assert len(finished.siting["chosen"]) == 2 and finished.siting_error == "" and not finished.siting_interrupted


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("what", ["run", "siting"])
def test_a_job_beats_through_a_step_longer_than_the_stale_period(monkeypatch, settings, network, county,
                                                                          what):
    center(county["A"], 0, 0)
    household(county["A1"], 100, 0)
    run = services.coverage_run(network=network, division=county["county"])
    settings.LINLI_COVERAGE_INLINE = False
    monkeypatch.setattr(services, "RUN_STALE_AFTER", dt.timedelta(seconds=0.4))
    step = "isochrones" if what == "run" else "site_new_centers"
    real = getattr(services.engine, step)
    seen = []

    def slow(**kw):
        time.sleep(1.2)  # three stale periods without a progress update
        seen.append(services.coverage_runs_interrupt_stale())  # as a page read by someone else would
        return real(**kw)

    monkeypatch.setattr(services.engine, step, slow)
    if what == "run":
        run = services.coverage_run(network=network, division=county["county"], background=True)
    else:
        services.coverage_site(run=run, k=1, candidates="nodes", background=True)
    [job] = run_queued()  # the worker's code, in this thread (the patched engine is only here)
    assert job.status == Job.Status.DONE and job.key == f"coverage.run:{run.pk}"
    run.refresh_from_db()
    assert seen == [0]
    if what == "run":
        assert run.status == CoverageRun.Status.FINISHED and not run.interrupted, run.error
    else:
        assert run.siting_status == CoverageRun.Status.FINISHED and not run.siting_interrupted, run.siting_error
    assert not any(t.name.endswith("-heartbeat") for t in threading.enumerate())  # no thread of its own


@pytest.mark.parametrize("what", ["run", "siting"])
def test_a_run_whose_job_stopped_beating_is_stale(settings, network, county, what):
    """The other half of the rule: silence of the run *and* of its job's worker means it is dead."""
    from linli.jobs import worker

    center(county["A"], 0, 0)
    household(county["A1"], 100, 0)
    run = services.coverage_run(network=network, division=county["county"])
    settings.LINLI_COVERAGE_INLINE = False
    if what == "run":
        run = services.coverage_run(network=network, division=county["county"], background=True)
        CoverageRun.objects.filter(pk=run.pk).update(status=CoverageRun.Status.RUNNING)
    else:
        services.coverage_site(run=run, k=1, candidates="nodes", background=True)
        CoverageRun.objects.filter(pk=run.pk).update(siting_status=CoverageRun.Status.RUNNING)
    job = worker.claim("silent")
    last_sign_of_life(run, STALE)
    assert services.coverage_runs_interrupt_stale() == 0  # the job beat a moment ago: alive
    Job.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now() - dt.timedelta(minutes=5))
    assert services.coverage_runs_interrupt_stale() == 1


def test_the_retry_of_a_job_whose_worker_died_takes_the_run_over(settings, network, county):
    from linli.jobs import worker

    center(county["A"], 0, 0)
    household(county["A1"], 100, 0)
    settings.LINLI_COVERAGE_INLINE = False
    run = services.coverage_run(network=network, division=county["county"], background=True)
    job = worker.claim("doomed")  # the first worker claims the job and the run, then dies
    dead_claim = timezone.now() - dt.timedelta(minutes=3)
    CoverageRun.objects.filter(pk=run.pk).update(status=CoverageRun.Status.RUNNING, progress=40,
                                                 started_at=dead_claim, updated_at=dead_claim)
    Job.objects.filter(pk=job.pk).update(heartbeat_at=dead_claim)
    assert worker.reap() == 1 and services.coverage_runs_interrupt_stale() == 0  # retried, not interrupted
    [retry] = run_queued(due_at=timezone.now() + dt.timedelta(minutes=5))
    run.refresh_from_db()
    assert retry.attempts == 2 and retry.status == Job.Status.DONE
    assert run.status == CoverageRun.Status.FINISHED and not run.interrupted and run.progress == 100
    # The dead attempt's claim (its start time) no longer matches: its late writes go nowhere.
    assert not CoverageRun.objects.filter(pk=run.pk, status=CoverageRun.Status.RUNNING, started_at=dead_claim).exists()


def test_a_run_already_finished_is_left_alone_by_a_second_run_of_its_job(finished):
    from linli.jobs.services import Running, _current

    before = (finished.status, finished.finished_at, finished.figures)
    token = _current.set(Running(job_id=0, attempt=2))  # as inside a retry
    try:
        services.coverage_run_execute(finished.pk)
    finally:
        _current.reset(token)
    finished.refresh_from_db()
    assert (finished.status, finished.finished_at, finished.figures) == before


def test_a_deleted_run_fails_its_job_once(settings, network, county):
    settings.LINLI_COVERAGE_INLINE = False
    run = services.coverage_run(network=network, division=county["county"], background=True)
    CoverageRun.objects.filter(pk=run.pk).delete()
    [ran] = run_queued()
    assert ran.status == Job.Status.FAILED and ran.error_key == "vanished"
    assert run_queued(due_at=timezone.now() + dt.timedelta(hours=1)) == []
