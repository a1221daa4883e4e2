"""Reads for places: scoped querysets for pages and the API, opening hours per date, the week calendar."""

import datetime as dt
from collections import defaultdict
from urllib.parse import quote

from django.db.models import Count, Prefetch, Q
from django.utils import timezone

from linli.accounts.models import Role
from linli.core.geo import wgs84_to_gcj02
from linli.core.scoping import ancestor_division_ids, has_role_over, scope_paths
from linli.divisions.models import Division
from linli.places.models import Booking, BookingSeries, OpeningException, OpeningHours, Room, Site


def site_list(*, user, q: str = ""):
    qs = Site.objects.visible_to(user).select_related("division", "station")
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(address__icontains=q) | Q(division__name__icontains=q))
    return qs


def site_directory(*, user, q: str = ""):
    """Sites are public information: a signed-in user sees, read-only, every site of the county (or
    counties) their grants lie in, besides what their grants reveal. Managing a site still needs a
    grant over it (`can_manage`); everything personal on a site (bookings) stays scoped."""
    if not getattr(user, "is_authenticated", False):
        return Site.objects.none()
    counties = list(Division.objects.filter(pk__in=ancestor_division_ids(user), level=Division.Level.COUNTY)
                    .values_list("path", flat=True))
    wide = Q(pk__in=Site.objects.visible_to(user).values("pk"))
    for path in counties:
        wide |= Q(division__path__startswith=path)
    qs = Site.objects.filter(wide).select_related("division", "station")
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(address__icontains=q) | Q(division__name__icontains=q))
    return qs


def site_directory_with_counts(*, user, q: str = ""):
    return (site_directory(user=user, q=q).annotate(room_count=Count("rooms", distinct=True))
            .order_by("division__path", "-is_neighborhood_center", "name"))


def open_now(site, now=None) -> bool:
    """Open at this moment by its weekly hours and the day's exception."""
    now = timezone.localtime(now)
    return any(o <= now.time() < c for o, c in opening_intervals(site=site, day=now.date()))


def open_now_for(sites, now=None) -> dict[int, bool]:
    """`open_now` of several sites (by id), in two queries."""
    now = timezone.localtime(now)
    calendars = OpeningCalendar.for_sites(sites, now.date())
    return {pk: any(o <= now.time() < c for o, c in cal.intervals(now.date())) for pk, cal in calendars.items()}


def map_app_url(site) -> str:
    """A link a phone opens in its map app (Amap's URI API, which wants GCJ-02 coordinates)."""
    if site.lat is None or site.lng is None:
        return ""
    lat, lng = wgs84_to_gcj02(site.lat, site.lng)
    return (f"https://uri.amap.com/marker?position={lng:.6f},{lat:.6f}&name={quote(site.name)}"
            f"&coordinate=gaode&callnative=1")


def site_list_with_counts(*, user, q: str = ""):
    return (site_list(user=user, q=q).annotate(room_count=Count("rooms", distinct=True))
            .order_by("division__path", "-is_neighborhood_center", "name"))


def site_detail(*, user):
    """Sites the user can see (the county's directory), with what the detail page shows loaded up front."""
    return site_directory(user=user).prefetch_related(
        Prefetch("opening_hours", queryset=OpeningHours.objects.order_by("weekday", "opens")),
        Prefetch("rooms", queryset=Room.objects.order_by("name")),
        Prefetch("points", queryset=Site.objects.order_by("name")),
    )


def room_list(*, user, site=None):
    qs = Room.objects.visible_to(user).select_related("site__division")
    return qs.filter(site=site) if site is not None else qs


def booking_list(*, user, status: str = "", mine: bool = False):
    """The user's own bookings and those of the rooms they manage."""
    qs = Booking.objects.visible_to(user).select_related("room__site", "booked_by")
    if status:
        qs = qs.filter(status=status)
    if mine:
        qs = qs.filter(booked_by=user)
    return qs


def series_list(*, user):
    return BookingSeries.objects.visible_to(user).select_related("room__site", "booked_by")


def managed_communities(*, user):
    """Communities where the user may create and edit sites."""
    return Division.objects.visible_to(user, roles=Role.PLACE_MANAGERS).filter(level=Division.Level.COMMUNITY)


def can_manage_places(user) -> bool:
    return user.is_superuser or bool(scope_paths(user, Role.PLACE_MANAGERS))


def can_manage(user, site) -> bool:
    return has_role_over(user, Role.PLACE_MANAGERS, site.division)


def upcoming_bookings_for(*, user):
    """The user's own coming bookings (not the holds of activity dates they scheduled)."""
    return (Booking.objects.filter(booked_by=user, end__gte=timezone.now(), occurrence__isnull=True)
            .exclude(status__in=[Booking.Status.CANCELLED, Booking.Status.REJECTED])
            .select_related("room__site").order_by("start"))


def pending_approvals_for(*, user):
    # What the user may decide by their role: not their own requests at other communities' sites.
    return (Booking.objects.visible_to(user, roles=Role.PLACE_MANAGERS, own=False)
            .filter(status=Booking.Status.PENDING, end__gte=timezone.now())
            .select_related("room__site").order_by("start"))


