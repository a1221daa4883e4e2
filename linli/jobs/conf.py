"""The queue's timings: a setting, else an environment variable (the worker processes a test starts
read them from there), else the default."""

import datetime as dt
import os

from django.conf import settings

DEFAULTS = {
    "LINLI_JOBS_POLL_SECONDS": 1.0,  # how often an idle worker looks for work
    "LINLI_JOBS_HEARTBEAT_SECONDS": 5.0,  # how often a running job's row is touched
    "LINLI_JOBS_STALE_SECONDS": 120.0,  # silence after which a running job's worker is taken for dead
    "LINLI_JOBS_BACKOFF_SECONDS": 10.0,  # first retry delay; doubles with every attempt
    "LINLI_JOBS_BACKOFF_MAX_SECONDS": 3600.0,
    "LINLI_JOBS_MAX_ATTEMPTS": 5,
    "LINLI_JOBS_KEEP_DAYS": 30,  # finished jobs older than this are pruned nightly
    "LINLI_EXPORTS_KEEP_HOURS": 24.0,  # an export's file is downloadable this long, then pruned
}


def value(name: str) -> float:
    if hasattr(settings, name):
        return type(DEFAULTS[name])(getattr(settings, name))
    if os.environ.get(name):
        return type(DEFAULTS[name])(os.environ[name])
    return DEFAULTS[name]


def seconds(name: str) -> dt.timedelta:
    return dt.timedelta(seconds=value(name))


def backoff(attempt: int) -> dt.timedelta:
    """Delay before attempt `attempt + 1`: 10 s, 20 s, 40 s … up to an hour."""
    base = value("LINLI_JOBS_BACKOFF_SECONDS")
    return dt.timedelta(seconds=min(base * 2 ** max(attempt - 1, 0), value("LINLI_JOBS_BACKOFF_MAX_SECONDS")))
