"""Reads for the 15-minute service circle: scoped runs, the dashboard figures, uncovered households."""

from __future__ import annotations

import functools

import numpy as np
from django.db.models import Q

from linli.accounts.models import Role
from linli.coverage.models import CoverageRun, StreetNetwork
from linli.divisions.models import Division
from linli.people.models import Household

# Counts and shares reveal no one's personal data, so any grant shows its subtree's runs.
ALL_ROLES = Role.Kind.values


def runs_visible(*, user):
    return CoverageRun.objects.visible_to(user, roles=ALL_ROLES)


def networks_visible(*, user):
    return StreetNetwork.objects.visible_to(user, roles=ALL_ROLES)


def divisions_visible(*, user):
    return Division.objects.visible_to(user, roles=ALL_ROLES)


def latest_run(*, division: Division, status: str | None = CoverageRun.Status.FINISHED) -> CoverageRun | None:
    qs = CoverageRun.objects.filter(division=division).select_related("network", "division")
    if status:
        qs = qs.filter(status=status).order_by("-finished_at", "-pk")
    return qs.first()


def busy_run(*, division: Division) -> CoverageRun | None:
    """A run of the division still computing its coverage or its siting."""
    busy = [CoverageRun.Status.PENDING, CoverageRun.Status.RUNNING]
    return (CoverageRun.objects.filter(division=division).filter(Q(status__in=busy) | Q(siting_status__in=busy))
            .order_by("-pk").first())


def headline_run(*, user=None) -> CoverageRun | None:
    """The run behind the dashboard figures: among finished runs (in the user's scope), the one at the
    broadest division, preferring runs over all neighborhood centers (no function or time filter),
    then the most recently finished."""
    qs = CoverageRun.objects.filter(status=CoverageRun.Status.FINISHED)
    if user is not None:
        qs = qs.visible_to(user, roles=ALL_ROLES)
    rows = list(qs.values_list("pk", "division__path", "function", "at_label", "finished_at"))
    if not rows:
        return None
    best = min(rows, key=lambda r: (r[1].count("/"), bool(r[2] or r[3]), -r[4].timestamp(), -r[0]))
    return CoverageRun.objects.only("pk", "figures", "finished_at").get(pk=best[0])


def figures(user=None) -> dict:
    """`linli stats` section "coverage" (published keys; nulls and {} when no run exists)."""
    run = headline_run(user=user)
    out = {"households_within_5min_share": None, "households_within_10min_share": None,
           "households_within_15min_share": None, "residents_within_15min_share": None,
           "by_community": {}, "computed_at": None}
    if run is None:
        return out
    overall = run.figures.get("overall", {})
    h, r = overall.get("households_share", {}), overall.get("residents_share", {})
    out.update({
        "households_within_5min_share": h.get("5"), "households_within_10min_share": h.get("10"),
        "households_within_15min_share": h.get("15"), "residents_within_15min_share": r.get("15"),
        "by_community": {c["name"]: c["households_share"].get("15") for c in run.figures.get("communities", [])},
        "computed_at": run.finished_at.isoformat() if run.finished_at else None,
    })
    return out


def household_rows(*, run: CoverageRun, user, uncovered_only: bool = False) -> list[tuple[int, float, int]]:
    """(household id, minutes, nearest site id) for the run's households the user may see
    (Household.objects.visible_to); ``uncovered_only`` keeps those beyond the run's largest threshold
    (unreachable ones included). Farthest first, unreachable before all."""
    arrays = run.household_arrays()
    ids, minutes, sites = arrays["household_id"], arrays["minutes"].astype(float), arrays["site_id"]
    keep = np.isin(ids, np.fromiter(visible_household_ids(run=run, user=user), dtype=np.int64))
    if uncovered_only:
        keep &= ~(minutes <= max(run.thresholds))
    ids, minutes, sites = ids[keep], minutes[keep], sites[keep]
    order = np.lexsort((ids, -minutes))
    return list(zip(ids[order].tolist(), minutes[order].tolist(), sites[order].tolist(), strict=True))


def visible_household_ids(*, run: CoverageRun, user) -> set[int]:
    return set(Household.objects.visible_to(user).filter(division__path__startswith=run.division.path)
               .values_list("pk", flat=True))


