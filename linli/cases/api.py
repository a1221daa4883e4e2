"""REST endpoints for cases: reads scoped like the pages (a resident sees their own, staff their
communities'), every write and transition through services (POST /api/cases/{id}/{action}/)."""

from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from linli.cases import services
from linli.cases.models import Case, CaseEvent, Kind, NightTalk, ServiceItem
from linli.core.api import ScopedViewSet
from linli.core.lean import LeanListMixin
from linli.divisions.models import Division
from linli.orgs.models import Organization
from linli.volunteers.models import Team, Volunteer


# A pattern, not an enum: an enum would be named after the field and collide with other apps' `kind`.
@extend_schema_field({"type": "string", "pattern": f"^({'|'.join(Kind.values)})$",
                      "description": "order (点单), concern (诉求), dispute (矛盾纠纷), opinion (夜话意见)"})
class KindField(serializers.ChoiceField):
    """The case kind."""

    def __init__(self, **kwargs):
        super().__init__(choices=Kind.choices, **kwargs)


class ServiceItemSerializer(serializers.ModelSerializer):
    kind = KindField(read_only=True)

    class Meta:
        model = ServiceItem
        fields = ["id", "code", "name", "name_en", "kind", "group", "description", "keywords", "attributes",
                  "open311"]


class CaseSerializer(serializers.ModelSerializer):
    """A case. Contact details and internal notes never come out here; the history does, scoped."""

    number = serializers.CharField(read_only=True)
    kind = KindField()
    service = serializers.SlugRelatedField(slug_field="code", queryset=ServiceItem.objects.filter(active=True))
    division = serializers.PrimaryKeyRelatedField(queryset=Division.objects.all(), required=False,
                                                  help_text="Staff: the community. Residents: ignored (their own).")
    division_name = serializers.CharField(source="division.name", read_only=True)
    is_overdue = serializers.BooleanField(read_only=True)
    lat = serializers.FloatField(required=False, allow_null=True, min_value=-90, max_value=90)
    lng = serializers.FloatField(required=False, allow_null=True, min_value=-180, max_value=180)
    # "" until the case is closed: the schema says so (an enum or blank).
    resolution = serializers.ChoiceField(choices=Case.Resolution.choices, allow_blank=True, read_only=True)

    class Meta:
        model = Case
        fields = ["id", "number", "kind", "service", "division", "division_name", "title", "description", "status",
                  "resolution", "priority", "channel", "address", "lat", "lng", "team", "volunteer", "organization",
                  "assignee", "night_talk", "due_at", "is_overdue", "created_at", "updated_at", "closed_at",
                  "report", "hours", "rating", "rating_comment", "public_answer"]
        read_only_fields = ["title", "status", "resolution", "channel", "team", "volunteer", "organization",
                            "assignee", "night_talk", "due_at", "created_at", "updated_at", "closed_at", "report",
                            "hours", "rating", "rating_comment", "public_answer"]

    def create(self, validated_data):
        return services.case_create(by=self.context["request"].user, **validated_data)


class EventSerializer(serializers.ModelSerializer):
    by = serializers.StringRelatedField()

    class Meta:
        model = CaseEvent
        fields = ["id", "at", "by", "action", "from_status", "to_status", "note", "public"]


class DispatchInput(serializers.Serializer):
    team = serializers.PrimaryKeyRelatedField(queryset=Team.objects.all(), required=False, allow_null=True)
    volunteer = serializers.PrimaryKeyRelatedField(queryset=Volunteer.objects.all(), required=False, allow_null=True)
    organization = serializers.PrimaryKeyRelatedField(queryset=Organization.objects.all(), required=False,
                                                      allow_null=True)
    assignee = serializers.IntegerField(required=False, allow_null=True, help_text="A staff user's id.")
    note = serializers.CharField(required=False, allow_blank=True, max_length=500)


class ReassignInput(DispatchInput):
    reason = serializers.CharField(max_length=500)


