"""Access audit for personal data: every view, hit list and export writes one AccessLog row."""

from collections.abc import Iterable

from linli.core.models import AccessLog


def _client_ip(request) -> str | None:
    if request is None:
        return None
    # Behind the reverse proxy (docs/deployment.md) the client is the first X-Forwarded-For entry.
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    return (forwarded.split(",")[0].strip() or request.META.get("REMOTE_ADDR")) or None


def audit_access(*, request=None, user=None, action: str, model: str, object_ids: Iterable,
                 fields: Iterable[str] = (), query: str = "") -> AccessLog:
    user = user if user is not None else getattr(request, "user", None)
    return AccessLog.objects.create(
        user=user if getattr(user, "is_authenticated", False) else None,
        action=action,
        model=model,
        object_ids=[int(i) for i in object_ids],
        fields=list(fields),
        query=query[:200],
        # The path without its query string: a search by ID number must not store the number.
        path=(request.path[:300] if request is not None else ""),
        ip=_client_ip(request),
        user_agent=(request.META.get("HTTP_USER_AGENT", "")[:300] if request is not None else ""),
    )
