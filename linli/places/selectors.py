"""Reads for places: scoped querysets for pages and the API."""

from django.db.models import Q
from django.utils import timezone

from linli.accounts.models import Role
from linli.divisions.models import Division
from linli.places.models import Booking, Room, Site


def site_list(*, user, q: str = ""):
    qs = Site.objects.visible_to(user).select_related("division", "station")
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(address__icontains=q))
    return qs


def room_list(*, user, site=None):
    qs = Room.objects.visible_to(user).select_related("site")
    return qs.filter(site=site) if site is not None else qs


def booking_list(*, user):
    return Booking.objects.visible_to(user).select_related("room__site", "booked_by")


def upcoming_bookings_for(*, user):
    return (Booking.objects.filter(booked_by=user, end__gte=timezone.now())
            .exclude(status__in=[Booking.Status.CANCELLED, Booking.Status.REJECTED])
            .select_related("room__site").order_by("start"))


def pending_approvals_for(*, user):
    return (Booking.objects.visible_to(user, roles=Role.PLACE_MANAGERS)
            .filter(status=Booking.Status.PENDING, end__gte=timezone.now())
            .select_related("room__site", "booked_by").order_by("start"))


def map_geojson(*, user) -> dict:
    features = []
    for d in Division.objects.visible_to(user).filter(level=Division.Level.COMMUNITY, boundary__isnull=False):
        features.append({"type": "Feature", "geometry": d.boundary,
                         "properties": {"kind": "community", "name": d.name, "id": d.pk}})
    for s in site_list(user=user).filter(lat__isnull=False, lng__isnull=False):
        features.append({"type": "Feature", "geometry": {"type": "Point", "coordinates": [s.lng, s.lat]},
                         "properties": {"kind": "site", "id": s.pk, "name": s.name,
                                        "role": s.practice_role, "center": s.is_neighborhood_center,
                                        "role_label": str(s.get_practice_role_display()),
                                        "placement_label": str(s.get_placement_display()),
                                        "community": s.division.name, "url": f"/places/sites/{s.pk}/"}})
    return {"type": "FeatureCollection", "features": features}