class ReasonInput(serializers.Serializer):
    reason = serializers.CharField(max_length=500)


class OptionalReasonInput(serializers.Serializer):
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True)


class CompleteInput(serializers.Serializer):
    report = serializers.CharField(max_length=2000)
    hours = serializers.DecimalField(max_digits=5, decimal_places=2, required=False, allow_null=True)


class RateInput(serializers.Serializer):
    rating = serializers.IntegerField(min_value=1, max_value=5)
    comment = serializers.CharField(max_length=500, required=False, allow_blank=True)


class CloseInput(serializers.Serializer):
    answer = serializers.CharField(max_length=4000, required=False, allow_blank=True)
    resolution = serializers.ChoiceField(choices=[Case.Resolution.RESOLVED, Case.Resolution.UNRESOLVED],
                                         default=Case.Resolution.RESOLVED)
    agreement_terms = serializers.CharField(max_length=4000, required=False, allow_blank=True)
    performance = serializers.CharField(max_length=500, required=False, allow_blank=True)
    referred_to = serializers.CharField(max_length=200, required=False, allow_blank=True)


class DuplicateInput(serializers.Serializer):
    original = serializers.IntegerField(min_value=1)


class NoteInput(serializers.Serializer):
    text = serializers.CharField(max_length=4000)
    public = serializers.BooleanField(default=False)


def _user_or_none(pk):
    from linli.accounts.models import User

    return User.objects.filter(pk=pk).first() if pk else None


