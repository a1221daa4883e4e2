"""The canteen's block on a center's public page (linli.public.blocks): this week's menu, no personal data."""

import datetime as dt

from django.utils import timezone

from linli.canteen import selectors
from linli.canteen.models import Canteen


def site_menu(site) -> dict | None:
    # The public page hands over its cached summary of the center (a dict), not the model.
    site_id = site["pk"] if isinstance(site, dict) else site.pk
    canteens = list(Canteen.objects.filter(site_id=site_id).order_by("pk"))
    if not canteens:
        return None
    today = timezone.localdate()
    monday = today - dt.timedelta(days=today.weekday())
    return {"menus": [{"canteen": c, "days": [d for d in selectors.week_menu(canteen=c, monday=monday)
                                                if d["date"] >= today and d["dishes"]][:3]}
                      for c in canteens]}
