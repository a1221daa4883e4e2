"""Figures from rollups: the pages and `linli stats` read precomputed figures, not every record.

A rollup is one section's figures (`core.stats` sections, plus the few tables pages add with
`register_rollup`) for one *scope*: a set of division subtrees (the minimal paths of a user's grants),
or "*" for the whole database. It is computed by the section's own live function, run as a viewer
holding every role at those paths, so a rollup is exactly what the live computation gave at
`computed_at` (the property test in core/tests/test_rollups.py holds us to it).

Why materialised figures per scope and not additive day counters: the published figures include
medians (hours to dispatch, to close), distinct counts (children enrolled, teacher volunteers,
volunteers per team) and figures relative to today (last 30 days, overdue, running campaigns), none
of which add up across days or divisions. A page therefore reads one row per section, and its cost
does not depend on how many records the county has; the refresh does that work in the background.

Kept current by `refresh_changed()` (the job schedule calls it every few minutes): every write to
a scoped record marks its division (`mark_changed`, from post_save / pre_delete / m2m_changed), and
the refresh recomputes only the scopes covering a marked division, plus any scope whose rows are
older than today's midnight (figures relative to today: last 30 days, overdue) or FULL_EVERY (a
write that bypassed the signals: QuerySet.update, bulk_create). `refresh_all()` rebuilds everything
(nightly, and `linli manage rollups_refresh`). A scope nobody asked for yet (a grid, a user with grants in two communities) is
computed on first read and refreshed with the others from then on. Reads go through Django's cache
(Redis in production) for ROLLUP_CACHE_SECONDS; the key is the scope, never the user, and two users
share a rollup only when their scopes are the same set of divisions.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import re
import threading
from collections.abc import Callable, Iterable

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.utils import timezone

ALL = "*"
ROLLUP_CACHE_SECONDS = 60
FULL_EVERY = dt.timedelta(hours=1)  # the longest a rollup goes unrecomputed, marked or not
# Sections over rows their services write with QuerySet.update / bulk_create (deliveries, job claims),
# which send no signal: cheap, so recomputed on every scheduled refresh.
ALWAYS = {"notifications", "jobs"}
_EXTRA: dict[str, Callable] = {}


def register_rollup(name: str, fn: Callable) -> None:
    """A page's table kept as a rollup too: fn(user_or_None) -> JSON-able value."""
    _EXTRA[name] = fn


def _sections() -> dict[str, Callable]:
    from linli.core import stats

    return {"core": stats.core_figures, **stats._SECTIONS, **_EXTRA}


# Scopes -------------------------------------------------------------------------------------------

def scope_of(user) -> str:
    """The user's scope: "*" for the command line and superusers, else their grants' minimal paths."""
    from linli.core.scoping import scope_paths

    if user is None or getattr(user, "is_superuser", False):
        return ALL
    if not getattr(user, "is_authenticated", False):
        return ""
    return "|".join(sorted(scope_paths(user)))


def within(scope: str, division) -> str:
    """The part of `scope` under `division` (a community's figures page reads only its own rows)."""
    path = division.path
    if scope == ALL:
        return path
    paths = [p for p in scope.split("|") if p]
    if any(path.startswith(p) for p in paths):
        return path
    return "|".join(sorted(p for p in paths if p.startswith(path)))


def _key(scope: str) -> str:
    return hashlib.sha1(scope.encode()).hexdigest()


def _cache_key(scope: str, name: str) -> str:
    return f"linli:rollup:{_key(scope)}:{name}"


def viewer(scope: str):
    """None for "*", else an unsaved user holding every role at the scope's paths: the live figure
    functions, given it, count exactly the records under those divisions."""
    from linli.accounts.models import Role, User

    if scope == ALL:
        return None
    user = User(pk=0, username="rollup", is_superuser=False)  # pk 0 is nobody: "own records" match none
    user._linli_grants = [(kind, path, 0) for path in scope.split("|") if path for kind in Role.Kind.values]
    return user


# Compute, store, read -----------------------------------------------------------------------------

