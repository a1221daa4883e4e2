"""The county's headline figures, computed from records (never typed in).

`figures(user=None)` is the live computation: the whole database for the command line, the user's
divisions on a page. Pages and `linli stats` read the same figures from `core.rollups` (kept current in
the background); `linli stats --live` and the rollups' tests call this. Later features add a section
with `register_section(name, fn)`; published keys stay stable (README, "Figures").
"""

from collections.abc import Callable
from decimal import Decimal

from django.db.models import Count, Sum

_SECTIONS: dict[str, Callable] = {}


def register_section(name: str, fn: Callable) -> None:
    _SECTIONS[name] = fn


def _scoped(model, user):
    from linli.accounts.models import Role

    if user is None:
        return model.objects.all()
    # Counts reveal no one's personal data, so any grant shows its subtree's totals.
    return model.objects.visible_to(user, roles=Role.Kind.values)


def figures(user=None) -> dict:
    """Every section computed live from records (`linli stats --live`; pages read `core.rollups`)."""
    out = core_figures(user)
    for name, fn in _SECTIONS.items():
        out[name] = fn(user)
    return out


def core_figures(user=None) -> dict:
    """The published top-level keys (communities … persons)."""
    from linli.divisions.models import Division
    from linli.people.models import Household, Person
    from linli.places.models import Room, Site

    divisions = _scoped(Division, user)
    sites = _scoped(Site, user)
    centers = sites.filter(is_neighborhood_center=True)
    area = centers.aggregate(total=Sum("floor_area_m2"))["total"] or Decimal(0)
    rooms = _scoped(Room, user)
    out = {
        "communities": divisions.filter(level=Division.Level.COMMUNITY).count(),
        "grids": divisions.filter(level=Division.Level.GRID).count(),
        "neighborhood_centers": centers.count(),
        "stations": sites.filter(practice_role=Site.PracticeRole.STATION).count(),
        "points": sites.filter(practice_role=Site.PracticeRole.POINT).count(),
        "floor_area_m2": float(area),
        "sites_by_placement": {
            row["placement"]: row["n"]
            for row in sites.order_by().values("placement").annotate(n=Count("pk")).order_by("placement")
        },
        "rooms_by_function": {
            row["function"]: row["n"]
            for row in rooms.order_by().values("function").annotate(n=Count("pk")).order_by("function")
        },
        "households": _scoped(Household, user).count(),
        "persons": _scoped(Person, user).count(),
    }
    return out
