"""Reads for organizations, scoped to the user's divisions."""

from django.db.models import Q

from linli.accounts.models import Role
from linli.core.scoping import has_role_over
from linli.divisions.models import Division
from linli.orgs.models import Organization


def organization_list(*, user, q: str = "", kind: str = ""):
    qs = Organization.objects.visible_to(user).select_related("division")
    if kind:
        qs = qs.filter(kind=kind)
    q = (q or "").strip()
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(address__icontains=q))
    return qs


def staff_divisions(*, user):
    """Divisions where the user may register organizations."""
    return Division.objects.visible_to(user, roles=Role.STAFF)


def can_manage(user, division) -> bool:
    return has_role_over(user, Role.STAFF, division)
