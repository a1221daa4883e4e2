"""Reads: the jobs a user may see, the job of a record, the figures."""

import datetime as dt

from django.db.models import Count
from django.utils import timezone

from linli.jobs.models import Job


def jobs_visible(user):
    """Jobs under the divisions where the user is staff, plus the jobs they started; superusers all
    (scheduled jobs belong to no division, so only superusers see them)."""
    return Job.objects.visible_to(user).select_related("created_by", "division")


def job_for(key: str, *, statuses=None) -> Job | None:
    """The latest job working on `key` (e.g. "grids.import:12")."""
    qs = Job.objects.filter(key=key)
    if statuses:
        qs = qs.filter(status__in=statuses)
    return qs.order_by("-created_at", "-pk").first()


def figures(user=None) -> dict:
    qs = Job.objects.all() if user is None else Job.objects.visible_to(user)
    by_status = dict(qs.order_by().values("status").annotate(n=Count("pk")).values_list("status", "n"))
    since = timezone.now() - dt.timedelta(hours=24)
    return {
        "queued": by_status.get(Job.Status.QUEUED, 0),
        "running": by_status.get(Job.Status.RUNNING, 0),
        "failed_last_24h": qs.filter(status__in=[Job.Status.FAILED, Job.Status.DEAD], finished_at__gte=since).count(),
        "dead": by_status.get(Job.Status.DEAD, 0),
    }


def live_keys(*, prefix: str) -> set[str]:
    """The keys (starting with `prefix`) of running jobs whose worker is alive: it beat within
    LINLI_JOBS_STALE_SECONDS, the same silence after which the reaper takes the job back. A record
    worked on by such a job is not stale, however long one step takes."""
    from linli.jobs import conf

    since = timezone.now() - conf.seconds("LINLI_JOBS_STALE_SECONDS")
    return set(Job.objects.filter(status=Job.Status.RUNNING, key__startswith=prefix, heartbeat_at__gte=since)
               .values_list("key", flat=True))
