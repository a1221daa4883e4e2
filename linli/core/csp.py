"""Content-Security-Policy: scripts from this site only (no inline script, no eval), nothing from
elsewhere unless a map tile server is configured. Styles may be inline (templates set a few style
attributes; a style cannot run code). The ReDoc page needs its inline start-up script and a blob
worker: it alone gets them (it shows the schema, no records)."""

from urllib.parse import urlsplit

from django.conf import settings


def _tile_source() -> str:
    url = getattr(settings, "LINLI_MAP_TILE_URL", "")
    if not url:
        return ""
    parts = urlsplit(url.replace("{s}.", "*."))
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


def policy(path: str = "/") -> str:
    tiles = _tile_source()
    script = "'self'"
    extra = []
    if path.startswith("/api/redoc/"):
        script = "'self' 'unsafe-inline'"
        extra = ["worker-src 'self' blob:"]
    directives = [
        "default-src 'self'",
        f"script-src {script}",
        "style-src 'self' 'unsafe-inline'",
        f"img-src 'self' data:{' ' + tiles if tiles else ''}",
        "font-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        *extra,
    ]
    return "; ".join(directives)


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", policy(request.path))
        return response