class CaseViewSet(LeanListMixin, ScopedViewSet):
    queryset = Case.objects.all()
    serializer_class = CaseSerializer
    filterset_fields = ["kind", "status", "division", "priority"]
    http_method_names = ["get", "post", "head", "options"]

    def scope_queryset(self, qs):
        return qs.select_related("division", "service").order_by("-created_at", "-pk")

    # The list's rows without instances (decision 0027): the two properties CaseSerializer shows.
    lean_computed = {"number": ("created_at",), "is_overdue": ("status", "due_at")}

    def lean_compute(self, rows, values):
        now = timezone.now()
        for row, v in zip(rows, values, strict=True):
            row["number"] = Case.number_for(v["created_at"], v["pk"])
            row["is_overdue"] = Case.overdue(v["status"], v["due_at"], now)

    def _run(self, request, input_class, call):
        case = self.get_object()
        data = {}
        if input_class is not None:
            s = input_class(data=request.data)
            s.is_valid(raise_exception=True)
            data = s.validated_data
        call(case, request.user, data)
        return Response(CaseSerializer(self.get_queryset().get(pk=case.pk), context={"request": request}).data)

    @extend_schema(request=DispatchInput, responses=CaseSerializer)
    @action(detail=True, methods=["post"], url_path="dispatch")
    def dispatch_case(self, request, pk=None):
        return self._run(request, DispatchInput, lambda c, u, d: services.case_dispatch(
            case=c, by=u, team=d.get("team"), volunteer=d.get("volunteer"), organization=d.get("organization"),
            assignee=_user_or_none(d.get("assignee")), note=d.get("note", "")))

    @extend_schema(request=None, responses=CaseSerializer)
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        return self._run(request, None, lambda c, u, d: services.case_accept(case=c, by=u))

    @extend_schema(request=ReasonInput, responses=CaseSerializer)
    @action(detail=True, methods=["post"])
    def decline(self, request, pk=None):
        return self._run(request, ReasonInput, lambda c, u, d: services.case_decline(case=c, by=u, reason=d["reason"]))

    @extend_schema(request=ReassignInput, responses=CaseSerializer)
    @action(detail=True, methods=["post"])
    def reassign(self, request, pk=None):
        return self._run(request, ReassignInput, lambda c, u, d: services.case_reassign(
            case=c, by=u, reason=d["reason"], team=d.get("team"), volunteer=d.get("volunteer"),
            organization=d.get("organization"), assignee=_user_or_none(d.get("assignee"))))

    @extend_schema(request=ReasonInput, responses=CaseSerializer)
    @action(detail=True, methods=["post"])
    def cancel_dispatch(self, request, pk=None):
        return self._run(request, ReasonInput, lambda c, u, d: services.case_cancel_dispatch(
            case=c, by=u, reason=d["reason"]))

    @extend_schema(request=CompleteInput, responses=CaseSerializer)
    @action(detail=True, methods=["post"])
    def complete(self, request, pk=None):
        return self._run(request, CompleteInput, lambda c, u, d: services.case_complete(
            case=c, by=u, report=d["report"], hours=d.get("hours")))

    @extend_schema(request=RateInput, responses=CaseSerializer)
    @action(detail=True, methods=["post"])
    def rate(self, request, pk=None):
        return self._run(request, RateInput, lambda c, u, d: services.case_rate(
            case=c, by=u, rating=d["rating"], comment=d.get("comment", "")))

    @extend_schema(request=ReasonInput, responses=CaseSerializer)
    @action(detail=True, methods=["post"])
    def escalate(self, request, pk=None):
        return self._run(request, ReasonInput, lambda c, u, d: services.case_escalate(case=c, by=u, reason=d["reason"]))

    @extend_schema(request=CloseInput, responses=CaseSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        return self._run(request, CloseInput, lambda c, u, d: services.case_close(case=c, by=u, **d))

    @extend_schema(request=OptionalReasonInput, responses=CaseSerializer)
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        return self._run(request, OptionalReasonInput, lambda c, u, d: services.case_withdraw(
            case=c, by=u, reason=d.get("reason", "")))

    @extend_schema(request=DuplicateInput, responses=CaseSerializer)
    @action(detail=True, methods=["post"])
    def duplicate(self, request, pk=None):
        def call(c, u, d):
            original = get_object_or_404(self.get_queryset(), pk=d["original"])
            services.case_mark_duplicate(case=c, by=u, original=original)
        return self._run(request, DuplicateInput, call)

    @extend_schema(request=ReasonInput, responses=CaseSerializer)
    @action(detail=True, methods=["post"])
    def reopen(self, request, pk=None):
        return self._run(request, ReasonInput, lambda c, u, d: services.case_reopen(case=c, by=u, reason=d["reason"]))

    @extend_schema(request=NoteInput, responses=CaseSerializer)
    @action(detail=True, methods=["post"])
    def note(self, request, pk=None):
        return self._run(request, NoteInput, lambda c, u, d: services.case_note(
            case=c, by=u, text=d["text"], public=d["public"]))

    @extend_schema(request=None, responses=EventSerializer(many=True))
    @action(detail=True, methods=["get"])
    def history(self, request, pk=None):
        case = self.get_object()
        events = case.events.select_related("by").order_by("at", "pk")
        if not services.is_staff_for(request.user, case):
            events = events.filter(public=True)
        return Response(EventSerializer(events, many=True).data)


class ServiceItemViewSet(viewsets.ReadOnlyModelViewSet):
    """The service catalogue and the categories of concerns, disputes and opinions."""

    queryset = ServiceItem.objects.filter(active=True).order_by("kind", "order")
    serializer_class = ServiceItemSerializer
    filterset_fields = ["kind", "open311"]


class NightTalkSerializer(serializers.ModelSerializer):
    opinions = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta:
        model = NightTalk
        fields = ["id", "division", "occurrence", "title", "held_at", "place", "attendees", "minutes", "opinions"]


class NightTalkViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    queryset = NightTalk.objects.all()
    serializer_class = NightTalkSerializer
    filterset_fields = ["division"]

    def get_queryset(self):
        return NightTalk.objects.visible_to(self.request.user).prefetch_related("opinions").order_by("-held_at")


def register(router):
    router.register("cases", CaseViewSet)
    router.register("case-services", ServiceItemViewSet)
    router.register("night-talks", NightTalkViewSet)

