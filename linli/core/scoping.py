"""The one place where records are scoped to a user's divisions.

Every model that reaches a user declares `scope_field` (the lookup to its Division, "" for Division
itself) and optionally `scope_roles` (the role kinds whose grants reveal it; None = every role),
`scope_own(user)` (a Q for records that are the user's own, e.g. their bookings) and
`scope_public_upward = True` for public records (sites, rooms) that are also seen from below: a
resident granted at a grid sees the centers of their community, never a neighbouring community's. Pages and API
endpoints call `Model.objects.visible_to(user)`; what it does not return is a 404.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import models
from django.db.models import Q


def user_grants(user) -> list[tuple[str, str, int]]:
    """(role kind, division path, division id) of the user's grants, cached on the user object."""
    if not getattr(user, "is_authenticated", False):
        return []
    cached = getattr(user, "_linli_grants", None)
    if cached is None:
        from django.core.cache import cache

        from linli.core import caching

        # Per user in the shared cache (dropped when a role or division changes: core/caching.py).
        key = caching.grants_key(user.pk)
        cached = cache.get(key)
        if cached is None:
            from linli.accounts.models import Role

            cached = [tuple(g) for g in
                      Role.objects.filter(user_id=user.pk).values_list("kind", "division__path", "division_id")]
            cache.set(key, cached, caching.GRANTS_SECONDS)
        user._linli_grants = [tuple(g) for g in cached]
        user.__dict__.pop("_linli_scope_ids", None)
        cached = user._linli_grants
    return cached


def forget_grants(user) -> None:
    """Drop the per-request caches (and the shared cache entry) after the user's grants change."""
    from linli.core import caching

    caching.forget_user(user.pk)
    user.__dict__.pop("_linli_grants", None)
    user.__dict__.pop("_linli_scope_ids", None)


def _minimal(paths: Iterable[str]) -> list[str]:
    """Drop paths already covered by a shorter one, so the OR stays short."""
    out: list[str] = []
    for p in sorted(set(paths), key=len):
        if not any(p.startswith(q) for q in out):
            out.append(p)
    return out


# Separated duties (system administrator, security administrator, auditor) run the system, its
# accounts and its logs: their grants reveal no records, whatever a model's scope_roles.
DUTY_KINDS = frozenset({"system_admin", "security_admin", "auditor"})


def _wanted(kind: str, wanted: set[str] | None) -> bool:
    return kind not in DUTY_KINDS and (wanted is None or kind in wanted)


def scope_paths(user, roles: Iterable[str] | None = None) -> list[str]:
    wanted = None if roles is None else set(roles)
    return _minimal(path for kind, path, _ in user_grants(user) if _wanted(kind, wanted))


def scope_division_ids(user, roles: Iterable[str] | None = None) -> list[int]:
    """Ids of every division under the user's grants of `roles`, cached on the user object."""
    key = None if roles is None else tuple(sorted(roles))
    cache = user.__dict__.setdefault("_linli_scope_ids", {})
    if key not in cache:
        from django.core.cache import cache as shared

        from linli.core import caching
        from linli.divisions.models import Division

        paths = scope_paths(user, roles)
        if not paths:
            cache[key] = []
        else:
            # By the paths themselves: the same ids for anyone holding these grants.
            skey = caching.scope_ids_key(paths, key)
            ids = shared.get(skey)
            if ids is None:
                ids = list(Division.objects.filter(path_q("path", paths)).values_list("pk", flat=True))
                shared.set(skey, ids, caching.GRANTS_SECONDS)
            cache[key] = ids
    return cache[key]


def covers_every_division(user, roles: Iterable[str] | None = None) -> bool:
    """True when the user's grants of `roles` reach every division (a county administrator of the
    only county): then no record with a division lies outside their scope."""
    from django.core.cache import cache as shared

    from linli.core import caching
    from linli.divisions.models import Division

    ids = scope_division_ids(user, roles)
    if not ids:
        return False
    key = f"linli:divisioncount:{caching.version('divisions')}"  # dropped with the division ids
    total = shared.get(key)
    if total is None:
        total = Division.objects.count()
        shared.set(key, total, caching.GRANTS_SECONDS)
    return len(ids) >= total


