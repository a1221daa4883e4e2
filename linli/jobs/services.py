"""The small interface every app uses for background work.

    from linli.jobs import services as jobs
    jobs.enqueue("linli.grids.services.register_import_commit_job", by=user, division=d, key=..., pk=12)
    jobs.progress(40)         # inside a task: report progress (and stop if cancelled)
    jobs.job_cancel(job=job, by=user)

A task is a plain function found by its dotted path, called with the job's parameters as keyword
arguments (JSON values); its return value (JSON) is the job's result. Rules:
- a job is enqueued in the caller's transaction: a worker sees it only once that commits;
- every task is idempotent: a job may run again after its worker died, and must then change nothing
  that its first run already changed;
- a task whose record has vanished raises ObjectDoesNotExist (or JobError): the job fails visibly, once;
  any other exception is retried with backoff until the attempts run out (then "dead").
"""

from __future__ import annotations

import datetime as dt
from contextvars import ContextVar
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied
from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _

from linli.accounts.models import Role
from linli.core.scoping import has_role_over
from linli.jobs import conf
from linli.jobs.models import Job, ScheduleSlot


class JobError(Exception):
    """A failure the task knows will not go away by trying again; shown as MESSAGES[key] % params."""

    def __init__(self, key: str = "message", **params):
        super().__init__(key, params)
        self.key, self.params = key, params


class Cancelled(BaseException):
    """Raised inside a task by progress() once someone asked to cancel its job. A BaseException, like
    KeyboardInterrupt, so a task's "record any failure" handler does not swallow it; a task that holds
    a claim catches it to release the claim, then raises it again."""


@dataclass
class Running:
    """The job the current thread is running."""

    job_id: int
    attempt: int
    progress: int = 0
    cancel: bool = False
    direct: bool = False  # write progress at once (the in-process test runner has no heartbeat)
    written: int = field(default=-1)


_current: ContextVar[Running | None] = ContextVar("linli_job", default=None)


def current() -> Running | None:
    return _current.get()


def is_retry() -> bool:
    """True inside a job's second or later attempt: the first one died or failed part way."""
    run = current()
    return bool(run and run.attempt > 1)


def enqueue(task: str, *, by=None, division=None, key: str = "", max_attempts: int | None = None,
            run_after=None, schedule: str = "", **params) -> Job:
    """Queue `task(**params)` for a worker. `by` and `division` say who may see the job."""
    return Job.objects.create(
        task=task, params=params, key=key, schedule=schedule, created_by=by if getattr(by, "pk", None) else None,
        division=division, max_attempts=max_attempts or int(conf.value("LINLI_JOBS_MAX_ATTEMPTS")),
        run_after=run_after or timezone.now())


def progress(percent: int) -> None:
    """Report how far the running job has got (0–100). Outside a job it does nothing. Inside a
    transaction the row is written by the worker's heartbeat (another connection), so the page sees
    it while the transaction runs. Raises Cancelled once the job's cancellation was asked."""
    run = current()
    if run is None:
        return
    run.progress = max(0, min(100, int(percent)))
    if run.direct or not connection.in_atomic_block:
        mine = Job.objects.filter(pk=run.job_id, status=Job.Status.RUNNING, attempts=run.attempt)
        mine.update(progress=run.progress, heartbeat_at=timezone.now())
        run.written = run.progress
        run.cancel = run.cancel or mine.filter(cancel_requested=True).exists()
    if run.cancel:
        raise Cancelled


def job_cancel(*, job: Job, by) -> Job:
    """Cancel a queued job at once; a running one stops at its next progress report. Staff over the
    job's division, its starter and superusers may cancel."""
    if not (job.created_by_id == by.pk or has_role_over(by, Role.STAFF, job.division)):
        raise PermissionDenied(_("Only staff of this division may cancel this job."))
    now = timezone.now()
    if not Job.objects.filter(pk=job.pk, status=Job.Status.QUEUED).update(
            status=Job.Status.CANCELLED, finished_at=now, cancel_requested=True):
        Job.objects.filter(pk=job.pk, status=Job.Status.RUNNING).update(cancel_requested=True)
    job.refresh_from_db()
    return job


def job_result(job: Job):
    """The task's return value once the job is done, else None."""
    job.refresh_from_db(fields=["status", "result"])
    return job.result if job.status == Job.Status.DONE else None


def jobs_prune() -> int:
    """Delete finished jobs older than LINLI_JOBS_KEEP_DAYS, schedule slots older than a week and
    expired exports with their files."""
    from linli.jobs.exports import exports_prune

    now = timezone.now()
    exports_prune(now)
    cutoff = now - dt.timedelta(days=conf.value("LINLI_JOBS_KEEP_DAYS"))
    ScheduleSlot.objects.filter(slot__lt=now - dt.timedelta(days=7)).delete()
    deleted, _rows = Job.objects.filter(status__in=Job.OVER, finished_at__lt=cutoff).delete()
    return deleted
