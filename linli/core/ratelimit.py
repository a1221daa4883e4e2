"""Rate limits on Django's cache, and the one way to tell who the client is.

`hit(scope, key, limit, window)` counts a request in a fixed window and says whether it is over the
limit. Views call it (`check_rate(request, scope)`); the API answers 429 with a JSON body, pages show
a translated message. Limits per scope live in settings.LINLI_RATE_LIMITS ("N/seconds").
"""

from __future__ import annotations

import hashlib
import time

from django.conf import settings
from django.core.cache import cache


def client_ip(request) -> str:
    """The client's address. Behind LINLI_TRUSTED_PROXY_HOPS reverse proxies it is that many entries
    from the end of X-Forwarded-For (the entries before were written by the client and prove nothing);
    with no proxy configured it is REMOTE_ADDR, so a forged header cannot dodge a limit."""
    if request is None:
        return ""
    hops = getattr(settings, "LINLI_TRUSTED_PROXY_HOPS", 0)
    if hops:
        chain = [p.strip() for p in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if p.strip()]
        if len(chain) >= hops:
            return chain[-hops]
    return request.META.get("REMOTE_ADDR", "") or ""


def _parse(rate: str) -> tuple[int, int]:
    count, _, seconds = rate.partition("/")
    return int(count), int(seconds or 60)


def hit(scope: str, key: str, *, rate: str) -> bool:
    """Count one request of `key` in `scope`; True while it is within `rate` ("N/seconds")."""
    limit, window = _parse(rate)
    bucket = int(time.time() // window)
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    name = f"linli:rl:{scope}:{digest}:{bucket}"
    # add() then incr() is atomic on Redis and memcached, and per process on the local-memory cache.
    cache.add(name, 0, timeout=window + 1)
    try:
        count = cache.incr(name)
    except ValueError:  # expired between add and incr
        cache.set(name, 1, timeout=window + 1)
        count = 1
    return count <= limit


def check_rate(request, scope: str, *, key: str | None = None) -> bool:
    """True if this request is within the scope's limit (settings.LINLI_RATE_LIMITS[scope]), keyed by
    the client's address (and the user, when logged in) unless `key` is given."""
    rate = settings.LINLI_RATE_LIMITS.get(scope)
    if not rate:
        return True
    if key is None:
        user = getattr(request, "user", None)
        uid = user.pk if getattr(user, "is_authenticated", False) else ""
        key = f"{client_ip(request)}|{uid}"
    return hit(scope, key, rate=rate)


# Query parameters that make a request a search (pages' `q`, the API's filters that look people up).
SEARCH_PARAMS = ("q", "search", "id_number", "phone", "name", "address")


class SearchRateLimitMiddleware:
    """Searches (a GET with one of SEARCH_PARAMS) are limited per client and user
    (LINLI_RATE_LIMITS["search"]): the API answers 429 in JSON, pages a translated 429 page."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method == "GET" and any(request.GET.get(p) for p in SEARCH_PARAMS) \
                and not check_rate(request, "search", key=_search_key(request)):
            return too_many(request)
        return self.get_response(request)


def _search_key(request) -> str:
    # The token (when there is one) names the caller before DRF authenticates it.
    auth = request.META.get("HTTP_AUTHORIZATION", "")
    user = getattr(request, "user", None)
    uid = user.pk if getattr(user, "is_authenticated", False) else hashlib.sha256(auth.encode()).hexdigest()[:16]
    return f"{client_ip(request)}|{uid}"


def too_many(request):
    from django.http import JsonResponse
    from django.shortcuts import render
    from django.utils.translation import gettext as _

    message = _("Too many requests. Please wait a minute and try again.")
    if request.path.startswith("/api/") or request.path.startswith("/open311/"):
        response = JsonResponse({"detail": message}, status=429)
    else:
        response = render(request, "429.html", {"message": message}, status=429)
    response["Retry-After"] = "60"
    return response