def home_household(*, user) -> Household | None:
    """The household the signed-in resident lives in now (their own register entry), or None."""
    person = getattr(user, "person", None) if getattr(user, "is_authenticated", False) else None
    if person is None:
        return None
    membership = (person.memberships.filter(end_date__isnull=True).select_related("household__division")
                  .defer("household__division__boundary").first())
    return membership.household if membership else None


# A run's results, county-sized (every household's minutes, the isochrones): not loaded to choose a run.
RESULT_FIELDS = ("household_results", "isochrones", "clusters", "siting", "centers", "figures")


@functools.lru_cache(maxsize=4)
def _walks(run_id: int, finished_at) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A finished run's (household ids sorted, minutes, site ids), read once per process: a finished
    run never changes (a new run is a new row; the finish time is in the key too, for a reused id), and the resident's home looked its household up in
    the whole county's results on every request (docs/performance.md)."""
    run = CoverageRun.objects.only("pk", "household_results").get(pk=run_id)
    arrays = run.household_arrays()
    order = np.argsort(arrays["household_id"], kind="stable")
    return arrays["household_id"][order], arrays["minutes"][order], arrays["site_id"][order]


def household_walk(run: CoverageRun, household_id: int) -> tuple[int, float] | None:
    """(nearest site id, walking minutes) of one household in a finished run, or None."""
    ids, minutes, sites = _walks(run.pk, run.finished_at)
    i = int(np.searchsorted(ids, household_id))
    if i < ids.size and ids[i] == household_id and np.isfinite(minutes[i]):
        return int(sites[i]), float(minutes[i])
    return None


def home_run(*, household: Household) -> CoverageRun | None:
    """The latest finished run that measured this household over all centers (no room function or
    opening-time filter), at the narrowest division that holds it."""
    paths = [p for p in household.division.path.strip("/").split("/") if p]
    runs = (CoverageRun.objects.filter(status=CoverageRun.Status.FINISHED, division_id__in=[int(p) for p in paths],
                                       function="", at_label="").select_related("division")
            .defer(*RESULT_FIELDS, "division__boundary").order_by("-finished_at", "-pk"))
    return max(runs, key=lambda r: (r.division.path.count("/"), r.finished_at), default=None)


def nearest_centers(*, user, limit: int = 3) -> dict | None:
    """What a resident needs to choose a center: the nearest one on foot from home with its walking
    time (from the latest coverage run, exact on the street network), and the next ones by distance
    as the crow flies. Sites come from the public directory; the household is the user's own."""
    from linli.coverage.engine.geo import geod_distance_m
    from linli.places import selectors as places

    household = home_household(user=user)
    if household is None or household.lat is None or household.lng is None:
        return None
    # What a card shows (name, address, community, the map link's point): not every site's community
    # boundary and station, forty of each in a large county.
    sites = list(places.site_directory(user=user).filter(is_neighborhood_center=True, lat__isnull=False,
                                                         lng__isnull=False)
                 .select_related(None).select_related("division")
                 .only("pk", "name", "address", "lat", "lng", "division__name"))
    if not sites:
        return None

    metres = geod_distance_m(lon1=np.full(len(sites), household.lng), lat1=np.full(len(sites), household.lat),
                             lon2=np.array([s.lng for s in sites]), lat2=np.array([s.lat for s in sites]))
    walk = {}
    run = home_run(household=household)
    computed_at = None
    if run is not None:
        hit = household_walk(run, household.pk)
        if hit is not None:
            walk[hit[0]] = hit[1]
            computed_at = run.finished_at
    rows = [{"site": s, "metres": float(m), "minutes": walk.get(s.pk)} for s, m in zip(sites, metres, strict=True)]
    # The walking-time nearest first, then the rest by distance.
    rows = sorted(rows, key=lambda r: (r["minutes"] is None, r["metres"]))[:limit]
    open_now = places.open_now_for([r["site"] for r in rows])
    for r in rows:
        r["open_now"], r["map_url"] = open_now[r["site"].pk], places.map_app_url(r["site"])
    return {"household": household, "rows": rows, "computed_at": computed_at}


def nearest_home_block(request) -> dict | None:
    """Home page: a resident (who works nowhere in Linli) sees the centers nearest their home."""
    from linli.core.nav import is_worker

    if is_worker(request.user):
        return None
    return nearest_centers(user=request.user)
