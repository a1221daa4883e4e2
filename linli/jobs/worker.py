"""The worker: claim a queued job, run it with a heartbeat, write its outcome; retry the jobs of
workers that died; fire the schedule. `linli worker` runs this loop; any number of them may run on
any number of machines against one database."""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
import time
import traceback

from django.core.exceptions import ObjectDoesNotExist
from django.db import DatabaseError, close_old_connections, connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.module_loading import import_string

from linli.jobs import conf, schedule
from linli.jobs.models import Job
from linli.jobs.services import Cancelled, JobError, Running, _current

log = logging.getLogger(__name__)
REAP_EVERY = 10.0  # seconds between two looks for jobs whose worker died


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def claim(name: str) -> Job | None:
    """Take the next due job: one worker only gets each (skip_locked on PostgreSQL, the write lock on
    SQLite, and the status test in the UPDATE on both)."""
    now = timezone.now()
    due = Job.objects.filter(status=Job.Status.QUEUED, run_after__lte=now).order_by("run_after", "pk")
    if not due.exists():  # an idle worker only reads (on SQLite a write transaction locks the database)
        return None
    with transaction.atomic():
        if connection.features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True)
        pk = due.values_list("pk", flat=True).first()
        if pk is None:
            return None
        if not Job.objects.filter(pk=pk, status=Job.Status.QUEUED).update(
                status=Job.Status.RUNNING, attempts=F("attempts") + 1, started_at=now, heartbeat_at=now,
                worker=name[:120], progress=0, finished_at=None):
            return None
    return Job.objects.get(pk=pk)


class _Heartbeat(threading.Thread):
    """Touches the running job's row (and writes its progress) from its own connection, so a job
    inside one long transaction still shows signs of life and progress to other processes."""

    def __init__(self, run: Running):
        super().__init__(daemon=True, name=f"job-{run.job_id}-heartbeat")
        self.run_state, self.stop = run, threading.Event()

    def run(self) -> None:
        every = conf.value("LINLI_JOBS_HEARTBEAT_SECONDS")
        last = 0.0
        try:
            while not self.stop.wait(min(1.0, every)):
                run = self.run_state
                if run.written == run.progress and time.monotonic() - last < every:
                    continue
                try:
                    mine = Job.objects.filter(pk=run.job_id, status=Job.Status.RUNNING, attempts=run.attempt)
                    seen = run.progress
                    if not mine.update(heartbeat_at=timezone.now(), progress=seen):
                        return  # reaped or finished: nothing left to keep alive
                    run.written, last = seen, time.monotonic()
                    run.cancel = run.cancel or mine.filter(cancel_requested=True).exists()
                except DatabaseError:  # SQLite locked by the job's own transaction: try again later
                    log.debug("heartbeat of job %s postponed", run.job_id)
        finally:
            connection.close()


def _finish(job: Job, **fields) -> None:
    """Write the outcome while this attempt still owns the job (the reaper may have taken it back)."""
    Job.objects.filter(pk=job.pk, status=Job.Status.RUNNING, attempts=job.attempts).update(
        finished_at=timezone.now(), **fields)


def _retry_or_dead(job: Job, *, key: str, params: dict, detail: str = "") -> dict:
    if job.attempts >= job.max_attempts:
        return {"status": Job.Status.DEAD, "error_key": key, "error_params": params, "error_detail": detail[:8000]}
    return {"status": Job.Status.QUEUED, "run_after": timezone.now() + conf.backoff(job.attempts),
            "error_key": key, "error_params": params, "error_detail": detail[:8000], "worker": ""}