def compute(scope: str, names: Iterable[str] | None = None, *, tables: dict | None = None) -> dict:
    """The sections' figures for the scope, live. With `tables` (a dict), also the tables each
    section's queries read, by section name."""
    sections = _sections()
    who = viewer(scope)
    if tables is None:
        return {name: sections[name](who) for name in (names or sections)}
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    out = {}
    for name in names or sections:
        with CaptureQueriesContext(connection) as seen:
            out[name] = sections[name](who)
        tables[name] = sorted({t for q in seen.captured_queries for t in _TABLE.findall(q["sql"])})
    return out


_TABLE = re.compile(r'(?:FROM|JOIN)\s+"([A-Za-z0-9_]+)"')


def _store(scope: str, data: dict, at: dt.datetime, tables: dict | None = None) -> None:
    from linli.core.models import Rollup

    key = _key(scope)
    tables = tables or {}
    existing = set(Rollup.objects.filter(key=key, section__in=list(data)).values_list("section", flat=True))
    if existing:
        for name in existing:
            Rollup.objects.filter(key=key, section=name).update(data=data[name], computed_at=at,
                                                                tables=tables.get(name, []))
    new = [Rollup(key=key, scope=scope, section=name, data=value, computed_at=at, tables=tables.get(name, []))
           for name, value in data.items() if name not in existing]
    if new:
        try:
            with transaction.atomic():
                Rollup.objects.bulk_create(new)
        except IntegrityError:
            pass  # another worker stored the same scope at the same moment: theirs is as good
    cache.set_many({_cache_key(scope, n): (v, at) for n, v in data.items()}, ROLLUP_CACHE_SECONDS)


def read(scope: str, names: list[str], *, defer: bool = False) -> tuple[dict | None, dt.datetime | None]:
    """Sections of one scope: cache, then the rollup table, then (first read of a scope) computed
    live and stored. Returns the data and the oldest `computed_at` among them. With `defer`, a
    first read queues the scope's computation as a job instead and returns (None, None): the page
    says its figures are being prepared rather than paying every section's live queries."""
    from linli.core.models import Rollup

    if not scope or getattr(settings, "LINLI_FIGURES_LIVE", False):
        # No grants: nothing to count, nothing to keep. LINLI_FIGURES_LIVE (benchmarks only): the
        # pages as they were before rollups, to measure both in one run.
        return compute(scope, names), None
    got = cache.get_many([_cache_key(scope, n) for n in names])
    data = {n: got[_cache_key(scope, n)] for n in names if _cache_key(scope, n) in got}
    missing = [n for n in names if n not in data]
    if missing:
        rows = {r.section: (r.data, r.computed_at) for r in Rollup.objects.filter(key=_key(scope), section__in=missing)}
        if rows:
            cache.set_many({_cache_key(scope, n): v for n, v in rows.items()}, ROLLUP_CACHE_SECONDS)
        data.update(rows)
        missing = [n for n in names if n not in data]
    if missing and defer:
        scope_compute_enqueue(scope)
        return None, None
    if missing:
        now = timezone.now()
        tables = {}
        fresh = compute(scope, missing, tables=tables)
        _store(scope, fresh, now, tables)
        data.update({n: (v, now) for n, v in fresh.items()})
    as_of = min(at for _, at in data.values()) if data else None
    return {n: data[n][0] for n in names}, as_of


def section(name: str, user, *, division=None) -> tuple:
    """One section for the user (optionally within one division): (figures, as of)."""
    scope = scope_of(user)
    if division is not None:
        scope = within(scope, division)
    data, as_of = read(scope, [name])
    return data[name], as_of


def section_by_division(name: str, user, divisions) -> tuple[list, dt.datetime | None]:
    """One section for each of `divisions` within the user's scope (a figures table by community):
    [(division, figures)], as of the oldest. One cache round trip and one query for the lot."""
    from linli.core.models import Rollup

    scope = scope_of(user)
    scopes = [(d, within(scope, d)) for d in divisions]
    keys = {s: _cache_key(s, name) for _, s in scopes if s}
    got = cache.get_many(list(keys.values()))
    found = {s: got[k] for s, k in keys.items() if k in got}
    todo = {_key(s): s for s in keys if s not in found}
    if todo:
        rows = {todo[r.key]: (r.data, r.computed_at)
                for r in Rollup.objects.filter(key__in=list(todo), section=name)}
        cache.set_many({_cache_key(s, name): v for s, v in rows.items()}, ROLLUP_CACHE_SECONDS)
        found.update(rows)
    out = []
    for d, s in scopes:
        if s not in found:
            found[s] = (lambda r: (r[0][name], r[1]))(read(s, [name]))
        out.append((d, found[s][0]))
    ats = [at for _, at in found.values() if at is not None]
    return out, (min(ats) if ats else None)