class OpeningCalendar:
    """A site's opening intervals per date (weekly hours, overridden by exceptions), loaded once."""

    def __init__(self, site, first: dt.date, last: dt.date, *, loaded: tuple[dict, dict] | None = None):
        if loaded is not None:  # read for several sites at once (for_sites)
            self.weekly, self.exceptions = loaded
            return
        self.weekly = defaultdict(list)
        for h in site.opening_hours.order_by("opens"):
            self.weekly[h.weekday].append((h.opens, h.closes))
        self.exceptions = {e.date: e for e in site.opening_exceptions.filter(date__range=(first, last))}

    @classmethod
    def for_sites(cls, sites, day: dt.date) -> dict[int, "OpeningCalendar"]:
        """Each site's calendar for one day, in two queries for all of them."""
        ids = [s.pk for s in sites]
        weekly = defaultdict(lambda: defaultdict(list))
        for h in OpeningHours.objects.filter(site_id__in=ids, weekday=day.weekday()).order_by("opens"):
            weekly[h.site_id][h.weekday].append((h.opens, h.closes))
        exceptions = defaultdict(dict)
        for e in OpeningException.objects.filter(site_id__in=ids, date=day):
            exceptions[e.site_id][e.date] = e
        return {pk: cls(None, day, day, loaded=(weekly[pk], exceptions[pk])) for pk in ids}

    def exception(self, day: dt.date):
        return self.exceptions.get(day)

    def intervals(self, day: dt.date) -> list[tuple[dt.time, dt.time]]:
        exc = self.exceptions.get(day)
        if exc is not None:
            return [] if exc.closed or not (exc.opens and exc.closes) else [(exc.opens, exc.closes)]
        return self.weekly.get(day.weekday(), [])


def opening_intervals(*, site, day: dt.date) -> list[tuple[dt.time, dt.time]]:
    return OpeningCalendar(site, day, day).intervals(day)


WEEK_FIRST_HOUR, WEEK_LAST_HOUR, SLOT_PX = 7, 22, 40
WEEKDAY_LABELS = dict(OpeningHours._meta.get_field("weekday").choices)  # short: 周一 … 周日


def week_monday(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def room_week(*, room, user, monday: dt.date) -> dict:
    """The week grid of a room (Mon–Sun, 7:00–22:00): closed hours and the bookings, positioned."""
    days = [monday + dt.timedelta(days=i) for i in range(7)]
    cal = OpeningCalendar(room.site, days[0], days[-1])
    tz = timezone.get_current_timezone()
    week_start = dt.datetime.combine(monday, dt.time.min, tzinfo=tz)
    bookings = list(room.bookings.filter(
        status__in=[Booking.Status.PENDING, Booking.Status.CONFIRMED],
        start__lt=week_start + dt.timedelta(days=7), end__gt=week_start))
    manager = can_manage(user, room.site)
    hours = list(range(WEEK_FIRST_HOUR, WEEK_LAST_HOUR))
    columns = []
    for day in days:
        ivs = cal.intervals(day)
        # An hour is shaded when the site is open at no moment of it.
        slots = [{"hour": h, "closed": not any(o < dt.time(h + 1) and c > dt.time(h) for o, c in ivs)}
                 for h in hours]
        events = []
        for b in bookings:
            start, end = timezone.localtime(b.start, tz), timezone.localtime(b.end, tz)
            if start.date() != day:
                continue
            top = (start.hour - WEEK_FIRST_HOUR) * 60 + start.minute
            bottom = (end.hour - WEEK_FIRST_HOUR) * 60 + end.minute if end.date() == day else 24 * 60
            top, bottom = max(top, 0), min(bottom, len(hours) * 60)
            if bottom <= top:
                continue
            events.append({"booking": b, "start": start, "end": end,
                           "visible": manager or b.booked_by_id == user.pk,
                           "top": top * SLOT_PX // 60, "height": max((bottom - top) * SLOT_PX // 60, 18)})
        columns.append({"date": day, "label": WEEKDAY_LABELS[day.weekday()], "slots": slots, "events": events, "exception": cal.exception(day),
                        "today": day == timezone.localdate()})
    return {"monday": monday, "hours": hours, "columns": columns,
            "prev": monday - dt.timedelta(days=7), "next": monday + dt.timedelta(days=7),
            "bookings": sorted(bookings, key=lambda b: b.start), "manager": manager}


def map_geojson(*, user) -> dict:
    features = []
    for d in Division.objects.visible_to(user).filter(level=Division.Level.COMMUNITY, boundary__isnull=False):
        features.append({"type": "Feature", "geometry": d.boundary,
                         "properties": {"kind": "community", "name": d.name, "id": d.pk}})
    for s in site_directory(user=user).filter(lat__isnull=False, lng__isnull=False):
        features.append({"type": "Feature", "geometry": {"type": "Point", "coordinates": [s.lng, s.lat]},
                         "properties": {"kind": "site", "id": s.pk, "name": s.name,
                                        "role": s.practice_role, "center": s.is_neighborhood_center,
                                        "role_label": str(s.get_practice_role_display()),
                                        "placement_label": str(s.get_placement_display()),
                                        "community": s.division.name, "url": f"/places/sites/{s.pk}/"}})
    return {"type": "FeatureCollection", "features": features}