def run_one(job: Job, *, heartbeat: bool = True) -> Job:
    """Run a claimed job and record its outcome; never raises (a worker must not die of a task)."""
    run = Running(job_id=job.pk, attempt=job.attempts, direct=not heartbeat)
    token = _current.set(run)
    beat = _Heartbeat(run) if heartbeat else None
    if beat:
        beat.start()
    try:
        try:
            fn = import_string(job.task)
        except ImportError:
            raise JobError("unknown_task", task=job.task) from None
        result = fn(**(job.params or {}))
        _finish(job, status=Job.Status.DONE, progress=100, result=result if _jsonable(result) else None,
                error_key="", error_params={}, error_detail="")
    except Cancelled:
        _finish(job, status=Job.Status.CANCELLED)
    except ObjectDoesNotExist as exc:  # the record is gone: trying again would fail again
        _finish(job, status=Job.Status.FAILED, error_key="vanished", error_params={"model": _model_of(exc)},
                error_detail=str(exc)[:2000])
    except JobError as exc:
        _finish(job, status=Job.Status.FAILED, error_key=exc.key, error_params=exc.params)
    except Exception as exc:
        log.exception("job %s (%s) failed, attempt %s of %s", job.pk, job.task, job.attempts, job.max_attempts)
        fields = _retry_or_dead(job, key="exception", params={"kind": type(exc).__name__},
                                detail=traceback.format_exc())
        Job.objects.filter(pk=job.pk, status=Job.Status.RUNNING, attempts=job.attempts).update(
            finished_at=timezone.now() if fields["status"] == Job.Status.DEAD else None, **fields)
    finally:
        _current.reset(token)
        if beat:
            beat.stop.set()
            beat.join()
    job.refresh_from_db()
    return job


def _model_of(exc: ObjectDoesNotExist) -> str:
    from django.apps import apps

    return next((m._meta.label for m in apps.get_models() if type(exc) is m.DoesNotExist), "")


def _jsonable(value) -> bool:
    import json

    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return False
    return True


def reap(now=None) -> int:
    """Give back the running jobs whose worker fell silent for LINLI_JOBS_STALE_SECONDS: queued again
    with backoff, or dead once their attempts are used up (cancelled if that was asked). The UPDATE
    repeats the silence test, so a job that has just beaten is left alone."""
    now = now or timezone.now()
    cutoff = now - conf.seconds("LINLI_JOBS_STALE_SECONDS")
    silent = Job.objects.filter(status=Job.Status.RUNNING, heartbeat_at__lt=cutoff)
    count = 0
    for job in silent.only("pk", "attempts", "max_attempts", "cancel_requested"):
        mine = Job.objects.filter(pk=job.pk, status=Job.Status.RUNNING, attempts=job.attempts, heartbeat_at__lt=cutoff)
        if job.cancel_requested:
            count += mine.update(status=Job.Status.CANCELLED, finished_at=now)
            continue
        fields = _retry_or_dead(job, key="worker_lost", params={"attempt": job.attempts, "allowed": job.max_attempts})
        if fields["status"] == Job.Status.DEAD:
            fields["finished_at"] = now
        count += mine.update(**fields)
    if count:
        log.warning("gave back %d job(s) whose worker stopped", count)
    return count


def work(*, name: str | None = None, once: bool = False, exit_with_parent: bool = False) -> int:
    """The worker loop. SIGTERM or SIGINT lets the running job finish, then ends the loop. With
    `once`, stop when nothing is due. With `exit_with_parent` (the demo), stop when the process that
    started this one is gone. Returns how many jobs it ran."""
    name = name or worker_name()
    stopping = threading.Event()
    parent = os.getppid()
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stopping.set())
    poll = conf.value("LINLI_JOBS_POLL_SECONDS")
    seen: dict[str, object] = {}
    last_reap, ran = 0.0, 0
    log.info("worker %s started", name)
    while not stopping.is_set():
        if exit_with_parent and os.getppid() != parent:
            break
        try:
            if time.monotonic() - last_reap > REAP_EVERY:
                reap()
                last_reap = time.monotonic()
            schedule.tick(seen=seen)
            job = claim(name)
        except DatabaseError:  # SQLite busy, PostgreSQL restarting: look again shortly
            log.warning("worker %s could not reach the queue", name, exc_info=True)
            connection.close()
            stopping.wait(poll)
            continue
        if job is not None:
            try:
                run_one(job)
            except DatabaseError:  # the outcome could not be written: the reaper gives the job back
                log.exception("worker %s lost the database while finishing job %s", name, job.pk)
                connection.close()
            ran += 1
            close_old_connections()
            continue
        if once:
            break
        stopping.wait(poll)
        close_old_connections()
    log.info("worker %s stopped after %d job(s)", name, ran)
    return ran