def figures(user=None, *, defer: bool = False) -> tuple[dict | None, dt.datetime | None]:
    """What `core.stats.figures(user)` computes live, read from the rollups: (figures, as of).
    With `defer`, (None, None) while a scope nobody read yet is computed by a job (see read)."""
    sections = _sections()
    names = ["core", *[n for n in sections if n not in _EXTRA and n != "core"]]
    data, as_of = read(scope_of(user), names, defer=defer)
    if data is None:
        return None, None
    out = dict(data.pop("core"))
    out.update(data)
    return out, as_of


# A scope's first read, as a job -------------------------------------------------------------------

def _job_key(scope: str) -> str:
    return f"rollup:{_key(scope)}"


def scope_compute_enqueue(scope: str) -> None:
    """Queue the scope's first computation once: a second first read while it waits adds no job."""
    from linli.jobs import services as jobs
    from linli.jobs.models import Job

    key = _job_key(scope)
    if not Job.objects.filter(key=key, status__in=[Job.Status.QUEUED, Job.Status.RUNNING]).exists():
        jobs.enqueue("linli.core.rollups.scope_compute", key=key, scope=scope)


def scope_compute(*, scope: str) -> int:
    """The job: every section of the scope not stored yet, computed live and stored (idempotent: a
    second run finds them stored and computes nothing). From then on the refresh keeps the scope."""
    from linli.core.models import Rollup

    have = set(Rollup.objects.filter(key=_key(scope)).values_list("section", flat=True))
    missing = [n for n in _sections() if n not in have]
    if missing:
        tables = {}
        _store(scope, compute(scope, missing, tables=tables), timezone.now(), tables)
    return len(missing)


# Refresh ------------------------------------------------------------------------------------------

def _known_scopes() -> set[str]:
    from linli.core.models import Rollup
    from linli.divisions.models import Division

    scopes = {ALL, *Division.objects.exclude(level=Division.Level.GRID).values_list("path", flat=True)}
    return scopes | set(Rollup.objects.values_list("scope", flat=True).distinct())


def _recompute(todo: dict[str, list[str] | None]) -> int:
    """Recompute each scope's sections (None: all of them); returns how many sections were computed."""
    from linli.core.models import Rollup
    from linli.divisions.models import Division

    alive = set(Division.objects.values_list("path", flat=True))
    n = 0
    for scope in sorted(todo):
        if scope != ALL and not all(p in alive for p in scope.split("|") if p):
            Rollup.objects.filter(key=_key(scope)).delete()  # a division went away
            continue
        tables = {}
        data = compute(scope, todo[scope], tables=tables)
        _store(scope, data, timezone.now(), tables)
        n += len(data)
    return n


def _take_marks() -> tuple[list[int], set[tuple[str, str]]]:
    from linli.core.models import RollupMark

    rows = list(RollupMark.objects.values_list("pk", "path", "table"))
    return [pk for pk, _p, _t in rows], {(path, table) for _pk, path, table in rows}


def _drop_marks(ids: list[int]) -> None:
    from linli.core.models import RollupMark

    # By the ids read, not a range: a mark whose transaction commits while we compute stays for next time.
    for i in range(0, len(ids), 5000):
        RollupMark.objects.filter(pk__in=ids[i:i + 5000]).delete()


def refresh_all() -> int:
    """Recompute every rollup: the whole database, each county, town and community, and every scope
    read since (grids, users with several grants). Returns the number of scopes refreshed. Nightly on
    the job schedule, and `linli manage rollups_refresh` by hand; `refresh_changed` runs in between."""
    ids, _marks = _take_marks()
    scopes = _known_scopes()
    _recompute(dict.fromkeys(scopes))
    _drop_marks(ids)
    return len(scopes)


