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


def export_via_job(client, url: str, query: dict | None = None, data: dict | None = None):
    """Press an export button as `client` (POST to `url` with the page's filters in the query), run the
    queued jobs as a worker would, and download the file: (export, response). The test client answers
    the download as a streaming response; its bytes are in response.body."""
    from urllib.parse import urlencode

    from linli.jobs.models import Export

    target = f"{url}?{urlencode(query, doseq=True)}" if query else url
    r = client.post(target, data or {})
    assert r.status_code == 302, (r.status_code, r.content[:300])
    token = r["Location"].rstrip("/").rsplit("/", 1)[-1]
    export = Export.objects.get(token=token)
    run_queued()
    export.refresh_from_db()
    r = client.get(f"{r['Location']}download/")
    if r.status_code == 200:
        r.body = b"".join(r.streaming_content)
    return export, r


def slow_export(*, user, seconds: float = 0.0, rows: int = 3):
    """An export builder for the queue's tests: takes `seconds`, reporting progress as it goes."""
    import time

    from linli.jobs.exports import File
    from linli.jobs.services import progress

    for i in range(10):
        progress(10 * i)
        time.sleep(seconds / 10)
    return File(body="\n".join(f"{user.username},{i}" for i in range(rows)).encode(), name="slow.csv",
                content_type="text/csv")
