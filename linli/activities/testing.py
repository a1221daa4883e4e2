"""Helpers for the activities and volunteers tests (and the benchmark)."""

import datetime as dt

from django.utils import timezone

from linli.accounts.models import Role
from linli.activities import services
from linli.activities.models import Method, Platform
from linli.core.testing import PersonFactory, SiteFactory, UserFactory, grant


def seed_reference_data() -> None:
    """Re-run the data migrations' seeds (idempotent): transactional tests flush the seeded taxonomy."""
    import importlib

    from django.apps import apps

    if Platform.objects.exists():
        return
    for module in ("linli.activities.migrations.0003_seed_taxonomy",
                   "linli.volunteers.migrations.0002_seed_teams_and_rules"):
        importlib.import_module(module).seed(apps, None)


def future(hours: float = 48) -> dt.datetime:
    return (timezone.now() + dt.timedelta(hours=hours)).replace(microsecond=0)


def activity(*, by, site=None, division=None, capacity: int = 10, start=None, hours: float = 2, **kwargs):
    seed_reference_data()
    site = site or SiteFactory(division=division)
    start = start or future()
    return services.activity_create(by=by, title=kwargs.pop("title", "城市夜话"), site=site,
                                    platform=kwargs.pop("platform", Platform.objects.get(code="theory_policy")),
                                    method=kwargs.pop("method", Method.objects.get(code="thorough_lectures")),
                                    capacity=capacity, start=start, end=start + dt.timedelta(hours=hours), **kwargs)


def resident(division, **kwargs):
    """A user with the resident role at `division` and a linked person record."""
    seed_reference_data()
    user = UserFactory(**kwargs)
    grant(user, Role.Kind.RESIDENT, division)
    PersonFactory(division=division, user=user, with_id=False)
    user.refresh_from_db()
    return user


def shift_to(occurrence, *, start=None, end=None):
    """Move an occurrence's times directly (tests need past and present times the services refuse)."""
    occurrence.start = start
    occurrence.end = end
    occurrence.save(update_fields=["start", "end"])
    return occurrence


def run_concurrently(fn, items, *, workers: int = 40) -> tuple[list, list]:
    """Run fn(item) for every item on `workers` threads (each its own database connection), all released
    at once by a barrier. Returns (results, errors). Workers stay under PostgreSQL's 100 connections."""
    import threading

    from django.db import connection

    barrier = threading.Barrier(workers)
    chunks = [items[i::workers] for i in range(workers)]
    results, errors, lock = [], [], threading.Lock()

    def work(chunk):
        try:
            barrier.wait()
            for item in chunk:
                try:
                    out = fn(item)
                    with lock:
                        results.append(out)
                except Exception as e:  # collected, asserted by the test
                    with lock:
                        errors.append(e)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(c,)) for c in chunks]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results, errors
