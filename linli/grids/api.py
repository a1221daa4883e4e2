"""REST endpoints for grids: grids and their boundaries, assignments, visits, campaigns (with the reach
report) and reaches. Reads are scoped like the pages; writes go through services. Visits and reaches
are idempotent: POSTing the same `submission_key` again returns the record already made (200, not 201),
which is how a phone that was offline syncs without duplicates."""

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from linli.accounts.models import Role, User
from linli.core.api import ScopedViewSet
from linli.core.audit import audit_access
from linli.core.lean import LeanListMixin
from linli.core.models import AccessLog
from linli.divisions.models import Division
from linli.grids import selectors, services
from linli.grids.models import Campaign, GridAssignment, Reach, Visit
from linli.people.models import Household, Person


def _user(serializer):
    request = serializer.context.get("request")
    return getattr(request, "user", None)


class _Scoped:
    """Related fields offer only what the caller may see: unknown and out-of-scope ids are both 400."""

    scoped_fields: dict = {}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        user = _user(self)
        for name, make in self.scoped_fields.items():
            f = self.fields.get(name)
            if f is None or f.read_only:
                continue
            target = f.child_relation if isinstance(f, serializers.ManyRelatedField) else f
            target.queryset = make(user)


def _staff_divisions(user):
    return Division.objects.visible_to(user, roles=Role.STAFF)


class GridSerializer(serializers.ModelSerializer):
    """A grid (the lowest division) with its boundary and current workers."""

    workers = serializers.SerializerMethodField()

    class Meta:
        model = Division
        fields = ["id", "name", "code", "parent", "boundary", "workers"]
        read_only_fields = fields

    def get_workers(self, obj) -> list[dict]:
        return [{"user": a.user_id, "name": str(a.user), "kind": a.kind} for a in obj.current_assignments]


class GridAssignmentSerializer(_Scoped, serializers.ModelSerializer):
    scoped_fields = {"grid": lambda u: _staff_divisions(u).filter(level=Division.Level.GRID)}

    user = serializers.PrimaryKeyRelatedField(queryset=User.objects.filter(is_active=True))

    class Meta:
        model = GridAssignment
        fields = ["id", "grid", "user", "kind", "start_date", "end_date"]
        extra_kwargs = {"start_date": {"required": False}, "grid": {"queryset": Division.objects.none()}}

    def create(self, validated_data):
        validated_data.pop("end_date", None)
        return services.assignment_start(by=_user(self), **validated_data)

    def update(self, instance, validated_data):
        if set(validated_data) - {"end_date"}:
            raise serializers.ValidationError({"non_field_errors": [_("Only the end date can change; start a new "
                                                                      "assignment instead.")]})
        return services.assignment_end(by=_user(self), assignment=instance, end_date=validated_data.get("end_date"))


class VisitSerializer(_Scoped, serializers.ModelSerializer):
    """A visit; `submission_key` (a UUID made by the client) makes resubmission safe."""

    scoped_fields = {"household": lambda u: Household.objects.visible_to(u),
                     "met": lambda u: Person.objects.visible_to(u)}

    submission_key = serializers.UUIDField(required=False)
    household = serializers.PrimaryKeyRelatedField(queryset=Household.objects.none())
    met = serializers.PrimaryKeyRelatedField(queryset=Person.objects.none(), required=False, allow_null=True)

    class Meta:
        model = Visit
        fields = ["id", "household", "division", "visited_on", "met", "nobody_home", "notes", "needs",
                  "recorded_by", "submission_key", "created_at"]
        read_only_fields = ["division", "recorded_by", "created_at"]
        extra_kwargs = {"visited_on": {"required": False}}


class CampaignSerializer(_Scoped, serializers.ModelSerializer):
    scoped_fields = {"division": _staff_divisions, "scope": _staff_divisions}

    division = serializers.PrimaryKeyRelatedField(queryset=Division.objects.none())
    scope = serializers.PrimaryKeyRelatedField(queryset=Division.objects.none(), many=True, required=False)
    methods = serializers.ListField(child=serializers.ChoiceField(choices=Campaign.Method.choices), min_length=1)

    class Meta:
        model = Campaign
        fields = ["id", "title", "content", "division", "scope", "starts_on", "deadline", "methods", "created_at"]
        read_only_fields = ["created_at"]

    def create(self, validated_data):
        return services.campaign_create(by=_user(self), **validated_data)


class ReachSerializer(_Scoped, serializers.ModelSerializer):
    """A household reached by a campaign; `submission_key` makes an offline phone's resync safe."""

    scoped_fields = {"household": lambda u: Household.objects.visible_to(u),
                     "campaign": lambda u: Campaign.objects.visible_to(u)}

    submission_key = serializers.UUIDField(required=False)
    household = serializers.PrimaryKeyRelatedField(queryset=Household.objects.none())
    campaign = serializers.PrimaryKeyRelatedField(queryset=Campaign.objects.none())

    class Meta:
        model = Reach
        fields = ["id", "campaign", "household", "division", "method", "reached_at", "note", "recorded_by",
                  "submission_key", "created_at"]
        read_only_fields = ["division", "recorded_by", "created_at"]
        extra_kwargs = {"reached_at": {"required": False}}
        # The service decides about a second reach (same key: the first one; another key: refused).
        validators = []