def _division_required(model, field: str) -> bool:
    """Every record has a division: each foreign key on the way to it (site__division) is non-null."""
    for name in field.split("__"):
        f = model._meta.get_field(name)
        if f.null or not f.many_to_one:
            return False
        model = f.related_model
    return True


def ancestor_division_ids(user, roles: Iterable[str] | None = None) -> set[int]:
    """Ids of the divisions above (and at) the user's grants: where public records such as sites
    live for someone granted lower down (a resident at a grid sees their community's centers)."""
    wanted = None if roles is None else set(roles)
    return {int(p) for kind, path, _ in user_grants(user) if _wanted(kind, wanted)
            for p in path.strip("/").split("/") if p}


def has_role_over(user, roles: Iterable[str] | None, division) -> bool:
    """True if the user holds one of `roles` at `division` or one of its ancestors."""
    if getattr(user, "is_superuser", False):
        return True
    if division is None:
        return False
    return has_role_over_path(user, roles, division.path)


def has_role_over_path(user, roles: Iterable[str] | None, path: str) -> bool:
    """`has_role_over` for a division given by its path (a row read without its division)."""
    if getattr(user, "is_superuser", False):
        return True
    return any(path.startswith(p) for p in scope_paths(user, roles))


def role_kinds(user) -> set[str]:
    return {kind for kind, _, _ in user_grants(user)}


def path_q(prefix_lookup: str, paths: list[str]) -> Q:
    q = Q(pk__in=[])
    for p in paths:
        q |= Q(**{f"{prefix_lookup}__startswith": p})
    return q


class ScopedQuerySet(models.QuerySet):
    def visible_to(self, user, *, roles: Iterable[str] | None = None, own: bool = True):
        """Records under the divisions where the user holds one of `roles` (default: the model's
        `scope_roles`), plus the user's own records unless `own` is False (what the user may act on
        by their role, such as approvals, not what they may read). Superusers see everything."""
        if user is None or not user.is_authenticated:
            return self.none()
        if user.is_superuser:
            return self
        model = self.model
        if roles is None:
            roles = getattr(model, "scope_roles", None)
        field = model.scope_field
        if field and _division_required(model, field) and covers_every_division(user, roles):
            # Every record has a division and every division is in scope: the whole table, with no
            # `division_id IN (every id)` to send, plan and test row by row (same rows).
            return self.all()
        if not field:
            q = path_q("path", scope_paths(user, roles))
        else:
            # The ids of the divisions under the grants (one indexed prefix query, cached for the
            # request), so records are read through their own division index.
            ids = scope_division_ids(user, roles)
            q = Q(**{f"{field}__in": ids}) if ids else Q(pk__in=[])
        if getattr(model, "scope_public_upward", False):
            # Public records (sites, rooms, organisations) at the divisions above a grant too.
            ancestors = ancestor_division_ids(user, roles)
            if ancestors:
                q |= Q(**{f"{field}__in": sorted(ancestors)})
        own_q = getattr(model, "scope_own", None) if own else None
        if own_q is not None:
            # The user's own records are few: fetch their ids first, because an OR of two indexed
            # conditions is not used as such by SQLite's planner (it scans the table).
            # Only those outside the divisions already in scope: a staff member's own cases in their
            # own community would otherwise make the OR list grow with the county (docs/performance.md).
            mine = model._base_manager.filter(own_q(user))
            if field:
                in_scope = scope_division_ids(user, roles)
                if in_scope:
                    mine = mine.exclude(**{f"{field}__in": in_scope})
            own_ids = sorted(set(mine.values_list("pk", flat=True)))
            if own_ids:
                q |= Q(pk__in=own_ids)
        return self.filter(q)
