"""REST API for the 15-minute service circle: street networks (read), coverage runs (read, start),
their figures, isochrones and scoped uncovered households, and a siting action. Reads go through
visible_to; runs and sitings start through the services (staff only; bad input is a 400)."""

import math

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from linli.core.api import ScopedViewSet
from linli.core.audit import audit_access
from linli.core.models import AccessLog
from linli.coverage import selectors, services
from linli.coverage.models import CoverageRun, StreetNetwork
from linli.people.models import Household
from linli.places.models import Room


def _user(serializer):
    request = serializer.context.get("request")
    return getattr(request, "user", None)


class StreetNetworkSerializer(serializers.ModelSerializer):
    class Meta:
        model = StreetNetwork
        fields = ["id", "name", "division", "source_name", "crs", "node_count", "edge_count", "component_count",
                  "length_km", "bbox", "created_at"]
        read_only_fields = fields


_STATUS_HELP = _("pending, running, finished or failed")


class CoverageRunSerializer(serializers.ModelSerializer):
    # Plain strings, not enums: a fourth "status" enum would collide in the schema with other apps'.
    status = serializers.CharField(read_only=True, help_text=_STATUS_HELP)
    siting_status = serializers.CharField(read_only=True, help_text=_("empty (never asked), pending, running, finished or failed"))
    error = serializers.CharField(source="error_message", read_only=True)
    siting_error = serializers.CharField(source="siting_error_message", read_only=True)
    interrupted = serializers.BooleanField(read_only=True, help_text=_(
        "True when the run stopped without finishing because the server was restarted (status is then "
        "failed); start a new run."))
    siting_interrupted = serializers.BooleanField(read_only=True, help_text=_(
        "True when the siting stopped without finishing because the server was restarted (siting_status "
        "is then failed); ask for it again."))

    class Meta:
        model = CoverageRun
        fields = ["id", "network", "division", "speed_kmh", "thresholds", "function", "at_label", "status",
                  "progress", "error", "interrupted", "created_at", "started_at", "finished_at", "siting_status",
                  "siting_progress", "siting_error", "siting_interrupted", "siting"]
        read_only_fields = fields


class CoverageRunCreateSerializer(serializers.Serializer):
    division = serializers.PrimaryKeyRelatedField(queryset=selectors.divisions_visible(user=None),
                                                  help_text=_("The division whose households are measured."))
    network = serializers.PrimaryKeyRelatedField(queryset=StreetNetwork.objects.none(), required=False,
                                                 allow_null=True,
                                                 help_text=_("Default: the latest network covering the division."))
    function = serializers.ChoiceField(choices=Room.Function.choices, required=False, allow_blank=True,
                                       help_text=_("Only sites with a room of this function."))
    at = serializers.CharField(required=False, allow_blank=True, max_length=40,
                               help_text=_('Only sites open then: "weekday 16:30", "sat 10:00", "2027-01-01 09:00".'))
    speed_kmh = serializers.FloatField(required=False, help_text=_("Walking speed, km/h (default 4.0)."))
    thresholds = serializers.ListField(child=serializers.FloatField(), required=False, min_length=1, max_length=6,
                                       help_text=_("Minutes (default 5, 10, 15); each must be positive."))

    def get_fields(self):
        fields = super().get_fields()
        user = _user(self)
        fields["division"].queryset = selectors.divisions_visible(user=user)
        fields["network"].queryset = selectors.networks_visible(user=user)
        return fields

    def validate_thresholds(self, value):
        if any(not (t > 0 and math.isfinite(t)) for t in value):
            raise serializers.ValidationError(_("Thresholds must be positive numbers of minutes."))
        return value

    def validate_speed_kmh(self, value):
        if not (value > 0 and math.isfinite(value)):
            raise serializers.ValidationError(_("The walking speed must be a positive number of km/h."))
        return value


class SitingRequestSerializer(serializers.Serializer):
    k = serializers.IntegerField(min_value=1, help_text=_("How many new centers to suggest."))
    candidates = serializers.ChoiceField(choices=[("nodes", _("street junctions, one per 150 m")),
                                                  ("sites", _("existing sites that are not centers"))],
                                         default="nodes")
    time_limit_s = serializers.FloatField(required=False, min_value=0.1, max_value=600, default=30.0)


class UncoveredHouseholdSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    address = serializers.CharField()
    division = serializers.IntegerField()
    division_name = serializers.CharField()
    minutes = serializers.FloatField(allow_null=True, help_text=_("Null when no center can be reached."))
    nearest_center = serializers.CharField(allow_blank=True)


FiguresSerializer = inline_serializer("CoverageFigures", fields={
    "thresholds": serializers.ListField(child=serializers.FloatField()),
    "speed_kmh": serializers.FloatField(),
    "overall": serializers.DictField(),
    "communities": serializers.ListField(child=serializers.DictField()),
    "grids": serializers.ListField(child=serializers.DictField()),
    "households_unlocated": serializers.IntegerField(),
    "households_off_network": serializers.IntegerField(),
    "network_components": serializers.IntegerField(),
    "centers_used": serializers.IntegerField(),
    "centers_off_network": serializers.IntegerField(),
    "clusters": serializers.ListField(child=serializers.DictField()),
    "centers": serializers.ListField(child=serializers.DictField()),
})


