"""REST API for places: sites, rooms, bookings, booking series. Reads are scoped by visible_to; every
write goes through the services, whose ValidationErrors come back as 400 with field messages."""

import django_filters
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from linli.core.api import ScopedViewSet
from linli.divisions.models import Division
from linli.places import services
from linli.places.models import Booking, BookingSeries, OpeningHours, Room, Site


def _user(serializer):
    request = serializer.context.get("request")
    return getattr(request, "user", None)


class OpeningHoursSerializer(serializers.ModelSerializer):
    class Meta:
        model = OpeningHours
        fields = ["weekday", "opens", "closes"]


class SiteSerializer(serializers.ModelSerializer):
    opening_hours = OpeningHoursSerializer(many=True, read_only=True)
    coords_gcj02 = serializers.BooleanField(
        write_only=True, required=False, default=False,
        help_text=_("True when lat/lng come from a Chinese map app (GCJ-02); they are stored as WGS-84."))

    class Meta:
        model = Site
        fields = ["id", *services.SITE_FIELDS, "coords_gcj02", "opening_hours"]
        validators = []  # the service checks the station and point rules with clearer messages

    def get_fields(self):
        fields = super().get_fields()
        user = _user(self)
        fields["division"].queryset = Division.objects.visible_to(user)
        fields["station"].queryset = Site.objects.visible_to(user).filter(practice_role=Site.PracticeRole.STATION)
        return fields


class RoomSerializer(serializers.ModelSerializer):
    function_label = serializers.CharField(read_only=True)

    class Meta:
        model = Room
        fields = ["id", "site", *services.ROOM_FIELDS, "function_label"]

    def get_fields(self):
        fields = super().get_fields()
        fields["site"].queryset = Site.objects.visible_to(_user(self))
        if self.instance is not None:  # a room does not move to another site
            fields["site"].read_only = True
        return fields


class BookingSerializer(serializers.ModelSerializer):
    class Meta:
        model = Booking
        fields = ["id", "room", "series", "occurrence", "booked_by", "purpose", "attendees", "start", "end",
                  "status", "created_at", "decided_by", "decided_at", "reason", "cancelled_by", "cancelled_at"]
        read_only_fields = ["series", "occurrence", "booked_by", "status", "created_at", "decided_by", "decided_at",
                            "reason", "cancelled_by", "cancelled_at"]
        extra_kwargs = {"occurrence": {"help_text": _("The activity date this booking holds the room for, if any")}}

    def get_fields(self):
        fields = super().get_fields()
        fields["room"].queryset = Room.objects.visible_to(_user(self))
        return fields


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class SkippedDateSerializer(serializers.Serializer):
    date = serializers.DateField()
    reason = serializers.CharField()


class BookingSeriesSerializer(serializers.ModelSerializer):
    weekdays = serializers.ListField(child=serializers.IntegerField(min_value=0, max_value=6),
                                     min_length=1, max_length=7, help_text=_("0 = Monday … 6 = Sunday"))
    skipped = SkippedDateSerializer(many=True, read_only=True)
    bookings = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta:
        model = BookingSeries
        fields = ["id", "room", "booked_by", "purpose", "weekdays", "start_date", "end_date", "start_time",
                  "end_time", "created_at", "skipped", "bookings"]
        read_only_fields = ["booked_by", "created_at"]

    def get_fields(self):
        fields = super().get_fields()
        fields["room"].queryset = Room.objects.visible_to(_user(self))
        return fields


class SiteFilter(django_filters.FilterSet):
    division = django_filters.NumberFilter(field_name="division", label=_("community id"))

    class Meta:
        model = Site
        fields = ["division", "practice_role", "placement", "is_neighborhood_center"]


class RoomFilter(django_filters.FilterSet):
    site = django_filters.NumberFilter(field_name="site", label=_("site id"))

    class Meta:
        model = Room
        fields = ["site", "function", "bookable"]


class BookingFilter(django_filters.FilterSet):
    room = django_filters.NumberFilter(field_name="room", label=_("room id"))
    start = django_filters.IsoDateTimeFromToRangeFilter(field_name="start", label=_("start between"))

    class Meta:
        model = Booking
        fields = ["room", "status", "start"]


class SiteViewSet(ScopedViewSet):
    queryset = Site.objects.all()
    serializer_class = SiteSerializer
    filterset_class = SiteFilter
    http_method_names = ["get", "post", "patch", "head", "options"]

    def scope_queryset(self, qs):
        return qs.prefetch_related("opening_hours")

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        gcj = data.pop("coords_gcj02", False)
        serializer.instance = services.site_create(by=self.request.user, coords_gcj02=gcj, **data)

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        gcj = data.pop("coords_gcj02", False)
        serializer.instance = services.site_update(site=serializer.instance, by=self.request.user, data=data,
                                                   coords_gcj02=gcj)


class RoomViewSet(ScopedViewSet):
    queryset = Room.objects.all()
    serializer_class = RoomSerializer
    filterset_class = RoomFilter
    http_method_names = ["get", "post", "patch", "head", "options"]

    def perform_create(self, serializer):
        serializer.instance = services.room_create(by=self.request.user, **serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = services.room_update(room=serializer.instance, by=self.request.user,
                                                   data=serializer.validated_data)


class BookingViewSet(ScopedViewSet):
    """The caller's own bookings and those of the rooms they manage. Create = request a booking;
    approval, rejection and cancellation are actions."""

    queryset = Booking.objects.all()
    serializer_class = BookingSerializer
    filterset_class = BookingFilter
    http_method_names = ["get", "post", "head", "options"]

    def perform_create(self, serializer):
        serializer.instance = services.booking_request(by=self.request.user, **serializer.validated_data)

    def _act(self, fn, **kwargs):
        booking = fn(booking=self.get_object(), by=self.request.user, **kwargs)
        return Response(BookingSerializer(booking, context=self.get_serializer_context()).data)

    @extend_schema(request=None, responses=BookingSerializer)
    @action(detail=True, methods=["post"])
    def confirm(self, request, pk=None):
        return self._act(services.booking_confirm)

    @extend_schema(request=ReasonSerializer, responses=BookingSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        body = ReasonSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self._act(services.booking_reject, reason=body.validated_data["reason"])

    @extend_schema(request=ReasonSerializer, responses=BookingSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        body = ReasonSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self._act(services.booking_cancel, reason=body.validated_data["reason"])


class BookingSeriesViewSet(ScopedViewSet):
    """Weekly bookings as one series; dates that could not be booked are listed in `skipped`."""

    queryset = BookingSeries.objects.all()
    serializer_class = BookingSeriesSerializer
    http_method_names = ["get", "post", "head", "options"]

    def scope_queryset(self, qs):
        return qs.prefetch_related("bookings")

    def perform_create(self, serializer):
        serializer.instance = services.booking_series_create(by=self.request.user, **serializer.validated_data)

    @extend_schema(request=None, responses=BookingSeriesSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        series = self.get_object()
        services.booking_series_cancel(series=series, by=request.user)
        return Response(BookingSeriesSerializer(series, context=self.get_serializer_context()).data)


def register(router):
    router.register("sites", SiteViewSet, basename="site")
    router.register("rooms", RoomViewSet, basename="room")
    router.register("bookings", BookingViewSet, basename="booking")
    router.register("booking-series", BookingSeriesViewSet, basename="booking-series")
