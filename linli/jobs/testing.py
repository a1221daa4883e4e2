"""For tests: run the queued jobs in the calling thread, through the worker's own code (claim, run,
record the outcome), without a heartbeat thread. Not an eager mode: jobs are queued as in production
and run only when a test calls this."""

from django.utils import timezone

from linli.jobs import worker
from linli.jobs.models import Job


def run_queued(*, limit: int = 100, due_at=None) -> list[Job]:
    """Run every job that is queued and due (at `due_at`, default now), in order; returns them as
    they ended. Jobs a task enqueues are run too, up to `limit`; a job retried with backoff is not."""
    done = []
    if due_at is not None:  # a test steps over the backoff without sleeping (a retry is not rerun here)
        Job.objects.filter(status=Job.Status.QUEUED, run_after__lte=due_at).update(run_after=timezone.now())
    while len(done) < limit:
        job = worker.claim("test")
        if job is None:
            break
        done.append(worker.run_one(job, heartbeat=False))
    return done


# Tasks for the queue's own tests (and the two-node test): they leave a trace outside the database.

def append_line(*, path: str, line: str, sleep: float = 0.0) -> str:
    import os
    import time

    if sleep:
        time.sleep(sleep)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, f"{line} {os.getpid()}\n".encode())
    finally:
        os.close(fd)
    return line


def steps(*, n: int = 4) -> dict:
    from linli.jobs.services import progress

    for i in range(n):
        progress(100 * i // n)
    return {"steps": n}


def always_fails() -> None:
    raise RuntimeError("always fails")


def touch_nothing_scheduled() -> int:
    return 0
