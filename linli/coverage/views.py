"""Coverage pages: the 15-minute circle of a county or community (map + figures), run and siting
buttons for staff, a progress bar while a run computes, and the scoped, audited list of uncovered
households. Thin: reads through selectors, writes through services; out of scope = 404."""

from __future__ import annotations

import math

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from linli.accounts.models import Role
from linli.core.audit import audit_access
from linli.core.models import AccessLog
from linli.core.paging import page_of
from linli.core.scoping import has_role_over
from linli.coverage import selectors, services
from linli.coverage.models import CoverageRun
from linli.divisions.models import Division
from linli.people.models import PEOPLE_ROLES, Household
from linli.places.models import Room

HOUSEHOLD_MODEL = "people.Household"
PAGE_SIZE = 30


def _division(request, pk) -> Division:
    return get_object_or_404(selectors.divisions_visible(user=request.user).select_related("parent"), pk=pk)


def _run_for(division: Division) -> CoverageRun | None:
    """The latest finished run of the division, or else of its nearest ancestor (whose figures
    include this division's communities and grids)."""
    for pk in reversed(division.ancestor_ids()):
        run = CoverageRun.objects.filter(division_id=pk, status=CoverageRun.Status.FINISHED) \
            .select_related("network", "division").order_by("-finished_at", "-pk").first()
        if run is not None:
            return run
    return None


def _slice(run: CoverageRun, division: Division):
    """(headline row, table rows, table kind) of the run's figures for this division."""
    f = run.figures
    if run.division_id == division.pk:
        if division.level == Division.Level.COMMUNITY or len(f.get("communities", [])) <= 1:
            return f["overall"], f.get("grids", []), "grid"
        return f["overall"], f.get("communities", []), "community"
    if division.level == Division.Level.COMMUNITY:
        row = next((c for c in f.get("communities", []) if c["id"] == division.pk), None)
        return row, [g for g in f.get("grids", []) if g["community_id"] == division.pk], "grid"
    if division.level == Division.Level.GRID:
        return next((g for g in f.get("grids", []) if g["id"] == division.pk), None), [], "grid"
    return None, [], "community"


def _share_cells(row, thresholds):
    if row is None:
        return []
    return [{"minutes": f"{t:g}", "households": row["households_within"][f"{t:g}"],
             "share": row["households_share"][f"{t:g}"]} for t in thresholds]


@login_required
def index(request):
    """The broadest division the user may see."""
    division = selectors.divisions_visible(user=request.user).order_by("path").first()
    if division is None:
        raise Http404
    return redirect("coverage:division", pk=division.pk)


@login_required
def division_page(request, pk):
    division = _division(request, pk)
    services.coverage_runs_interrupt_stale()  # a run whose thread died shows as failed, not as a frozen bar
    run = _run_for(division)
    busy = selectors.busy_run(division=division)
    can_run = has_role_over(request.user, Role.STAFF, division)
    headline, rows, kind = _slice(run, division) if run else (None, [], "community")
    thresholds = run.figures.get("thresholds", []) if run else []
    last = f"{thresholds[-1]:g}" if thresholds else "15"
    table = [{**r, "cells": _share_cells(r, thresholds),
              "residents_share_last": r["residents_share"].get(last),
              "url": reverse("coverage:division", args=[r["id"]])} for r in rows]
    children = list(Division.objects.filter(path__startswith=division.path, level=Division.Level.COMMUNITY)
                    .exclude(pk=division.pk).order_by("name")) if division.level != Division.Level.COMMUNITY else []
    last_run = CoverageRun.objects.filter(division=division).order_by("-pk").only("status", "error", "interrupted").first()
    return render(request, "coverage/division.html", {
        "division": division, "run": run, "busy": busy, "can_run": can_run,
        "headline": headline, "headline_cells": _share_cells(headline, thresholds),
        "headline_residents_share": headline["residents_share"].get(last) if headline else None,
        "last_threshold": last, "table": table, "table_kind": kind, "children": children,
        "own_run": run is not None and run.division_id == division.pk,
        "network": services.network_for(division),
        "functions": Room.Function.choices,
        "last_failed": last_run if last_run and last_run.status == CoverageRun.Status.FAILED else None,
        "run_function_label": Room.Function(run.function).label if run and run.function else "",
        "map_labels": {"minutes": _("min"), "unreachable": _("cannot reach a center"),
                       "center": _("center"), "suggested": _("suggested site"),
                       "cluster": _("households beyond the circle"), "residents": _("residents")},
        "can_see_households": has_role_over(request.user, PEOPLE_ROLES, division)
        or request.user.is_superuser,
        "tile_url": settings.LINLI_MAP_TILE_URL, "tile_attribution": settings.LINLI_MAP_TILE_ATTRIBUTION,
    })


