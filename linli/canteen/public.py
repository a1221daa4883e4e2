"""The canteen's block on a center's public page (linli.public.blocks): this week's menu, no personal data."""

import datetime as dt

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from linli.canteen import selectors
from linli.canteen.models import Canteen


def site_menu(site) -> dict | None:
    """Cached like the rest of the public page (LINLI_PUBLIC_CACHE_SECONDS, short-lived, per day)."""
    # The public page hands over its cached summary of the center (a dict), not the model.
    site_id = site["pk"] if isinstance(site, dict) else site.pk
    today = timezone.localdate()
    key = f"linli:public:canteen-menu:{site_id}:{today.isoformat()}"
    found = cache.get(key)
    if found is None:
        found = {"menu": _menu(site_id, today)}
        cache.set(key, found, getattr(settings, "LINLI_PUBLIC_CACHE_SECONDS", 300))
    return found["menu"]


def _menu(site_id: int, today: dt.date) -> dict | None:
    canteens = list(Canteen.objects.filter(site_id=site_id).order_by("pk"))
    if not canteens:
        return None
    monday = today - dt.timedelta(days=today.weekday())
    return {"menus": [{"canteen": c, "days": [d for d in selectors.week_menu(canteen=c, monday=monday)
                                                if d["date"] >= today and d["dishes"]][:3]}
                      for c in canteens]}
