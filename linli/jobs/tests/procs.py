"""Real worker processes for the tests: started against the test database with short timings,
stopped (or killed) by the test, always ended when the test ends."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[3]
FAST = {"LINLI_JOBS_POLL_SECONDS": "0.2", "LINLI_JOBS_HEARTBEAT_SECONDS": "0.5",
        "LINLI_JOBS_STALE_SECONDS": "3", "LINLI_JOBS_BACKOFF_SECONDS": "0.5"}


def database_url() -> str:
    s = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{s['NAME']}"
    return f"postgres://{s['USER']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def environment(schedule: dict | None = None, **extra) -> dict:
    env = {**os.environ, **FAST, "DJANGO_SETTINGS_MODULE": "linli.settings_test", "DATABASE_URL": database_url(),
           "LINLI_DATA_DIR": str(settings.DATA_DIR), "LINLI_TEST_SCHEDULE": json.dumps(schedule or {}),
           "PYTHONUNBUFFERED": "1"}
    env.update(extra)
    return env


class Processes:
    def __init__(self, tmp_path):
        self.tmp, self.procs = tmp_path, []

    def start(self, *args, schedule=None, name="w", **extra) -> subprocess.Popen:
        log = open(self.tmp / f"{name}-{len(self.procs)}.log", "wb")  # noqa: SIM115 (closed with the process)
        proc = subprocess.Popen(args, cwd=ROOT, env=environment(schedule, **extra), stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True)
        proc.log = log
        self.procs.append(proc)
        return proc

    def worker(self, name="w", schedule=None) -> subprocess.Popen:
        return self.start(sys.executable, "manage.py", "jobs_worker", "--name", name, schedule=schedule, name=name)

    def stop(self, proc, sig=signal.SIGTERM, timeout=30) -> int:
        if proc.poll() is None:
            proc.send_signal(sig)
        try:
            return proc.wait(timeout=timeout)
        finally:
            proc.log.close()

    def end_all(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
            proc.log.close()

    def logs(self) -> str:
        return "\n".join(p.read_text(errors="replace")[-3000:] for p in sorted(self.tmp.glob("*.log")))


def wait_for(predicate, *, timeout: float, every: float = 0.2, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"timed out waiting for {what}")
