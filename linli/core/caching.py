"""What Django's cache holds besides rollups, and when it is dropped.

- A user's grants (role kind, division path, division id), by user id: dropped when one of their
  roles is saved or deleted, and for everyone when a division is saved or deleted (paths change).
- The division ids under a set of grant paths, by the paths (the same for every user holding them).
- The map's GeoJSON, by the user's grants and language: dropped when a division, site or room changes.

Keys name the user or the exact scope they were computed for, never a role or a division alone, so
one user's scoped data is never served to another (core/tests/test_caching.py). Writes that bypass
signals (`QuerySet.update`, `bulk_create` of roles) are seen when the entry expires (GRANTS_SECONDS).
"""

import hashlib

from django.core.cache import cache

GRANTS_SECONDS = 300
MAP_SECONDS = 600


def version(name: str) -> int:
    key = f"linli:v:{name}"
    v = cache.get(key)
    if v is None:
        cache.add(key, 1, None)
        v = cache.get(key) or 1
    return v


def bump(name: str) -> None:
    key = f"linli:v:{name}"
    try:
        cache.incr(key)
    except ValueError:
        cache.set(key, 2, None)


def digest(*parts) -> str:
    return hashlib.sha1(repr(parts).encode()).hexdigest()


def grants_key(user_id) -> str:
    return f"linli:grants:{user_id}:{version('divisions')}"


def scope_ids_key(paths, roles) -> str:
    return f"linli:scopeids:{version('divisions')}:{digest(tuple(paths), roles)}"


def map_key(grants, language: str) -> str:
    return f"linli:map:{version('map')}:{language}:{digest(tuple(sorted(grants)))}"


def forget_user(user_id) -> None:
    cache.delete(grants_key(user_id))


def connect() -> None:
    """Invalidation on change (called from CoreConfig.ready)."""
    from django.db.models.signals import post_delete, post_save

    from linli.accounts.models import Role
    from linli.divisions.models import Division
    from linli.places.models import Room, Site

    def role_changed(sender, instance, **kwargs):
        forget_user(instance.user_id)

    def division_changed(sender, instance, **kwargs):
        bump("divisions")
        bump("map")

    def place_changed(sender, instance, **kwargs):
        bump("map")

    for signal in (post_save, post_delete):
        signal.connect(role_changed, sender=Role, dispatch_uid=f"linli-cache-role-{signal}", weak=False)
        signal.connect(division_changed, sender=Division, dispatch_uid=f"linli-cache-division-{signal}", weak=False)
        for model in (Site, Room):
            signal.connect(place_changed, sender=model, dispatch_uid=f"linli-cache-{model.__name__}-{signal}",
                           weak=False)
