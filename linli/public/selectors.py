"""Reads for the pages without login. Every function returns plain data holding no one's personal data
(no residents' names, addresses or phones; not even a center's contact person), built in a few
queries and cached per language for LINLI_PUBLIC_CACHE_SECONDS. What changes by the minute ("open
now") is worked out per request from the cached hours, so a short cache never shows a stale door."""

import datetime as dt
from collections import defaultdict
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, Prefetch
from django.utils import timezone
from django.utils.translation import get_language

from linli.activities import selectors as activities
from linli.cases import selectors as cases
from linli.core.geo import wgs84_to_gcj02
from linli.divisions.models import Division
from linli.places.models import OpeningException, OpeningHours, Site

DAYS_AHEAD = 31
VERSION = 1


def cached(key: str, compute: Callable):
    """`compute()` cached under a key of this app, the language and `key`."""
    full = f"linli:public:v{VERSION}:{get_language()}:{key}"
    return cache.get_or_set(full, compute, getattr(settings, "LINLI_PUBLIC_CACHE_SECONDS", 300))


def _hours(site, first: dt.date, last: dt.date) -> dict:
    """Weekly intervals and the exceptions between two dates, as plain data (prefetched on `site`)."""
    weekly = defaultdict(list)
    for h in site.opening_hours.all():
        weekly[h.weekday].append((h.opens, h.closes))
    exceptions = {}
    for e in site.opening_exceptions.all():
        if first <= e.date <= last:
            exceptions[e.date] = {"intervals": [] if e.closed or not (e.opens and e.closes) else [(e.opens, e.closes)],
                                  "note": e.note, "closed": e.closed}
    return {"weekly": dict(weekly), "exceptions": exceptions}


def _intervals(hours: dict, day: dt.date) -> list[tuple[dt.time, dt.time]]:
    exc = hours["exceptions"].get(day)
    return exc["intervals"] if exc is not None else hours["weekly"].get(day.weekday(), [])


def open_state(hours: dict, now: dt.datetime | None = None) -> dict:
    """Open now? With today's hours, when it closes, or when it next opens (within a week)."""
    now = timezone.localtime(now)
    today, t = now.date(), now.time()
    todays = _intervals(hours, today)
    for opens, closes in todays:
        if opens <= t < closes:
            return {"open": True, "closes": closes, "today": todays}
    for i in range(8):
        day = today + dt.timedelta(days=i)
        for opens, _closes in _intervals(hours, day):
            if i > 0 or opens > t:
                return {"open": False, "next": dt.datetime.combine(day, opens), "next_is_today": i == 0,
                        "today": todays}
    return {"open": False, "next": None, "today": todays}


def _sites():
    today = timezone.localdate()
    return (Site.objects.select_related("division")
            .prefetch_related(Prefetch("opening_hours", queryset=OpeningHours.objects.order_by("weekday", "opens")),
                              Prefetch("opening_exceptions", queryset=OpeningException.objects.filter(
                                  date__gte=today, date__lte=today + dt.timedelta(days=DAYS_AHEAD))))
            .annotate(room_count=Count("rooms", distinct=True)))


def _site_summary(site) -> dict:
    today = timezone.localdate()
    return {"pk": site.pk, "name": site.name, "community": site.division.name, "address": site.address,
            "is_center": site.is_neighborhood_center, "role": site.practice_role,
            "role_label": site.get_practice_role_display(), "room_count": site.room_count,
            "hours": _hours(site, today, today + dt.timedelta(days=DAYS_AHEAD))}


def directory() -> list[dict]:
    """Every site, by community (in the division tree's order): three queries, cached."""
    def compute():
        groups: dict[int, dict] = {}
        for site in _sites().order_by("division__path", "-is_neighborhood_center", "name"):
            g = groups.setdefault(site.division_id, {"pk": site.division_id, "name": site.division.name, "sites": []})
            g["sites"].append(_site_summary(site))
        return list(groups.values())
    return cached("directory", compute)


