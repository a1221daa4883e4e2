"""The queue's rules, run in-process through the worker's own code (linli.jobs.testing.run_queued):
jobs run only in a worker, report progress, keep their result, can be cancelled, are retried with
backoff until they give up, fail once when their record vanished, and a dead worker's job comes back."""

import datetime as dt

import pytest
from django.utils import timezone, translation

from linli.jobs import conf, services, worker
from linli.jobs.models import Job
from linli.jobs.testing import run_queued

pytestmark = pytest.mark.django_db
HERE = __name__
SEEN = []


def record(*, value):
    SEEN.append(value)
    return {"got": value}


def report_progress():
    services.progress(40)
    SEEN.append(Job.objects.get(status=Job.Status.RUNNING).progress)
    return "ok"


def cancel_myself_then_report():
    Job.objects.filter(status=Job.Status.RUNNING).update(cancel_requested=True)
    services.progress(10)
    SEEN.append("went on after cancel")


def flaky():
    raise ConnectionError("the network blinked")


def gone():
    Job.objects.get(pk=0)


@pytest.fixture(autouse=True)
def _clean():
    SEEN.clear()


def test_an_enqueued_job_runs_in_a_worker_not_in_the_caller(county, make_user):
    staff = make_user("community_staff", county["A"])
    job = services.enqueue(f"{HERE}.record", by=staff, division=county["A"], value=7)
    assert job.status == Job.Status.QUEUED and SEEN == []
    [ran] = run_queued()
    assert SEEN == [7]
    assert ran.status == Job.Status.DONE and ran.result == {"got": 7} and ran.progress == 100
    assert ran.attempts == 1 and ran.started_at and ran.finished_at >= ran.started_at
    assert services.job_result(ran) == {"got": 7}
    assert run_queued() == []  # done is done


def test_progress_reported_inside_a_task_reaches_the_row():
    services.enqueue(f"{HERE}.report_progress")
    run_queued()
    assert SEEN == [40]


def test_a_job_not_due_yet_waits():
    services.enqueue(f"{HERE}.record", value=1, run_after=timezone.now() + dt.timedelta(minutes=5))
    assert run_queued() == []
    assert len(run_queued(due_at=timezone.now() + dt.timedelta(minutes=6))) == 1


def test_a_cancelled_queued_job_never_runs(county, make_user):
    staff = make_user("community_staff", county["A"])
    job = services.enqueue(f"{HERE}.record", by=staff, division=county["A"], value=1)
    assert services.job_cancel(job=job, by=staff).status == Job.Status.CANCELLED
    assert run_queued() == [] and SEEN == []


def test_a_running_job_stops_at_its_next_progress_report_once_cancelled():
    services.enqueue(f"{HERE}.cancel_myself_then_report")
    [ran] = run_queued()
    assert ran.status == Job.Status.CANCELLED and SEEN == []


def test_only_staff_over_the_division_or_the_starter_may_cancel(county, make_user):
    from django.core.exceptions import PermissionDenied

    job = services.enqueue(f"{HERE}.record", by=make_user("community_staff", county["A"]), division=county["A"],
                           value=1)
    with pytest.raises(PermissionDenied):
        services.job_cancel(job=job, by=make_user("community_staff", county["B"]))
    assert services.job_cancel(job=job, by=make_user("county_admin", county["county"])).status == "cancelled"


def test_a_failing_job_is_retried_with_doubling_backoff_then_gives_up():
    job = services.enqueue(f"{HERE}.flaky", max_attempts=3)
    delays = []
    for attempt in (1, 2):
        before = timezone.now()
        [ran] = run_queued(due_at=timezone.now() + dt.timedelta(hours=2))
        assert ran.status == Job.Status.QUEUED and ran.attempts == attempt and ran.error_key == "exception"
        assert "ConnectionError" in ran.error_detail
        delays.append(round((ran.run_after - before).total_seconds()))
    assert delays == [10, 20]  # 10 s, then twice that
    [ran] = run_queued(due_at=timezone.now() + dt.timedelta(hours=2))
    assert ran.status == Job.Status.DEAD and ran.attempts == 3 and ran.finished_at
    assert run_queued(due_at=timezone.now() + dt.timedelta(days=1)) == []
    job.refresh_from_db()
    with translation.override("en"):
        assert job.error_message == "The job failed unexpectedly (ConnectionError)."


def test_a_job_whose_record_vanished_fails_once_without_retrying():
    services.enqueue(f"{HERE}.gone")
    [ran] = run_queued()
    assert ran.status == Job.Status.FAILED and ran.error_key == "vanished" and ran.attempts == 1
    assert run_queued(due_at=timezone.now() + dt.timedelta(days=1)) == []


def test_an_unknown_task_fails_visibly():
    services.enqueue("linli.nowhere.task")
    [ran] = run_queued()
    assert ran.status == Job.Status.FAILED and ran.error_key == "unknown_task"


def test_errors_read_in_the_readers_language():
    services.enqueue(f"{HERE}.gone")
    [ran] = run_queued()
    with translation.override("en"):
        assert ran.error_message.startswith("What this job works on no longer exists")
    with translation.override("zh-hans"):
        assert "已不存在" in ran.error_message


def claimed(attempts=1, max_attempts=5, silent_for=dt.timedelta(minutes=10)):
    job = services.enqueue(f"{HERE}.record", value=1, max_attempts=max_attempts)
    Job.objects.filter(pk=job.pk).update(status=Job.Status.RUNNING, attempts=attempts, worker="dead:1",
                                         heartbeat_at=timezone.now() - silent_for)
    return Job.objects.get(pk=job.pk)


def test_the_job_of_a_silent_worker_is_queued_again_with_backoff():
    job = claimed(attempts=2)
    fresh = claimed(silent_for=dt.timedelta(seconds=1))
    assert worker.reap() == 1
    job.refresh_from_db()
    fresh.refresh_from_db()
    assert job.status == Job.Status.QUEUED and job.error_key == "worker_lost" and job.worker == ""
    assert job.run_after > timezone.now() + conf.backoff(2) - dt.timedelta(seconds=5)
    assert fresh.status == Job.Status.RUNNING  # it beat a second ago: alive


def test_a_silent_worker_on_the_last_attempt_leaves_the_job_dead():
    job = claimed(attempts=5, max_attempts=5)
    worker.reap()
    job.refresh_from_db()
    assert job.status == Job.Status.DEAD and job.finished_at
    with translation.override("en"):
        assert job.error_message == "The worker running this job stopped (attempt 5 of 5)."


def test_a_dead_attempt_cannot_write_over_its_retry():
    job = claimed(attempts=1)
    stale = Job.objects.get(pk=job.pk)
    worker.reap()
    [retry] = run_queued(due_at=timezone.now() + dt.timedelta(minutes=5))
    assert retry.attempts == 2 and retry.status == Job.Status.DONE
    worker._finish(stale, status=Job.Status.FAILED, error_key="late")  # the first attempt wakes up
    retry.refresh_from_db()
    assert retry.status == Job.Status.DONE and retry.error_key == ""


def test_figures_count_jobs_by_state(county, make_user):
    from linli.jobs.selectors import figures

    services.enqueue(f"{HERE}.record", value=1)
    services.enqueue(f"{HERE}.gone")
    claimed(attempts=5, max_attempts=5)
    worker.reap()
    run_queued()
    assert figures() == {"queued": 0, "running": 0, "failed_last_24h": 2, "dead": 1}
