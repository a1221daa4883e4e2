"""The schedule inside the app (no cron): settings.LINLI_SCHEDULE maps a name to an entry

    "name": {"task": "dotted.path.to.function",   # a plain function, called without arguments
             "every": 60,                         # seconds between slots (aligned to the clock), or
             "at": "02:30",                       # once a day at this local time
             "hours": "14:00-22:00",              # optional: only slots in this local time window
             "params": {...}}                     # optional keyword arguments (JSON)

Every worker looks at the clock; the first to insert the (name, slot) row enqueues the slot's job, so
a slot runs once however many workers there are. Tasks are resolved lazily: a missing one is reported
by `linli jobs` and the system check, and skipped by the worker, never a crash at start-up."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.module_loading import import_string

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Entry:
    name: str
    task: str
    every: dt.timedelta | None = None
    at: dt.time | None = None
    hours: tuple[dt.time, dt.time] | None = None
    params: dict = field(default_factory=dict)

    def when(self) -> str:
        if self.at is not None:
            text = f"daily at {self.at:%H:%M}"
        else:
            secs = int(self.every.total_seconds())
            text = f"every {secs // 3600} h" if secs % 3600 == 0 else (
                f"every {secs // 60} min" if secs % 60 == 0 else f"every {secs} s")
        return f"{text}, {self.hours[0]:%H:%M}-{self.hours[1]:%H:%M}" if self.hours else text

    def problem(self) -> str:
        """Why this entry cannot run ("" when it can)."""
        try:
            fn = import_string(self.task)
        except ImportError as exc:
            return f"task not found ({exc})"
        return "" if callable(fn) else "task is not callable"


def _time(text: str) -> dt.time:
    return dt.datetime.strptime(text.strip(), "%H:%M").time()


def entries() -> tuple[list[Entry], list[str]]:
    """The schedule's entries and the problems of the ones that could not be read."""
    out, problems = [], []
    for name, spec in (getattr(settings, "LINLI_SCHEDULE", None) or {}).items():
        if not spec:
            continue  # an entry set to None is switched off
        try:
            every = spec.get("every")
            at = _time(spec["at"]) if spec.get("at") else None
            if (every is None) == (at is None):
                raise ValueError("give exactly one of 'every' and 'at'")
            hours = tuple(_time(t) for t in spec["hours"].split("-")) if spec.get("hours") else None
            if hours is not None and len(hours) != 2:
                raise ValueError("'hours' is 'HH:MM-HH:MM'")
            delta = dt.timedelta(seconds=float(every)) if every is not None else None
            if delta is not None and delta.total_seconds() < 1:
                raise ValueError("'every' is at least 1 second")
            out.append(Entry(name=name, task=str(spec["task"]), every=delta, at=at, hours=hours,
                             params=dict(spec.get("params") or {})))
        except (KeyError, TypeError, ValueError) as exc:
            problems.append(f"{name}: {exc}")
    return out, problems


def slot_of(entry: Entry, now: dt.datetime) -> dt.datetime | None:
    """The slot `now` falls in (its start), or None outside the entry's hours."""
    local = timezone.localtime(now)
    if entry.hours is not None:
        start, end = entry.hours
        t = local.time()
        inside = start <= t < end if start <= end else (t >= start or t < end)
        if not inside:
            return None
    if entry.at is not None:
        today = local.replace(hour=entry.at.hour, minute=entry.at.minute, second=0, microsecond=0)
        return today if local >= today else today - dt.timedelta(days=1)
    step = entry.every.total_seconds()
    return dt.datetime.fromtimestamp(now.timestamp() // step * step, tz=dt.UTC)


def next_slot(entry: Entry, now: dt.datetime) -> dt.datetime | None:
    """When the next slot after the current one starts (for `linli jobs`); None if never within a week."""
    step = dt.timedelta(minutes=1) if entry.at is not None or entry.every < dt.timedelta(minutes=1) else entry.every
    current = slot_of(entry, now)
    t = now
    for _ in range(int(dt.timedelta(days=8) / step) + 1):
        t += step
        s = slot_of(entry, t)
        if s is not None and s != current:
            return s
    return None


def tick(*, seen: dict, now: dt.datetime | None = None) -> list:
    """Enqueue the job of every entry whose current slot has no row yet. `seen` (kept by the worker)
    spares the database a look per entry per second."""
    from linli.jobs.models import ScheduleSlot
    from linli.jobs.services import enqueue

    now = now or timezone.now()
    made = []
    items, _problems = entries()
    for entry in items:
        slot = slot_of(entry, now)
        if slot is None or seen.get(entry.name) == slot:
            continue
        seen[entry.name] = slot
        if entry.problem():
            log.warning("schedule entry %s skipped: %s", entry.name, entry.problem())
            continue
        if ScheduleSlot.objects.filter(name=entry.name, slot=slot).exists():
            continue
        try:
            with transaction.atomic():
                row = ScheduleSlot.objects.create(name=entry.name, slot=slot)
                job = enqueue(entry.task, schedule=entry.name, key=f"schedule:{entry.name}", max_attempts=3,
                              **entry.params)
                row.job = job
                row.save(update_fields=["job"])
        except IntegrityError:  # another worker took this slot
            continue
        made.append(job)
    return made