def map_links(*, lat: float | None, lng: float | None, name: str, address: str) -> dict | None:
    """Links that open a Chinese map app at the site. Those apps take GCJ-02, so the stored WGS-84
    point is converted; the geo: link (RFC 5870) takes WGS-84 as stored."""
    if lat is None or lng is None:
        return None
    from urllib.parse import quote

    glat, glng = wgs84_to_gcj02(lat, lng)
    n, a = quote(name), quote(address)
    return {
        "gcj02": (round(glat, 6), round(glng, 6)),
        "amap": f"https://uri.amap.com/marker?position={glng:.6f},{glat:.6f}&name={n}&coordinate=gaode&callnative=1",
        "tencent": f"https://apis.map.qq.com/uri/v1/marker?marker=coord:{glat:.6f},{glng:.6f};title:{n};addr:{a}&referer=linli",
        "geo": f"geo:{lat:.6f},{lng:.6f}?q={lat:.6f},{lng:.6f}({n})",
    }


def _occurrence_row(occ) -> dict:
    a = occ.activity
    return {"pk": occ.pk, "title": a.title, "kind": a.kind, "kind_label": a.get_kind_display(),
            "start": occ.start, "end": occ.end, "site_pk": a.site_id, "site": a.site.name,
            "community": a.site.division.name, "room": occ.room.name if occ.room else "",
            "platform": str(a.platform), "description": a.description[:300]}


def site_page(pk: int) -> dict | None:
    """A center's public page: hours, rooms and what they are for, the coming activities, how to get there."""
    def compute():
        site = _sites().filter(pk=pk).first()
        if site is None:
            return {"missing": True}
        now = timezone.now()
        page = _site_summary(site)
        page.update({
            "description": site.description, "placement": site.get_placement_display(),
            "floor_area_m2": site.floor_area_m2,
            "station": site.station.name if site.station_id else "",
            "rooms": [{"name": r.name, "function": r.function_label, "capacity": r.capacity, "area_m2": r.area_m2}
                      for r in site.rooms.order_by("name")],
            "upcoming": [_occurrence_row(o) for o in activities.public_occurrences(
                start=now, end=now + dt.timedelta(days=DAYS_AHEAD), site=site)[:20]],
            "map": map_links(lat=site.lat, lng=site.lng, name=site.name, address=site.address),
            "exceptions": sorted(({"date": d, **e} for d, e in page["hours"]["exceptions"].items()),
                                 key=lambda e: e["date"])[:10],
        })
        return page
    page = cached(f"site:{pk}", compute)
    return None if page.get("missing") else page


def communities() -> list[dict]:
    return cached("communities", lambda: [{"pk": d.pk, "name": d.name} for d in Division.objects.filter(
        level=Division.Level.COMMUNITY).order_by("path")])


def calendar(*, first: dt.date, days: int = DAYS_AHEAD, community: int | None = None,
             site: int | None = None) -> list[dict]:
    """Public activity dates from `first`, a list of days, filtered by community or site (ids)."""
    def compute():
        tz = timezone.get_current_timezone()
        start = dt.datetime.combine(first, dt.time.min, tzinfo=tz)
        division = Division.objects.filter(pk=community).first() if community else None
        place = Site.objects.filter(pk=site).first() if site else None
        if (community and division is None) or (site and place is None):
            return []
        by_day = defaultdict(list)
        for occ in activities.public_occurrences(start=start, end=start + dt.timedelta(days=days),
                                                 site=place, division=division)[:500]:
            by_day[timezone.localtime(occ.start).date()].append(_occurrence_row(occ))
        return [{"date": d, "items": by_day[d]} for d in sorted(by_day)]
    return cached(f"calendar:{first.isoformat()}:{days}:{community or ''}:{site or ''}", compute)


def night_talks(*, community: int | None = None) -> list[dict]:
    """"You said, we did" of the last year's night talks, of one community or all."""
    def compute():
        division = Division.objects.filter(pk=community, level=Division.Level.COMMUNITY).first() if community else None
        if community and division is None:
            return []
        return cases.night_talk_results(months=12, division=division)
    return cached(f"night_talks:{community or ''}", compute)
