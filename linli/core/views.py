from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render

from linli.core import caching, rollups
from linli.core.home import blocks_for
from linli.core.scoping import role_kinds, user_grants
from linli.divisions.models import Division
from linli.places import selectors as place_selectors


@login_required
def home(request):
    """One home page; its blocks follow the user's roles (a county admin sees the county overview,
    a resident sees the places they can book and their bookings)."""
    kinds = role_kinds(request.user)
    staff = request.user.is_superuser or bool(kinds & {"county_admin", "community_staff", "site_manager"})
    shows_figures = bool(staff or kinds & {"grid_worker"})
    # defer: a scope nobody read yet (a grid worker's first visit) is computed by a job, not by this page
    figures, as_of = rollups.figures(request.user, defer=True) if shows_figures else (None, None)
    context = {
        "figures": figures,
        "figures_pending": shows_figures and figures is None,
        "as_of": as_of,
        "is_staff_home": staff,
        "upcoming_bookings": place_selectors.upcoming_bookings_for(user=request.user)[:5],
        "pending_approvals": place_selectors.pending_approvals_for(user=request.user)[:5] if staff else [],
        "blocks": blocks_for(request),
        "scope_divisions": Division.objects.filter(pk__in={d for _, _, d in user_grants(request.user)}).only("pk", "name"),
    }
    return render(request, "core/home.html", context)


@login_required
def map_page(request):
    return render(request, "core/map.html", {
        "tile_url": settings.LINLI_MAP_TILE_URL,
        "tile_attribution": settings.LINLI_MAP_TILE_ATTRIBUTION,
    })


@login_required
def map_data(request):
    """The map's own data: community boundaries and sites in the user's scope, as GeoJSON."""
    # Cached by the user's exact grants and language (core/caching.py), dropped when places change.
    key = caching.map_key(user_grants(request.user) if not request.user.is_superuser else [("*",)],
                          request.LANGUAGE_CODE)
    data = cache.get(key)
    if data is None:
        data = place_selectors.map_geojson(user=request.user)
        cache.set(key, data, caching.MAP_SECONDS)
    return JsonResponse(data)


def healthz(request):
    with connection.cursor() as cur:
        cur.execute("SELECT 1")
    return HttpResponse("ok", content_type="text/plain")