class _IdempotentCreate:
    """POST through a service returning (record, created): 201 when made, 200 when it already was."""

    service = None

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        record, created = type(self).service(by=request.user, **serializer.validated_data)
        return Response(self.get_serializer(record).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class GridViewSet(viewsets.ReadOnlyModelViewSet):
    """Grids the caller keeps residents in. PUT `{id}/boundary/` sets the polygon (staff only)."""

    queryset = Division.objects.none()
    serializer_class = GridSerializer

    def get_queryset(self):
        return selectors.grid_list(user=self.request.user).order_by("path")

    @extend_schema(request=inline_serializer("GridBoundary", {"boundary": serializers.JSONField(allow_null=True)}),
                   responses=GridSerializer)
    @action(detail=True, methods=["put"])
    def boundary(self, request, pk=None):
        grid = self.get_object()
        if not isinstance(request.data, dict) or "boundary" not in request.data:
            raise serializers.ValidationError({"boundary": [_("Send {\"boundary\": <GeoJSON polygon or null>}.")]})
        services.grid_boundary_set(by=request.user, grid=grid, boundary=request.data["boundary"])
        return Response(self.get_serializer(self.get_queryset().get(pk=grid.pk)).data)


class GridAssignmentViewSet(ScopedViewSet):
    queryset = GridAssignment.objects.all()
    serializer_class = GridAssignmentSerializer
    filterset_fields = ["grid", "user", "kind"]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def scope_queryset(self, qs):
        return qs.select_related("grid", "user")


class VisitViewSet(_IdempotentCreate, LeanListMixin, ScopedViewSet):
    queryset = Visit.objects.all()
    serializer_class = VisitSerializer
    filterset_fields = ["household", "division", "visited_on"]
    http_method_names = ["get", "post", "head", "options"]
    service = staticmethod(services.visit_record)

    def scope_queryset(self, qs):
        return qs.select_related("household", "division")


class UnreachedHouseholdSerializer(serializers.ModelSerializer):
    grid = serializers.IntegerField(source="division_id", read_only=True)

    class Meta:
        model = Household
        fields = ["id", "address", "grid"]


class CampaignViewSet(ScopedViewSet):
    queryset = Campaign.objects.all()
    serializer_class = CampaignSerializer
    http_method_names = ["get", "post", "head", "options"]

    def scope_queryset(self, qs):
        return qs.select_related("division").prefetch_related("scope")

    @extend_schema(responses=inline_serializer("CampaignReport", {
        "total": serializers.IntegerField(), "reached": serializers.IntegerField(),
        "grids": inline_serializer("CampaignGridProgress", {
            "grid": serializers.IntegerField(), "name": serializers.CharField(),
            "total": serializers.IntegerField(), "reached": serializers.IntegerField(),
            "unreached": serializers.IntegerField()}, many=True)}))
    @action(detail=True, methods=["get"])
    def report(self, request, pk=None):
        """Per grid: households in scope, reached and not yet reached (counts; the households
        themselves are `unreached/`, a page at a time)."""
        report = selectors.campaign_report(user=request.user, campaign=self.get_object())
        return Response({"total": report.total, "reached": report.reached, "grids": [
            {"grid": g.grid.pk, "name": g.grid.name, "total": g.total, "reached": g.reached,
             "unreached": g.unreached} for g in report.grids]})

    @extend_schema(parameters=[OpenApiParameter("grid", int, description=_("only this grid's households"))],
                   responses=UnreachedHouseholdSerializer(many=True))
    @action(detail=True, methods=["get"])
    def unreached(self, request, pk=None):
        """The households not yet reached, grid by grid and address by address, a page at a time."""
        campaign = self.get_object()
        grid_id = request.query_params.get("grid", "")
        grid = None
        if grid_id:
            if not grid_id.isdigit() or len(grid_id) > 18:
                raise serializers.ValidationError({"grid": [_("Give a grid id.")]})
            grid = Division.objects.filter(pk=int(grid_id)).first()
            if grid is None:
                raise serializers.ValidationError({"grid": [_("No such grid.")]})
        page = self.paginate_queryset(selectors.campaign_unreached(user=request.user, campaign=campaign, grid=grid))
        audit_access(request=request, action=AccessLog.Action.LIST, model="people.Household",
                     object_ids=[h.pk for h in page], fields=["address"])
        return self.get_paginated_response(UnreachedHouseholdSerializer(page, many=True).data)


class ReachViewSet(_IdempotentCreate, ScopedViewSet):
    queryset = Reach.objects.all()
    serializer_class = ReachSerializer
    filterset_fields = ["campaign", "household", "division", "method"]
    http_method_names = ["get", "post", "head", "options"]
    service = staticmethod(services.reach_record)

    def scope_queryset(self, qs):
        return qs.select_related("campaign", "household", "division")


def register(router):
    router.register("grids", GridViewSet, basename="grid")
    router.register("grid-assignments", GridAssignmentViewSet)
    router.register("visits", VisitViewSet)
    router.register("campaigns", CampaignViewSet)
    router.register("reaches", ReachViewSet)
