"""REST API for volunteer service. Reads are scoped by visible_to (out of scope = 404); every write goes
through the services."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from linli.activities.models import Occurrence
from linli.core.api import ScopedViewSet
from linli.core.lean import LeanListMixin
from linli.volunteers import selectors, services
from linli.volunteers.models import PointsEntry, Reward, ServiceRecord, Shift, ShiftSignup, Team, Volunteer


def _user(serializer):
    return getattr(serializer.context.get("request"), "user", None)


class TeamSerializer(serializers.ModelSerializer):
    class Meta:
        model = Team
        fields = ["id", "code", "name", "name_en", "kind"]


class VolunteerSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="person.name", read_only=True)
    hours = serializers.DecimalField(max_digits=10, decimal_places=2, read_only=True)

    class Meta:
        model = Volunteer
        fields = ["id", "number", "name", "division", "teams", "skills", "availability", "active", "joined_at", "hours"]
        read_only_fields = fields


class SummarySerializer(serializers.Serializer):
    hours = serializers.DecimalField(max_digits=10, decimal_places=2)
    pending_hours = serializers.DecimalField(max_digits=10, decimal_places=2)
    stars = serializers.IntegerField()
    next_star_at = serializers.IntegerField(allow_null=True)
    points = serializers.IntegerField()


class ShiftSerializer(serializers.ModelSerializer):
    taken = serializers.IntegerField(read_only=True)

    class Meta:
        model = Shift
        fields = ["id", "occurrence", "role", "needed", "start", "end", "note", "taken"]
        extra_kwargs = {"start": {"required": False}, "end": {"required": False}}

    def get_fields(self):
        fields = super().get_fields()
        fields["occurrence"].queryset = Occurrence.objects.visible_to(_user(self))
        return fields


class ShiftSignupSerializer(serializers.ModelSerializer):
    class Meta:
        model = ShiftSignup
        fields = ["id", "shift", "volunteer", "status", "assigned_by", "created_at", "checked_in_at", "checked_out_at"]
        read_only_fields = fields


class ServiceRecordSerializer(serializers.ModelSerializer):
    class Meta:
        model = ServiceRecord
        fields = ["id", "volunteer", "signup", "occurrence", "content", "start", "end", "hours", "source", "status",
                  "reason", "reverses", "recorded_by", "recorded_at", "verified_by", "verified_at"]
        read_only_fields = ["source", "status", "reason", "reverses", "recorded_by", "recorded_at", "verified_by",
                            "verified_at"]

    def get_fields(self):
        fields = super().get_fields()
        user = _user(self)
        fields["volunteer"].queryset = Volunteer.objects.visible_to(user)
        fields["signup"].queryset = ShiftSignup.objects.visible_to(user)
        fields["occurrence"].queryset = Occurrence.objects.visible_to(user)
        return fields


class RewardSerializer(serializers.ModelSerializer):
    class Meta:
        model = Reward
        fields = ["id", "name", "division", "cost", "stock", "active"]
        read_only_fields = fields


class PointsEntrySerializer(serializers.ModelSerializer):
    class Meta:
        model = PointsEntry
        fields = ["id", "volunteer", "amount", "kind", "rule", "record", "redemption", "note", "created_at"]
        read_only_fields = fields


class VolunteerChoiceSerializer(serializers.Serializer):
    volunteer = serializers.IntegerField(required=False, help_text=_("Assign this volunteer (organisers); "
                                                                     "omit to sign up yourself"))


class ShiftCodeSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=64, required=False, help_text=_("The door code; organisers omit it"))


class RecordReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=200)


class QuantitySerializer(serializers.Serializer):
    quantity = serializers.IntegerField(min_value=1, max_value=100, default=1)


class RedemptionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    reward = serializers.IntegerField(source="reward_id")
    quantity = serializers.IntegerField()
    points = serializers.IntegerField()


class TeamViewSet(viewsets.ReadOnlyModelViewSet):
    """Volunteer teams (党员/青年/巾帼 and professional teams), county data."""
    queryset = Team.objects.all()
    serializer_class = TeamSerializer
    pagination_class = None


class VolunteerViewSet(ScopedViewSet):
    """Volunteers of the communities you organise, and yourself."""
    queryset = Volunteer.objects.all()
    serializer_class = VolunteerSerializer
    http_method_names = ["get", "head", "options"]
    filterset_fields = ["division", "teams", "active"]

    def scope_queryset(self, qs):
        return qs.select_related("person").prefetch_related("teams").annotate(hours=selectors.CONFIRMED_HOURS).order_by("number")

    @extend_schema(responses=SummarySerializer)
    @action(detail=True, methods=["get"])
    def summary(self, request, pk=None):
        return Response(SummarySerializer(selectors.summary(self.get_object())).data)


def _own_volunteer(request):
    volunteer = selectors.volunteer_of(request.user)
    if volunteer is None:
        from django.core.exceptions import ValidationError

        raise ValidationError({"volunteer": _("You are not registered as a volunteer.")})
    return volunteer


class ShiftViewSet(ScopedViewSet):
    """Shifts on activities; organisers create them; volunteers sign up (or are assigned)."""
    queryset = Shift.objects.all()
    serializer_class = ShiftSerializer
    http_method_names = ["get", "post", "head", "options"]
    filterset_fields = ["occurrence"]

    def get_queryset(self):
        return selectors.shift_detail(user=self.request.user).order_by("start", "pk")

    def perform_create(self, serializer):
        serializer.instance = services.shift_create(by=self.request.user, **serializer.validated_data)
        serializer.instance.taken = 0

    @extend_schema(request=VolunteerChoiceSerializer, responses=ShiftSignupSerializer)
    @action(detail=True, methods=["post"])
    def signup(self, request, pk=None):
        body = VolunteerChoiceSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        if body.validated_data.get("volunteer"):
            from django.shortcuts import get_object_or_404

            volunteer = get_object_or_404(Volunteer.objects.visible_to(request.user), pk=body.validated_data["volunteer"])
        else:
            volunteer = _own_volunteer(request)
        signup = services.shift_signup(shift=self.get_object(), volunteer=volunteer, by=request.user)
        return Response(ShiftSignupSerializer(signup).data, status=201)


class ShiftSignupViewSet(ScopedViewSet):
    queryset = ShiftSignup.objects.all()
    serializer_class = ShiftSignupSerializer
    http_method_names = ["get", "post", "head", "options"]
    filterset_fields = ["shift", "status"]

    def create(self, request, *args, **kwargs):
        return Response({"detail": _("Use the shift's signup action.")}, status=405)

    def _code(self, request):
        body = ShiftCodeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return body.validated_data.get("code") or None

    @extend_schema(request=None, responses=ShiftSignupSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        return Response(ShiftSignupSerializer(services.shift_signup_cancel(signup=self.get_object(), by=request.user)).data)

    @extend_schema(request=ShiftCodeSerializer, responses=ShiftSignupSerializer)
    @action(detail=True, methods=["post"], url_path="check-in")
    def check_in(self, request, pk=None):
        signup = services.shift_check_in(signup=self.get_object(), by=request.user, code=self._code(request))
        return Response(ShiftSignupSerializer(signup).data)

    @extend_schema(request=ShiftCodeSerializer, responses=ServiceRecordSerializer)
    @action(detail=True, methods=["post"], url_path="check-out")
    def check_out(self, request, pk=None):
        record = services.shift_check_out(signup=self.get_object(), by=request.user, code=self._code(request))
        return Response(ServiceRecordSerializer(record, context=self.get_serializer_context()).data)

    @extend_schema(request=None, responses=ShiftSignupSerializer)
    @action(detail=True, methods=["post"], url_path="no-show")
    def no_show(self, request, pk=None):
        return Response(ShiftSignupSerializer(services.signup_mark_no_show(signup=self.get_object(), by=request.user)).data)


class ServiceRecordViewSet(LeanListMixin, ScopedViewSet):
    """Service records. Create = hours added by staff (pending); confirm, reject and reverse are actions.
    Records are never deleted."""
    queryset = ServiceRecord.objects.all()
    serializer_class = ServiceRecordSerializer
    http_method_names = ["get", "post", "head", "options"]
    filterset_fields = ["volunteer", "status", "source", "occurrence"]

    def perform_create(self, serializer):
        serializer.instance = services.service_record_add(by=self.request.user, **serializer.validated_data)

    def _out(self, record):
        return Response(ServiceRecordSerializer(record, context=self.get_serializer_context()).data)

    @extend_schema(request=None, responses=ServiceRecordSerializer)
    @action(detail=True, methods=["post"])
    def confirm(self, request, pk=None):
        return self._out(services.service_record_confirm(record=self.get_object(), by=request.user))

    @extend_schema(request=RecordReasonSerializer, responses=ServiceRecordSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        body = RecordReasonSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self._out(services.service_record_reject(record=self.get_object(), by=request.user, **body.validated_data))

    @extend_schema(request=RecordReasonSerializer, responses=ServiceRecordSerializer)
    @action(detail=True, methods=["post"])
    def reverse(self, request, pk=None):
        body = RecordReasonSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self._out(services.service_record_reverse(record=self.get_object(), by=request.user, **body.validated_data))


class RewardViewSet(ScopedViewSet):
    """Rewards of the love supermarket (爱心超市); redeem spends your points."""
    queryset = Reward.objects.all()
    serializer_class = RewardSerializer
    http_method_names = ["get", "post", "head", "options"]

    def scope_queryset(self, qs):
        return qs.filter(active=True)

    def create(self, request, *args, **kwargs):
        return Response({"detail": _("Rewards are set up in the administration.")}, status=405)

    @extend_schema(request=QuantitySerializer, responses=RedemptionSerializer)
    @action(detail=True, methods=["post"])
    def redeem(self, request, pk=None):
        body = QuantitySerializer(data=request.data)
        body.is_valid(raise_exception=True)
        redemption = services.reward_redeem(volunteer=_own_volunteer(request), reward=self.get_object(),
                                            by=request.user, **body.validated_data)
        return Response(RedemptionSerializer(redemption).data, status=201)


class PointsEntryViewSet(ScopedViewSet):
    """The points ledger: your own lines, and those of the volunteers you organise."""
    queryset = PointsEntry.objects.all()
    serializer_class = PointsEntrySerializer
    http_method_names = ["get", "head", "options"]
    filterset_fields = ["volunteer", "kind"]


def register(router):
    router.register("volunteer-teams", TeamViewSet, basename="volunteer-team")
    router.register("volunteers", VolunteerViewSet, basename="volunteer")
    router.register("shifts", ShiftViewSet, basename="shift")
    router.register("shift-signups", ShiftSignupViewSet, basename="shift-signup")
    router.register("service-records", ServiceRecordViewSet, basename="service-record")
    router.register("rewards", RewardViewSet, basename="reward")
    router.register("points-entries", PointsEntryViewSet, basename="points-entry")