@login_required
@require_POST
def run_start(request, pk):
    division = _division(request, pk)
    if not has_role_over(request.user, Role.STAFF, division):
        raise PermissionDenied
    try:
        services.coverage_run(network=None, division=division, function=request.POST.get("function") or None,
                              at=request.POST.get("at", "").strip() or None, by=request.user, background=True)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The coverage run has started."))
    return redirect("coverage:division", pk=division.pk)


@login_required
@require_POST
def siting_start(request, pk):
    division = _division(request, pk)
    if not has_role_over(request.user, Role.STAFF, division):
        raise PermissionDenied
    run = selectors.latest_run(division=division)
    if run is None:
        messages.error(request, _("Run the coverage of this division first."))
        return redirect("coverage:division", pk=division.pk)
    try:
        k = int(request.POST.get("k", ""))
    except ValueError:
        k = 0
    candidates = request.POST.get("candidates", "nodes")
    if candidates not in services.CANDIDATE_KINDS:
        candidates = "nodes"
    try:
        services.coverage_site(run=run, k=k, candidates=candidates, by=request.user, background=True)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The siting has started."))
    return redirect("coverage:division", pk=division.pk)


@login_required
def progress(request, pk, run_pk):
    division = _division(request, pk)
    services.coverage_runs_interrupt_stale()
    run = get_object_or_404(CoverageRun.objects.filter(division=division), pk=run_pk)
    if not run.is_busy and request.htmx:
        response = HttpResponse(status=204)
        response["HX-Refresh"] = "true"
        return response
    return render(request, "coverage/_progress.html", {"division": division, "busy": run})


@login_required
def map_data(request, pk, run_pk):
    """The map's layers: centers, isochrones, suggested sites; households coloured by walking time
    and uncovered clusters only for users who may see the households (audited)."""
    division = _division(request, pk)
    run = get_object_or_404(CoverageRun.objects.filter(status=CoverageRun.Status.FINISHED), pk=run_pk)
    if not division.path.startswith(run.division.path):
        raise Http404
    data = {"centers": run.centers, "isochrones": run.isochrones, "bbox": run.network.bbox,
            "suggested": (run.siting or {}).get("chosen", []) if run.siting_status == CoverageRun.Status.FINISHED
            else [], "households": None, "clusters": []}
    if has_role_over(request.user, PEOPLE_ROLES, division) or request.user.is_superuser:
        rows = selectors.household_rows(run=run, user=request.user)
        where = dict((pk_, (lat, lng)) for pk_, lat, lng in Household.objects.visible_to(request.user)
                     .filter(division__path__startswith=division.path, lat__isnull=False)
                     .values_list("pk", "lat", "lng"))
        rows = [r for r in rows if r[0] in where]
        data["households"] = {
            "lat": [where[r[0]][0] for r in rows], "lng": [where[r[0]][1] for r in rows],
            "minutes": [round(r[1], 2) if math.isfinite(r[1]) else None for r in rows],
        }
        data["clusters"] = run.clusters
        audit_access(request=request, action=AccessLog.Action.LIST, model=HOUSEHOLD_MODEL,
                     object_ids=[r[0] for r in rows], fields=["location", "walking_minutes"])
    return JsonResponse(data)


@login_required
def uncovered(request, pk):
    """Households beyond the largest threshold (or unreachable), farthest first: scoped by
    Household.objects.visible_to, addresses only (no ID numbers or phones), every page audited."""
    division = _division(request, pk)
    run = _run_for(division)
    if run is None:
        raise Http404
    rows = selectors.household_rows(run=run, user=request.user, uncovered_only=True)
    in_division = set(Household.objects.visible_to(request.user).filter(division__path__startswith=division.path)
                      .values_list("pk", flat=True))
    rows = [r for r in rows if r[0] in in_division]
    page = page_of(request, rows, per_page=PAGE_SIZE)
    households = Household.objects.select_related("division").in_bulk([r[0] for r in page])
    names = {c["id"]: c["name"] for c in run.centers}
    items = [{"household": households[hid], "minutes": m if math.isfinite(m) else None,
              "site": names.get(site, "")} for hid, m, site in page if hid in households]
    audit_access(request=request, action=AccessLog.Action.LIST, model=HOUSEHOLD_MODEL,
                 object_ids=[i["household"].pk for i in items], fields=["address", "walking_minutes", "nearest_center"])
    return render(request, "coverage/uncovered.html", {
        "division": division, "run": run, "page": page, "items": items, "total": len(rows),
        "threshold": f"{max(run.thresholds):g}",
    })
