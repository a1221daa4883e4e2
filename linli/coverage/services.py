"""Writes for the 15-minute service circle: import a street network, run coverage, suggest sites.

Rules:
- a network is imported once (OSM `.osm`/`.osm.pbf`/`.osm.xml` or GeoJSON, GCJ-02 converted) and kept
  as the engine's `.npz` under DATA_DIR/coverage; runs never re-read the source file;
- a run measures the households registered under its division (with a location) against the centers
  of the network's whole division (a resident may walk across a community boundary); centers are the
  neighborhood centers, or the sites with a room of the given function, optionally only those open at
  the given time; a center more than ``CENTER_SNAP_LIMIT_M`` from any street is left out and reported;
- residents of a household are its current members (memberships without an end date);
- households on another network island, or farther than ``HOUSEHOLD_SNAP_LIMIT_M`` from any street,
  are unreachable: they stay in every denominator and are never covered; households without a
  location cannot be measured and are counted separately;
- only staff (Role.STAFF) over the division start runs and sitings; the CLI (``by=None``) may always;
- a run or siting pending or running with no sign of life (``updated_at``) for ``RUN_STALE_AFTER`` died
  with its process: the next read or start marks it failed and interrupted, and the dead thread's late
  writes are dropped (every write of the thread is guarded by its claim).
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import logging
import math
import re
import threading
import time
import uuid
from collections import OrderedDict
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from linli.accounts.models import Role
from linli.core.scoping import has_role_over
from linli.coverage import engine
from linli.coverage.models import CoverageRun, StreetNetwork, network_dir
from linli.divisions.models import Division
from linli.jobs import selectors as jobs_selectors
from linli.jobs import services as jobs
from linli.people.models import Household, Membership
from linli.places.models import OpeningException, OpeningHours, Room, Site

log = logging.getLogger(__name__)

CENTER_SNAP_LIMIT_M = 500.0
HOUSEHOLD_SNAP_LIMIT_M = 500.0
CLUSTER_RADIUS_M = 150.0
MAX_CLUSTERS = 50
NODE_CANDIDATE_CELL_M = 150.0
SITING_TIME_LIMIT_S = 30.0
CANDIDATE_KINDS = ("sites", "nodes")
# Runs and sitings compute in a job worker (linli.jobs), which a restart or a deploy may kill. The work
# touches updated_at at each progress step; while a long step runs (the siting solver may take minutes)
# the sign of life is the job's own heartbeat (the worker beats every few seconds), so a run is stale
# only after RUN_STALE_AFTER without a step *and* without a live job. The job is retried well before that
# (LINLI_JOBS_STALE_SECONDS, 2 minutes) and its retry takes the run over; only a run whose job gave up
# is marked interrupted (docs/decisions/0007, 0025).
RUN_STALE_AFTER = dt.timedelta(minutes=10)


def _inline() -> bool:
    """Tests (and the demo) run the work in the calling thread instead of a background thread."""
    return bool(getattr(settings, "LINLI_COVERAGE_INLINE", False))


# --------------------------------------------------------------------------- networks

_CACHE: OrderedDict[tuple[str, str], engine.Network] = OrderedDict()
_CACHE_LOCK = threading.Lock()


def network_load(network: StreetNetwork) -> engine.Network:
    """The stored arrays, checked against their SHA-256; the two most recent are kept in memory."""
    key = (network.file_name, network.sha256)
    with _CACHE_LOCK:
        if key in _CACHE:
            _CACHE.move_to_end(key)
            return _CACHE[key]
    path = network.path
    if not path.exists():
        raise ValidationError(_("The street network file %(name)s is missing; import the network again."),
                              params={"name": network.file_name})
    if _sha256(path) != network.sha256:
        raise ValidationError(_("The street network file %(name)s has changed since it was imported."),
                              params={"name": network.file_name})
    net = engine.Network.load(path)
    with _CACHE_LOCK:
        _CACHE[key] = net
        while len(_CACHE) > 2:
            _CACHE.popitem(last=False)
    return net


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _root_division() -> Division:
    roots = list(Division.objects.filter(parent__isnull=True)[:2])
    if len(roots) != 1:
        raise ValidationError(_("Say which division the network covers (there is not exactly one county)."))
    return roots[0]


def network_import(*, path, crs: str = "wgs84", by=None, division: Division | None = None, name: str = "",
                   simplify: bool = True) -> StreetNetwork:
    """Read an OSM or GeoJSON file once and store its walkable network for later runs.

    Raises ValidationError for a file that is not a street network, an unknown ``crs``, or a user
    who is not staff over the division.
    """
    path = Path(path)
    if crs not in ("wgs84", "gcj02"):
        raise ValidationError({"crs": _("Unknown coordinate system %(crs)s; use wgs84 or gcj02.") % {"crs": crs}})
    division = division or _root_division()
    if by is not None and not has_role_over(by, Role.STAFF, division):
        raise PermissionDenied(_("Only staff of this division may import street networks."))
    try:
        net = engine.load_network(path, crs=crs, simplify=simplify)
    except (engine.NetworkError, OSError, ValueError) as exc:
        raise ValidationError(_("%(file)s is not a usable street network: %(error)s"),
                              params={"file": path.name, "error": exc}) from exc
    directory = network_dir()
    directory.mkdir(parents=True, exist_ok=True)
    file_name = f"network-{uuid.uuid4().hex}.npz"
    net.save(directory / file_name)
    components, _labels = net.components()
    try:
        return StreetNetwork.objects.create(
            name=name or path.stem, division=division, source_name=path.name[:255], crs=crs,
            node_count=net.n_nodes, edge_count=net.n_edges, component_count=components,
            length_km=round(float(net.edge_length_m.sum()) / 1000, 3),
            bbox=[round(float(v), 6) for v in (net.lon.min(), net.lat.min(), net.lon.max(), net.lat.max())],
            file_name=file_name, sha256=_sha256(directory / file_name), created_by=by,
        )
    except BaseException:
        (directory / file_name).unlink(missing_ok=True)  # no file without its row
        raise


def network_for(division: Division) -> StreetNetwork | None:
    """The most recent network that covers the division (imported for it or for an ancestor)."""
    return (StreetNetwork.objects.filter(division_id__in=division.ancestor_ids())
            .select_related("division").order_by("-created_at", "-pk").first())


# --------------------------------------------------------------------------- "open at"

_DAYS = {
    "mon": 0, "monday": 0, "周一": 0, "星期一": 0, "tue": 1, "tuesday": 1, "周二": 1, "星期二": 1,
    "wed": 2, "wednesday": 2, "周三": 2, "星期三": 2, "thu": 3, "thursday": 3, "周四": 3, "星期四": 3,
    "fri": 4, "friday": 4, "周五": 4, "星期五": 4, "sat": 5, "saturday": 5, "周六": 5, "星期六": 5,
    "sun": 6, "sunday": 6, "周日": 6, "星期日": 6, "周天": 6,
}
_DAY_GROUPS = {"weekday": [0, 1, 2, 3, 4], "weekdays": [0, 1, 2, 3, 4], "工作日": [0, 1, 2, 3, 4],
               "weekend": [5, 6], "周末": [5, 6], "daily": list(range(7)), "every day": list(range(7)),
               "每天": list(range(7))}


@dataclass(frozen=True)
class OpenAt:
    label: str
    weekdays: tuple[int, ...]  # open at `time` on every one of these (regular weekly hours)
    date: dt.date | None  # or on this date (its opening exception first)
    time: dt.time


def parse_at(text: str) -> OpenAt:
    """"weekday 16:30" (Monday–Friday), "weekend 10:00", "daily 8:00", "mon 16:30" / "周一 16:30", or
    a date "2027-01-01 16:30" (which honours that date's opening exception)."""
    raw = " ".join((text or "").strip().lower().split())
    m = re.fullmatch(r"(.+?)\s*(\d{1,2}):(\d{2})", raw)
    error = ValidationError({"at": _('Give a day and a time, e.g. "weekday 16:30", "sat 10:00" or '
                                     '"2027-01-01 16:30".')})
    if not m:
        raise error
    day, hour, minute = m.group(1).strip(), int(m.group(2)), int(m.group(3))
    if hour > 23 or minute > 59:
        raise error
    at_time = dt.time(hour, minute)
    label = f"{day} {at_time:%H:%M}"
    if day in _DAY_GROUPS:
        return OpenAt(label, tuple(_DAY_GROUPS[day]), None, at_time)
    if day in _DAYS:
        return OpenAt(label, (_DAYS[day],), None, at_time)
    try:
        date = dt.date.fromisoformat(day)
    except ValueError:
        raise error from None
    return OpenAt(label, (), date, at_time)


def sites_open_at(site_ids: list[int], at: OpenAt) -> set[int]:
    """The sites open at ``at.time`` (opens <= time < closes) on every weekday asked, or on the date."""
    hours: dict[int, dict[int, list[tuple[dt.time, dt.time]]]] = {}
    for site_id, weekday, opens, closes in OpeningHours.objects.filter(site_id__in=site_ids).values_list(
            "site_id", "weekday", "opens", "closes"):
        hours.setdefault(site_id, {}).setdefault(weekday, []).append((opens, closes))

    def open_on(site_id: int, weekday: int) -> bool:
        return any(o <= at.time < c for o, c in hours.get(site_id, {}).get(weekday, []))

    if at.date is None:
        return {s for s in site_ids if all(open_on(s, d) for d in at.weekdays)}
    exceptions = {e.site_id: e for e in OpeningException.objects.filter(site_id__in=site_ids, date=at.date)}
    out = set()
    for s in site_ids:
        exc = exceptions.get(s)
        if exc is not None:
            if not exc.closed and exc.opens and exc.closes and exc.opens <= at.time < exc.closes:
                out.add(s)
        elif open_on(s, at.date.weekday()):
            out.add(s)
    return out


def select_centers(*, area: Division, function: str = "", at: OpenAt | None = None) -> list[Site]:
    """The sites a run measures against (rule in the module docstring), ordered by id."""
    qs = Site.objects.filter(division__path__startswith=area.path, lat__isnull=False, lng__isnull=False)
    if function:
        qs = qs.filter(pk__in=Room.objects.filter(function=function).values("site_id"))
    else:
        qs = qs.filter(is_neighborhood_center=True)
    sites = list(qs.select_related("division").order_by("pk"))
    if at is not None:
        keep = sites_open_at([s.pk for s in sites], at)
        sites = [s for s in sites if s.pk in keep]
    return sites


# --------------------------------------------------------------------------- runs


def _check_thresholds(thresholds) -> list[float]:
    try:
        values = sorted({float(t) for t in thresholds})
    except (TypeError, ValueError):
        values = []
    if not values or any(not (t > 0 and math.isfinite(t)) for t in values):
        raise ValidationError({"thresholds": _("Thresholds must be positive numbers of minutes.")})
    return values


def coverage_run(*, network: StreetNetwork | None, division: Division, function: str | None = None,
                 at: str | None = None, by=None, speed_kmh: float | None = None, thresholds=None,
                 background: bool = False) -> CoverageRun:
    """Create a run and compute it (in a background thread when ``background``; the run's progress
    field says how far it got). Bad parameters are a ValidationError before anything starts."""
    if by is not None and not has_role_over(by, Role.STAFF, division):
        raise PermissionDenied(_("Only staff of this division may start a coverage run."))
    network = network or network_for(division)
    if network is None:
        raise ValidationError({"network": _("No street network covers %(division)s yet; import one first.")
                               % {"division": division.name}})
    if not division.path.startswith(network.division.path):
        raise ValidationError({"network": _("The network %(network)s does not cover %(division)s.")
                               % {"network": network.name, "division": division.name}})
    function = (function or "").strip()
    if function and function not in Room.Function.values:
        raise ValidationError({"function": _("Unknown room function %(function)s.") % {"function": function}})
    open_at = parse_at(at) if at else None
    speed = engine.DEFAULT_SPEED_KMH if speed_kmh is None else float(speed_kmh)
    if not (speed > 0 and math.isfinite(speed)):
        raise ValidationError({"speed_kmh": _("The walking speed must be a positive number of km/h.")})
    values = _check_thresholds(engine.DEFAULT_THRESHOLDS_MIN if thresholds is None else thresholds)
    coverage_runs_interrupt_stale()
    with transaction.atomic():
        # One run at a time per division: the division's row is the lock two starts queue on.
        Division.objects.select_for_update().filter(pk=division.pk).first()
        busy = CoverageRun.objects.filter(division=division, status__in=[
            CoverageRun.Status.PENDING, CoverageRun.Status.RUNNING]).order_by("pk").first()
        if busy is not None:
            raise ValidationError({"division": ValidationError(
                _("Coverage run %(run)s for %(division)s is still working; wait for it to finish.")
                % {"run": busy.pk, "division": division.name}, code="run_busy")})
        run = CoverageRun.objects.create(
            network=network, division=division, speed_kmh=speed, thresholds=values, function=function,
            at_label=open_at.label if open_at else "", at_weekdays=list(open_at.weekdays) if open_at else [],
            at_date=open_at.date if open_at else None, at_time=open_at.time if open_at else None, created_by=by,
        )
    if _dispatch(coverage_run_execute, run.pk, background, by=by, division=division):
        run.refresh_from_db()
    return run


def _dispatch(fn, pk: int, background: bool, *, by=None, division=None) -> bool:
    """Run ``fn(pk)`` now (True) or queue it for a job worker (False); the job becomes visible to the
    workers when the caller's transaction commits."""
    if background and not _inline():
        jobs.enqueue(f"{__name__}.{fn.__name__}", by=by, division=division, key=f"coverage.run:{pk}", pk=pk)
        return False
    fn(pk)
    return True


def coverage_runs_interrupt_stale() -> int:
    """Mark every run and siting that is pending or running with no sign of life for RUN_STALE_AFTER
    as failed and interrupted: its thread died with its process. Called by every read that shows a
    status and before every start, so a dead run neither shows a frozen bar nor blocks a new one. The
    age is checked by the UPDATE itself, so a run that has just beaten is never touched. Returns how
    many were marked."""
    now = timezone.now()
    busy = [CoverageRun.Status.PENDING, CoverageRun.Status.RUNNING]
    runs = CoverageRun.objects.filter(status__in=busy, updated_at__lt=now - RUN_STALE_AFTER)
    sitings = CoverageRun.objects.filter(siting_status__in=busy, updated_at__lt=now - RUN_STALE_AFTER)
    marked = 0
    # Look before writing: pages and polls call this all the time, and nothing is stale almost always.
    if runs.exists() or sitings.exists():  # a run whose job still beats is alive, however long its step
        alive = [int(key.rsplit(":", 1)[1]) for key in jobs_selectors.live_keys(prefix="coverage.run:")]
        runs, sitings = runs.exclude(pk__in=alive), sitings.exclude(pk__in=alive)
    if runs.exists():
        marked += runs.update(status=CoverageRun.Status.FAILED, interrupted=True, finished_at=now, updated_at=now)
    if sitings.exists():
        marked += sitings.update(siting_status=CoverageRun.Status.FAILED, siting_interrupted=True, updated_at=now)
    if marked:
        log.warning("marked %d coverage run(s) or siting(s) as interrupted (no sign of life for %s)",
                    marked, RUN_STALE_AFTER)
    return marked


class _ClaimLost(Exception):
    """The run (or siting) was marked interrupted while this thread still worked on it."""


_step_listener: ContextVar = ContextVar("coverage_step_listener", default=None)


@contextmanager
def on_step(fn):
    """Call fn(field, percent) at each progress step of work run in this thread (`linli coverage` prints it)."""
    token = _step_listener.set(fn)
    try:
        yield
    finally:
        _step_listener.reset(token)


def _beat(claim, **fields) -> None:
    """Record progress and a sign of life while the claim stands; stop the work when it is gone."""
    if not claim.update(updated_at=timezone.now(), **fields):
        raise _ClaimLost
    listener = _step_listener.get()
    for name in ("progress", "siting_progress"):
        if name in fields:
            jobs.progress(fields[name])  # the job's row too, for the jobs page
            if listener is not None:
                listener(name, fields[name])


def _open_at_of(run: CoverageRun) -> OpenAt | None:
    if run.at_time is None:
        return None
    return OpenAt(run.at_label, tuple(run.at_weekdays), run.at_date, run.at_time)


@dataclass
class _Households:
    ids: np.ndarray
    lon: np.ndarray
    lat: np.ndarray
    residents: np.ndarray
    division_id: np.ndarray
    unlocated: int


def _households(division: Division) -> _Households:
    rows = list(Household.objects.filter(division__path__startswith=division.path)
                .order_by("pk").values_list("pk", "lng", "lat", "division_id"))
    located = [r for r in rows if r[1] is not None and r[2] is not None]
    counts = dict(Membership.objects.filter(end_date__isnull=True, household__division__path__startswith=division.path)
                  .order_by().values("household_id").annotate(n=Count("pk")).values_list("household_id", "n"))
    ids = np.array([r[0] for r in located], dtype=np.int64)
    return _Households(
        ids=ids, lon=np.array([r[1] for r in located], dtype=float), lat=np.array([r[2] for r in located], dtype=float),
        residents=np.array([counts.get(int(i), 0) for i in ids], dtype=float),
        division_id=np.array([r[3] for r in located], dtype=np.int64), unlocated=len(rows) - len(located),
    )


def _run_households(run: CoverageRun) -> _Households:
    """The run's households with the residents counted at the run; locations as registered now
    (a household deleted since is left out)."""
    arrays = run.household_arrays()
    where = {pk: (lng, lat, d) for pk, lng, lat, d in Household.objects.filter(
        division__path__startswith=run.division.path, lat__isnull=False, lng__isnull=False)
        .values_list("pk", "lng", "lat", "division_id")}
    keep = np.array([int(i) in where for i in arrays["household_id"]], dtype=bool)
    ids = arrays["household_id"][keep]
    rows = [where[int(i)] for i in ids]
    return _Households(ids=ids, lon=np.array([r[0] for r in rows], dtype=float),
                       lat=np.array([r[1] for r in rows], dtype=float),
                       residents=arrays["residents"][keep].astype(float),
                       division_id=np.array([r[2] for r in rows], dtype=np.int64), unlocated=0)


def _row(row: engine.CoverageRow, thresholds: list[float]) -> dict:
    out = {"households": row.households, "residents": int(round(row.residents)),
           "unreachable_households": row.unreachable_households,
           "households_within": {}, "residents_within": {}, "households_share": {}, "residents_share": {}}
    for t in thresholds:
        key = f"{t:g}"
        out["households_within"][key] = row.households_within[t]
        out["residents_within"][key] = int(round(row.residents_within[t]))
        share_h, share_r = row.households_share(t), row.residents_share(t)
        out["households_share"][key] = None if share_h is None else round(share_h, 6)
        out["residents_share"][key] = None if share_r is None else round(share_r, 6)
    return out


def _round_coords(geometry):
    if isinstance(geometry, dict):
        return {k: _round_coords(v) for k, v in geometry.items()}
    if isinstance(geometry, list | tuple):
        if geometry and isinstance(geometry[0], float):
            return [round(c, 6) for c in geometry]
        return [_round_coords(g) for g in geometry]
    return geometry


def coverage_run_execute(pk: int) -> None:
    """Compute a run (status, progress, results on the record); a failure is recorded, not raised.
    Every write is guarded by the claim (status "running" since this start): once the run is marked
    interrupted, or taken over by a retry of its job, this attempt stops at its next step and writes
    nothing. A job retry (its worker died) takes over a run still "running"; a run already over, or
    marked interrupted, is left as it is (a second run changes nothing)."""
    now = timezone.now()
    claimable = [CoverageRun.Status.PENDING, *([CoverageRun.Status.RUNNING] if jobs.is_retry() else [])]
    updated = CoverageRun.objects.filter(pk=pk, status__in=claimable).update(
        status=CoverageRun.Status.RUNNING, started_at=now, progress=2, updated_at=now)
    if not updated:
        CoverageRun.objects.only("pk").get(pk=pk)  # a deleted run fails the job visibly, once
        return
    claim = CoverageRun.objects.filter(pk=pk, status=CoverageRun.Status.RUNNING, started_at=now)
    run = CoverageRun.objects.select_related("network__division", "division").get(pk=pk)
    try:
        _compute(run, claim)
    except _ClaimLost:
        log.warning("coverage run %s was marked interrupted while it computed; its result is dropped", pk)
    except jobs.Cancelled:
        claim.update(status=CoverageRun.Status.FAILED, error=_("The run was cancelled."), finished_at=timezone.now(),
                     updated_at=timezone.now())
        raise
    except Exception as exc:  # recorded on the run for the page and the API; the thread must not die silently
        log.exception("coverage run %s failed", pk)
        message = "; ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
        with transaction.atomic():
            if claim.update(status=CoverageRun.Status.FAILED, error=message[:2000], finished_at=timezone.now(),
                            updated_at=timezone.now()):
                _run_tell(run, "coverage.failed", error=message[:300])


def _snap_centers(net: engine.Network, sites: list[Site]):
    snapped = engine.snap_points(network=net, lon=[s.lng for s in sites], lat=[s.lat for s in sites],
                                 max_distance_m=CENTER_SNAP_LIMIT_M)
    return snapped


def _compute(run: CoverageRun, claim) -> None:
    thresholds = [float(t) for t in run.thresholds]
    net = network_load(run.network)
    _beat(claim, progress=15)
    sites = select_centers(area=run.network.division, function=run.function, at=_open_at_of(run))
    if not sites:
        raise ValidationError(_("No site matches: no center with a location, room function or opening "
                                "hours as asked."))
    snapped = _snap_centers(net, sites)
    ok = snapped.valid
    centers = [{"id": s.pk, "name": s.name, "lat": s.lat, "lng": s.lng, "division": s.division.name,
                "on_network": bool(v), "offset_m": round(float(o), 1)}
               for s, v, o in zip(sites, ok, snapped.offset_m, strict=True)]
    if not ok.any():
        raise ValidationError(_("None of the %(n)d centers lies within %(m)d m of the street network.")
                              % {"n": len(sites), "m": CENTER_SNAP_LIMIT_M})
    used = [s for s, v in zip(sites, ok, strict=True) if v]
    centers_snapped = snapped.subset(np.flatnonzero(ok))
    _beat(claim, progress=25)
    hh = _households(run.division)
    # snapping the households and the multi-source pass run side by side (engine threads)
    houses, times = engine.household_walking_times(
        network=net, centers=centers_snapped, lon=hh.lon, lat=hh.lat, max_distance_m=HOUSEHOLD_SNAP_LIMIT_M,
        speed_kmh=run.speed_kmh,
    )
    site_ids = np.array([s.pk for s in used], dtype=np.int64)
    nearest = np.where(times.source >= 0, site_ids[np.maximum(times.source, 0)], -1)
    _beat(claim, progress=55)
    divisions = {d["pk"]: d for d in Division.objects.filter(path__startswith=run.division.path)
                 .values("pk", "name", "level", "parent_id")}
    grid_key = np.array([d if divisions.get(d, {}).get("level") == Division.Level.GRID else -1
                         for d in hh.division_id.tolist()], dtype=np.int64)

    def community_of(d: int) -> int:
        info = divisions.get(d)
        if info is None:
            return -1
        if info["level"] == Division.Level.COMMUNITY:
            return d
        if info["level"] == Division.Level.GRID and info["parent_id"] in divisions:
            return info["parent_id"]
        return -1

    community_key = np.array([community_of(d) for d in hh.division_id.tolist()], dtype=np.int64)
    figures = engine.coverage_figures(minutes=times.minutes, residents=hh.residents, thresholds=thresholds,
                                      groups={"grid": grid_key, "community": community_key})
    communities = [{"id": int(k), "name": divisions[int(k)]["name"], **_row(r, thresholds)}
                   for k, r in figures.by_group["community"].items() if int(k) >= 0]
    grids = [{"id": int(k), "name": divisions[int(k)]["name"], "community_id": divisions[int(k)]["parent_id"],
              **_row(r, thresholds)} for k, r in figures.by_group["grid"].items() if int(k) >= 0]
    communities.sort(key=lambda c: c["name"])
    grids.sort(key=lambda g: g["name"])
    gaps = figures.uncovered
    clusters = engine.uncovered_clusters(lon=hh.lon[gaps], lat=hh.lat[gaps], residents=hh.residents[gaps],
                                         radius_m=CLUSTER_RADIUS_M)
    _beat(claim, progress=65)
    iso = engine.isochrones(network=net, centers=centers_snapped, thresholds=thresholds, speed_kmh=run.speed_kmh)
    iso = _round_coords(iso)
    _beat(claim, progress=90)
    count, labels = net.components()
    run.centers = centers
    run.figures = {
        "thresholds": thresholds, "speed_kmh": run.speed_kmh,
        "overall": _row(figures.overall, thresholds),
        "communities": communities, "grids": grids,
        "households_unlocated": hh.unlocated,
        "households_off_network": int(np.count_nonzero(~houses.valid)),
        "network_components": count,
        "centers_used": len(used), "centers_off_network": len(sites) - len(used),
    }
    run.clusters = [{"lat": round(c.lat, 6), "lng": round(c.lon, 6), "households": c.count,
                     "residents": int(round(c.residents))} for c in clusters[:MAX_CLUSTERS]]
    run.isochrones = iso
    run.set_household_results(household_ids=hh.ids, minutes=times.minutes, site_ids=nearest,
                              residents=hh.residents)
    now = timezone.now()
    with transaction.atomic():
        if not claim.update(centers=run.centers, figures=run.figures, clusters=run.clusters,
                            isochrones=run.isochrones, household_results=run.household_results,
                            status=CoverageRun.Status.FINISHED, progress=100, finished_at=now, updated_at=now):
            raise _ClaimLost
        _run_tell(run, "coverage.finished")


def _run_tell(run: CoverageRun, key: str, **params) -> None:
    """Tell whoever started the run that it finished or failed."""
    from django.urls import reverse

    from linli.notifications.services import notify

    notify(recipient=run.created_by, key=key, params={"division": run.division.name, **params},
           obj=reverse("coverage:division", args=[run.division_id]))


# --------------------------------------------------------------------------- siting


@dataclass(frozen=True)
class Candidates:
    kind: str
    lon: np.ndarray
    lat: np.ndarray
    labels: list[str]
    nodes: np.ndarray | None = None  # network node indices for kind "nodes"


def _candidates(*, run: CoverageRun, net: engine.Network, spec: str) -> Candidates:
    if spec == "sites":
        used = {c["id"] for c in run.centers if c.get("on_network")}
        sites = list(Site.objects.filter(division__path__startswith=run.network.division.path, lat__isnull=False,
                                         lng__isnull=False).exclude(pk__in=used).order_by("pk"))
        return Candidates("sites", np.array([s.lng for s in sites], dtype=float),
                          np.array([s.lat for s in sites], dtype=float), [s.name for s in sites])
    if spec == "nodes":
        return _node_candidates(run=run, net=net)
    path = Path(spec)
    if not path.exists():
        raise ValidationError({"candidates": _('Candidates are "sites", "nodes" or a CSV/GeoJSON file of points.')})
    return _file_candidates(path)


def _node_candidates(*, run: CoverageRun, net: engine.Network) -> Candidates:
    """One junction (degree >= 3, or any node when there are none) per NODE_CANDIDATE_CELL_M square,
    the one nearest the square's middle, within the households' extent plus the threshold walk."""
    proj = net.projection()
    x, y = proj.forward(lon=net.lon, lat=net.lat)
    degree = np.bincount(np.concatenate([net.edge_u, net.edge_v]), minlength=net.n_nodes)
    pool = np.flatnonzero(degree >= 3)
    if pool.size == 0:
        pool = np.flatnonzero(degree > 0)
    hh = _run_households(run)
    if hh.ids.size:
        hx, hy = proj.forward(lon=hh.lon, lat=hh.lat)
        margin = engine.minutes_to_metres(minutes=max(run.thresholds), speed_kmh=run.speed_kmh)
        inside = ((x[pool] >= hx.min() - margin) & (x[pool] <= hx.max() + margin)
                  & (y[pool] >= hy.min() - margin) & (y[pool] <= hy.max() + margin))
        pool = pool[inside]
    cell = NODE_CANDIDATE_CELL_M
    cx, cy = np.floor(x[pool] / cell), np.floor(y[pool] / cell)
    off = np.hypot(x[pool] - (cx + 0.5) * cell, y[pool] - (cy + 0.5) * cell)
    order = np.lexsort((off, cy, cx))
    keys = np.column_stack([cx[order], cy[order]])
    first = np.ones(order.size, dtype=bool)
    first[1:] = np.any(keys[1:] != keys[:-1], axis=1)
    nodes = np.sort(pool[order[first]])
    return Candidates("nodes", net.lon[nodes], net.lat[nodes], [f"node {int(net.node_ids[n])}" for n in nodes],
                      nodes=nodes)


def _file_candidates(path: Path) -> Candidates:
    lon, lat, labels = [], [], []
    try:
        if path.suffix.lower() in (".geojson", ".json"):
            data = json.loads(path.read_text(encoding="utf-8"))
            for i, f in enumerate(data.get("features", [])):
                g = f.get("geometry") or {}
                if g.get("type") == "Point":
                    lon.append(float(g["coordinates"][0]))
                    lat.append(float(g["coordinates"][1]))
                    labels.append(str((f.get("properties") or {}).get("name") or f"#{i + 1}"))
        else:
            with path.open(encoding="utf-8-sig", newline="") as fh:
                for i, row in enumerate(csv.DictReader(fh)):
                    lon.append(float(row.get("lng") or row.get("lon") or row["longitude"]))
                    lat.append(float(row.get("lat") or row["latitude"]))
                    labels.append(row.get("name") or f"#{i + 1}")
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ValidationError({"candidates": _("Cannot read candidates from %(file)s: %(error)s")
                               % {"file": path.name, "error": exc}}) from exc
    return Candidates("file", np.array(lon, dtype=float), np.array(lat, dtype=float), labels)


def _candidate_points(net: engine.Network, cands: Candidates):
    if cands.nodes is not None:
        return engine.points_at_nodes(network=net, nodes=cands.nodes)
    return engine.snap_points(network=net, lon=cands.lon, lat=cands.lat, max_distance_m=CENTER_SNAP_LIMIT_M)


def coverage_site(*, run: CoverageRun, k, candidates: str = "sites", by=None,
                  time_limit_s: float = SITING_TIME_LIMIT_S, background: bool = False) -> CoverageRun:
    """Suggest k new centers for a finished run (maximal covering, existing centers kept). Bad k or
    candidates are a ValidationError before anything starts."""
    if by is not None and not has_role_over(by, Role.STAFF, run.division):
        raise PermissionDenied(_("Only staff of this division may ask for a siting."))
    if run.status != CoverageRun.Status.FINISHED:
        raise ValidationError(_("The coverage run has not finished."))
    busy = [CoverageRun.Status.PENDING, CoverageRun.Status.RUNNING]
    coverage_runs_interrupt_stale()  # a siting whose thread died does not block a new one
    run.refresh_from_db(fields=["siting_status", "siting_interrupted", "updated_at"])
    if run.siting_status in busy:
        raise ValidationError(_("A siting for this run is already being computed."))
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise ValidationError({"k": _("k must be a positive whole number.")})
    if not (time_limit_s > 0):
        raise ValidationError({"time_limit_s": _("The time limit must be positive.")})
    net = network_load(run.network)
    cands = _candidates(run=run, net=net, spec=candidates)
    usable = int(np.count_nonzero(_candidate_points(net, cands).valid)) if cands.lon.size else 0
    if k > usable:
        raise ValidationError({"k": _("k = %(k)d is larger than the %(n)d usable candidates.") % {"k": k, "n": usable}})
    # Only if no siting started meanwhile (a double click); updated_at is its first sign of life.
    if not CoverageRun.objects.filter(pk=run.pk).exclude(siting_status__in=busy).update(
            siting_status=CoverageRun.Status.PENDING, siting_progress=0, siting_error="", siting_interrupted=False,
            siting_started_at=None, siting={"k": k, "candidates": candidates, "time_limit_s": time_limit_s},
            updated_at=timezone.now()):
        raise ValidationError(_("A siting for this run is already being computed."))
    _dispatch(coverage_site_execute, run.pk, background, by=by, division=run.division)
    run.refresh_from_db()
    return run


def coverage_site_execute(pk: int) -> None:
    """Compute a requested siting; a failure is recorded, not raised. The thread claims the siting with
    its start time and writes only while that claim stands, so after an interruption a newer siting
    of the same run is never overwritten by this one."""
    claimed_at = timezone.now()
    claimable = [CoverageRun.Status.PENDING, *([CoverageRun.Status.RUNNING] if jobs.is_retry() else [])]
    if not CoverageRun.objects.filter(pk=pk, siting_status__in=claimable).update(
            siting_status=CoverageRun.Status.RUNNING, siting_progress=5, siting_started_at=claimed_at,
            updated_at=claimed_at):
        CoverageRun.objects.only("pk").get(pk=pk)
        return
    claim = CoverageRun.objects.filter(pk=pk, siting_status=CoverageRun.Status.RUNNING, siting_started_at=claimed_at)
    run = CoverageRun.objects.select_related("network__division", "division").get(pk=pk)
    try:
        _site(run, claim)
    except _ClaimLost:
        log.warning("siting for coverage run %s was marked interrupted while it computed; its result is dropped", pk)
    except jobs.Cancelled:
        claim.update(siting_status=CoverageRun.Status.FAILED, siting_error=_("The siting was cancelled."),
                     updated_at=timezone.now())
        raise
    except Exception as exc:  # recorded on the run, as for coverage runs
        log.exception("siting for coverage run %s failed", pk)
        message = "; ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
        claim.update(siting_status=CoverageRun.Status.FAILED, siting_error=message[:2000], updated_at=timezone.now())


def _site(run: CoverageRun, claim) -> None:
    params = run.siting or {}
    k, spec, limit = int(params["k"]), str(params["candidates"]), float(params.get("time_limit_s", 30))
    started = time.perf_counter()
    net = network_load(run.network)
    hh = _run_households(run)
    demand = engine.snap_points(network=net, lon=hh.lon, lat=hh.lat, max_distance_m=HOUSEHOLD_SNAP_LIMIT_M)
    existing_sites = [c for c in run.centers if c.get("on_network")]
    existing = engine.snap_points(network=net, lon=[c["lng"] for c in existing_sites],
                                  lat=[c["lat"] for c in existing_sites], max_distance_m=CENTER_SNAP_LIMIT_M)
    cands = _candidates(run=run, net=net, spec=spec)
    points = _candidate_points(net, cands)
    _beat(claim, siting_progress=30)
    threshold = max(float(t) for t in run.thresholds)
    result = engine.site_new_centers(network=net, demand=demand, residents=hh.residents, candidates=points,
                                     existing=existing, k=k, threshold_min=threshold, speed_kmh=run.speed_kmh,
                                     time_limit_s=limit)
    sol = result.solution
    community = _nearest_community(run, hh, cands.lon[result.chosen], cands.lat[result.chosen])
    chosen = [{"lat": round(float(cands.lat[i]), 6), "lng": round(float(cands.lon[i]), 6),
               "label": cands.labels[i], "community": community[n]}
              for n, i in enumerate(result.chosen.tolist())]
    total = float(hh.residents.sum())
    run.siting = {
        "k": k, "candidates": cands.kind, "candidate_count": int(points.valid.sum()), "threshold_min": threshold,
        "time_limit_s": limit, "chosen": chosen,
        "newly_covered_residents": int(round(result.newly_covered_residents)),
        "already_covered_residents": int(round(result.already_covered_residents)),
        "uncovered_before_residents": int(round(result.uncovered_before_residents)),
        "residents_total": int(round(total)),
        "residents_share_after": None if total <= 0 else round(
            (result.already_covered_residents + result.newly_covered_residents) / total, 6),
        "method": sol.method, "status": sol.status, "objective": sol.objective,
        "best_bound": sol.best_bound, "gap": sol.gap, "greedy_objective": sol.greedy_objective,
        "seconds": round(time.perf_counter() - started, 2), "computed_at": timezone.now().isoformat(),
    }
    if not claim.update(siting=run.siting, siting_status=CoverageRun.Status.FINISHED, siting_progress=100,
                        updated_at=timezone.now()):
        raise _ClaimLost


def _nearest_community(run: CoverageRun, hh: _Households, lon: np.ndarray, lat: np.ndarray) -> list[str]:
    """The community of the household nearest each point (a label for the map and the table)."""
    if hh.ids.size == 0:
        return ["" for _ in lon]
    names = {}
    for d in Division.objects.filter(path__startswith=run.division.path).values("pk", "name", "level", "parent_id"):
        names[d["pk"]] = d
    scale = math.cos(math.radians(float(np.mean(hh.lat))))
    out = []
    for x, y in zip(lon, lat, strict=True):
        i = int(np.argmin(((hh.lon - x) * scale) ** 2 + (hh.lat - y) ** 2))
        d = names.get(int(hh.division_id[i]))
        if d and d["level"] == Division.Level.GRID:
            d = names.get(d["parent_id"], d)
        out.append(d["name"] if d else "")
    return out