def covers(scope: str, path: str) -> bool:
    """True if records at division `path` count in `scope` (a mark at "*", a record of no division,
    may count in any)."""
    return scope == ALL or path == ALL or any(path.startswith(p) for p in scope.split("|") if p)


def refresh_changed(now: dt.datetime | None = None) -> int:
    """The scheduled refresh. A scope's section is recomputed when a division the scope covers was
    marked on a table the section read last time, or when it was last computed before today (local
    midnight) or more than FULL_EVERY ago. Returns how many sections were recomputed."""
    from linli.core.models import Rollup

    now = now or timezone.now()
    ids, marks = _take_marks()
    midnight = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    cutoff = max(midnight, now - FULL_EVERY)
    names = set(_sections())
    rows: dict[str, dict[str, tuple]] = {}
    for scope, name, tables, at in Rollup.objects.values_list("scope", "section", "tables", "computed_at"):
        rows.setdefault(scope, {})[name] = (set(tables or ()), at)
    todo: dict[str, list[str] | None] = {}
    for scope in _known_scopes():
        have = rows.get(scope, {})
        if set(have) < names or any(at < cutoff for _t, at in have.values()):
            todo[scope] = None  # new, or old: every section
            continue
        touched = {table for path, table in marks if covers(scope, path)}
        due = [name for name, (tables, _at) in have.items()
               if name in names and (name in ALWAYS or not tables or tables & touched)]
        if due:
            todo[scope] = sorted(due)
    n = _recompute(todo)
    _drop_marks(ids)
    return n


# Marks: which divisions' records changed ---------------------------------------------------------

def _path_of(instance) -> str | None:
    field = getattr(type(instance), "scope_field", None)
    if field is None:
        return ALL  # a record of no division (a notification, a case's party): any scope may read it
    if field == "":
        return instance.path
    model = type(instance)
    return model._base_manager.filter(pk=instance.pk).values_list(f"{field}__path", flat=True).first()


def mark_changed(instance, *, table: str | None = None) -> None:
    """Note that a scoped record changed: its division's scopes are recomputed by the next
    `refresh_changed`. One indexed read (the division's path) and one insert, in the writer's transaction."""
    from linli.core.models import RollupMark

    if instance.pk is None or getattr(_paused, "on", False):
        return
    path = _path_of(instance)
    if path:
        RollupMark.objects.create(path=path, table=table or instance._meta.db_table)


_paused = threading.local()


@contextlib.contextmanager
def marks_paused():
    """No marks while a backup is loaded (its many-to-many links send m2m_changed; the dump holds the
    marks it had, and a refresh_all after a restore recomputes everything anyway)."""
    _paused.on = True
    try:
        yield
    finally:
        _paused.on = False


def _on_save(sender, instance, raw=False, **kwargs):
    if not raw:
        mark_changed(instance)


def _on_delete(sender, instance, **kwargs):
    mark_changed(instance)  # before the row goes: its division is still readable


def _on_m2m(sender, instance, action, **kwargs):
    if action in ("post_add", "post_remove", "post_clear"):
        mark_changed(instance, table=sender._meta.db_table)


# Written on every page view or by the refresh itself, and read by no figure.
UNMARKED = {"core.AccessLog", "core.Rollup", "core.RollupMark", "accounts.LoginThrottle"}


def connect_marks() -> None:
    """post_save / pre_delete / m2m_changed on the project's models: a scoped one marks its division,
    any other "*" (the sections that read its table are recomputed for every scope)."""
    from django.apps import apps
    from django.db.models.signals import m2m_changed, post_save, pre_delete

    for model in apps.get_models():
        if not model.__module__.startswith("linli.") or model._meta.label in UNMARKED:
            continue
        uid = f"linli.rollups.mark.{model._meta.label}"
        post_save.connect(_on_save, sender=model, dispatch_uid=f"{uid}.save", weak=False)
        pre_delete.connect(_on_delete, sender=model, dispatch_uid=f"{uid}.delete", weak=False)
        for field in model._meta.many_to_many:
            m2m_changed.connect(_on_m2m, sender=field.remote_field.through,
                                dispatch_uid=f"{uid}.m2m.{field.name}", weak=False)