class StreetNetworkViewSet(ScopedViewSet):
    """Imported street networks (import with `linli coverage import-network`)."""

    queryset = StreetNetwork.objects.all()
    serializer_class = StreetNetworkSerializer
    http_method_names = ["get", "head", "options"]


class CoverageRunViewSet(ScopedViewSet):
    """Coverage runs in the caller's divisions. POST starts one in the background (202); poll
    `progress`, then read `figures`, `isochrones` and `uncovered`."""

    queryset = CoverageRun.objects.all()
    serializer_class = CoverageRunSerializer
    http_method_names = ["get", "post", "head", "options"]
    filterset_fields = ["division", "status"]

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        # A run whose thread died is reported as failed and interrupted, so a client polling it stops.
        services.coverage_runs_interrupt_stale()

    def scope_queryset(self, qs):
        return qs.select_related("division", "network").defer("household_results", "isochrones")

    def get_serializer_class(self):
        if self.action == "create":
            return CoverageRunCreateSerializer
        if self.action == "siting":
            return SitingRequestSerializer
        return CoverageRunSerializer

    @extend_schema(request=CoverageRunCreateSerializer, responses={202: CoverageRunSerializer})
    def create(self, request, *args, **kwargs):
        data = self.get_serializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        run = services.coverage_run(network=v.get("network"), division=v["division"], function=v.get("function"),
                                    at=v.get("at") or None, speed_kmh=v.get("speed_kmh"),
                                    thresholds=v.get("thresholds"), by=request.user, background=True)
        return Response(CoverageRunSerializer(run, context={"request": request}).data, status=status.HTTP_202_ACCEPTED)

    def _finished(self):
        run = self.get_object()
        if run.status != CoverageRun.Status.FINISHED:
            return None
        return run

    @extend_schema(responses={200: FiguresSerializer, 409: OpenApiTypes.OBJECT})
    @action(detail=True, methods=["get"])
    def figures(self, request, pk=None):
        """Shares of households and residents within each threshold, overall, per community and grid."""
        run = self._finished()
        if run is None:
            return Response({"detail": _("The run has not finished.")}, status=status.HTTP_409_CONFLICT)
        return Response({**run.figures, "clusters": run.clusters, "centers": run.centers})

    @extend_schema(responses={200: OpenApiTypes.OBJECT, 409: OpenApiTypes.OBJECT})
    @action(detail=True, methods=["get"])
    def isochrones(self, request, pk=None):
        """GeoJSON FeatureCollection: one (Multi)Polygon per threshold (property `minutes`)."""
        run = self._finished()
        if run is None:
            return Response({"detail": _("The run has not finished.")}, status=status.HTTP_409_CONFLICT)
        return Response(run.isochrones)

    paginated_actions = ("uncovered",)  # its list is paged (core.api.AutoSchema)

    @extend_schema(responses={200: UncoveredHouseholdSerializer(many=True), 409: OpenApiTypes.OBJECT})
    @action(detail=True, methods=["get"])
    def uncovered(self, request, pk=None):
        """Households beyond the largest threshold that the caller may see (audited); addresses only."""
        run = self._finished()
        if run is None:
            return Response({"detail": _("The run has not finished.")}, status=status.HTTP_409_CONFLICT)
        rows = selectors.household_rows(run=run, user=request.user, uncovered_only=True)
        page = self.paginate_queryset(rows)
        households = Household.objects.select_related("division").in_bulk([r[0] for r in page])
        names = {c["id"]: c["name"] for c in run.centers}
        items = [{"id": hid, "address": households[hid].address, "division": households[hid].division_id,
                  "division_name": households[hid].division.name,
                  "minutes": round(m, 2) if math.isfinite(m) else None, "nearest_center": names.get(site, "")}
                 for hid, m, site in page if hid in households]
        audit_access(request=request, action=AccessLog.Action.LIST, model="people.Household",
                     object_ids=[i["id"] for i in items], fields=["address", "walking_minutes", "nearest_center"])
        return self.get_paginated_response(UncoveredHouseholdSerializer(items, many=True).data)

    @extend_schema(request=SitingRequestSerializer, responses={202: CoverageRunSerializer})
    @action(detail=True, methods=["post"])
    def siting(self, request, pk=None):
        """Suggest k new centers (maximal covering, existing centers kept) in the background; the
        answer states the solver's status and optimality gap."""
        run = self.get_object()
        data = SitingRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        run = services.coverage_site(run=run, k=v["k"], candidates=v["candidates"], time_limit_s=v["time_limit_s"],
                                     by=request.user, background=True)
        return Response(CoverageRunSerializer(run, context={"request": request}).data, status=status.HTTP_202_ACCEPTED)


def register(router):
    router.register("coverage/networks", StreetNetworkViewSet, basename="coverage-network")
    router.register("coverage/runs", CoverageRunViewSet, basename="coverage-run")
