"""REST API for the four-thirty classroom. Reads are scoped by visible_to (out of scope = 404), every
write goes through the services (their ValidationError is a 400 with field errors), and every read of
children's data is access-logged."""

from django.http import Http404
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError as DRFValidationError
from rest_framework.response import Response

from linli.core.api import ScopedViewSet
from linli.core.audit import audit_access
from linli.core.lean import LeanListMixin
from linli.core.models import AccessLog
from linli.places.models import Room, Site
from linli.volunteers.models import Volunteer

from . import selectors, services
from .models import (
    Attendance,
    BackgroundCheck,
    Enrollment,
    LateAlert,
    PickupPerson,
    Program,
    ReleaseAttempt,
    Session,
)

ENROLLMENT = "classroom.Enrollment"


def _user(serializer):
    return getattr(serializer.context.get("request"), "user", None)


class ProgramSerializer(serializers.ModelSerializer):
    enrolled = serializers.IntegerField(read_only=True)
    waiting = serializers.IntegerField(read_only=True)
    site_name = serializers.CharField(source="site.name", read_only=True)

    class Meta:
        model = Program
        fields = ["id", "name", "site", "site_name", "room", "term_start", "term_end", "weekdays", "start_time",
                  "end_time", "capacity", "min_age", "max_age", "offers", "tutors_needed", "description",
                  "enrolled", "waiting"]

    def get_fields(self):
        fields = super().get_fields()
        user = _user(self)
        fields["site"].queryset = Site.objects.visible_to(user, roles=services.STAFF_ROLES)
        fields["room"].queryset = Room.objects.visible_to(user, roles=services.STAFF_ROLES)
        return fields

    def create(self, validated_data):
        validated_data.pop("enrolled", None)
        return services.program_create(by=_user(self), **validated_data)


class PickupSerializer(serializers.ModelSerializer):
    phone_masked = serializers.CharField(read_only=True)

    class Meta:
        model = PickupPerson
        fields = ["id", "name", "relation", "phone_masked", "is_guardian"]


class PickupInSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=50)
    relation = serializers.ChoiceField(choices=PickupPerson.Relation.choices)
    phone = serializers.CharField(max_length=20)


class EnrollmentSerializer(serializers.ModelSerializer):
    """A child's enrollment. Created by the guardian with consent; the child's data comes back only to
    the guardian and the community's staff."""

    pickups = PickupSerializer(many=True, read_only=True, source="active_pickups")
    consent = serializers.BooleanField(write_only=True, help_text="The guardian's consent (PIPL); required.")
    child = serializers.IntegerField(write_only=True, required=False,
                                     help_text="A child of the guardian's household (person id); or give "
                                               "child_name and birth_date.")
    birth_date = serializers.DateField(write_only=True, required=False)
    new_pickups = PickupInSerializer(many=True, write_only=True, required=False)

    class Meta:
        model = Enrollment
        fields = ["id", "program", "child", "child_name", "birth_date", "school", "grade", "medical_notes",
                  "may_leave_alone", "status", "consent", "consent_at", "created_at", "left_on", "pickups",
                  "new_pickups"]
        read_only_fields = ["status", "consent_at", "created_at", "left_on"]
        extra_kwargs = {"child_name": {"required": False}}

    def get_fields(self):
        fields = super().get_fields()
        fields["program"].queryset = Program.objects.visible_to(_user(self))
        return fields

    def get_validators(self):
        return []  # the service enforces one open enrollment per child and program

    def create(self, data):
        from linli.people.models import Person

        child = None
        if data.get("child"):
            child = Person.objects.filter(pk=data["child"]).first()
            if child is None:
                raise DRFValidationError({"child": ["Choose a child of your household."]})
        return services.enrollment_create(
            program=data["program"], by=_user(self), consent=data["consent"], child=child,
            child_name=data.get("child_name", ""), birth_date=data.get("birth_date"), school=data.get("school", ""),
            grade=data.get("grade"), medical_notes=data.get("medical_notes", ""),
            may_leave_alone=data.get("may_leave_alone", False), pickups=data.get("new_pickups", []))


class SessionSerializer(serializers.ModelSerializer):
    program_name = serializers.CharField(source="program.name", read_only=True)
    site = serializers.IntegerField(source="program.site_id", read_only=True)

    class Meta:
        model = Session
        fields = ["id", "program", "program_name", "site", "date", "start", "end", "tutors_needed", "status"]
        read_only_fields = fields


class RosterChildSerializer(serializers.Serializer):
    enrollment = serializers.IntegerField(source="pk")
    child_name = serializers.CharField()
    grade = serializers.IntegerField(allow_null=True)
    medical_notes = serializers.CharField()
    may_leave_alone = serializers.BooleanField()
    checked_in_at = serializers.DateTimeField(source="visit.checked_in_at", default=None)
    released_at = serializers.DateTimeField(source="visit.released_at", default=None)
    pickups = serializers.SerializerMethodField()

    @extend_schema_field(serializers.ListField(child=serializers.DictField()))
    def get_pickups(self, e):
        # Name and relation only: the tutor must ask for the phone digits, never read them.
        return [{"id": p.pk, "name": p.name, "relation": p.relation} for p in e.listed]


class EnrollmentRefSerializer(serializers.Serializer):
    enrollment = serializers.IntegerField()


class ReleaseSerializer(serializers.Serializer):
    enrollment = serializers.IntegerField()
    pickup = serializers.IntegerField(required=False, allow_null=True)
    phone_last4 = serializers.CharField(required=False, allow_blank=True, max_length=4)
    token = serializers.CharField(required=False, allow_blank=True, max_length=40)
    self_release = serializers.BooleanField(required=False, default=False)
    claimed_name = serializers.CharField(required=False, allow_blank=True, max_length=50)


class AttendanceSerializer(serializers.ModelSerializer):
    child_name = serializers.CharField(source="enrollment.child_name", read_only=True)
    released_to_name = serializers.CharField(source="released_to.name", read_only=True, default=None,
                                             allow_null=True)

    class Meta:
        model = Attendance
        fields = ["id", "enrollment", "child_name", "kind", "session", "site", "date", "checked_in_at",
                  "released_at", "released_to", "released_to_name", "release_method", "note"]
        read_only_fields = fields


class BackgroundCheckSerializer(serializers.ModelSerializer):
    class Meta:
        model = BackgroundCheck
        fields = ["id", "volunteer", "checked_on", "valid_until", "result", "reference", "checked_by", "recorded_at"]
        read_only_fields = ["checked_by", "recorded_at"]
        extra_kwargs = {"valid_until": {"required": False}}

    def get_fields(self):
        fields = super().get_fields()
        fields["volunteer"].queryset = Volunteer.objects.visible_to(_user(self), roles=services.STAFF_ROLES)
        return fields

    def create(self, data):
        return services.background_check_record(by=_user(self), **data)


class ReleaseAttemptSerializer(serializers.ModelSerializer):
    child_name = serializers.CharField(source="enrollment.child_name", read_only=True)

    class Meta:
        model = ReleaseAttempt
        fields = ["id", "enrollment", "child_name", "site", "attempted_by", "claimed_name", "reason", "at",
                  "reviewed_at"]
        read_only_fields = fields


class LateAlertSerializer(serializers.ModelSerializer):
    class Meta:
        model = LateAlert
        fields = ["id", "attendance", "site", "raised_at", "resolved_at"]
        read_only_fields = fields


def _log(request, action, ids, fields):
    ids = list(ids)
    if ids:
        audit_access(request=request, action=action, model=ENROLLMENT, object_ids=ids, fields=fields)


class ProgramViewSet(ScopedViewSet):
    """Classroom programs (public, like sites); staff create them."""
    queryset = Program.objects.all()
    serializer_class = ProgramSerializer
    http_method_names = ["get", "post", "head", "options"]
    filterset_fields = ["site"]

    def get_queryset(self):
        return selectors.program_list(user=self.request.user).order_by("pk")


class EnrollmentViewSet(ScopedViewSet):
    """A guardian's own children; the community's staff see their programs' children."""
    queryset = Enrollment.objects.all()
    serializer_class = EnrollmentSerializer
    http_method_names = ["get", "post", "head", "options"]
    filterset_fields = ["program", "status"]

    def scope_queryset(self, qs):
        from django.db.models import Prefetch

        return qs.select_related("program").prefetch_related(
            Prefetch("pickups", queryset=PickupPerson.objects.filter(active=True), to_attr="active_pickups")
        ).order_by("pk")

    def list(self, request, *args, **kwargs):
        response = super().list(request, *args, **kwargs)
        _log(request, AccessLog.Action.LIST, [r["id"] for r in response.data["results"]], ["child_name", "school",
                                                                                              "grade", "medical_notes"])
        return response

    def retrieve(self, request, *args, **kwargs):
        response = super().retrieve(request, *args, **kwargs)
        _log(request, AccessLog.Action.VIEW, [response.data["id"]], ["child_name", "school", "grade",
                                                                     "medical_notes", "pickups"])
        return response

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        enrollment = serializer.save()
        enrollment.active_pickups = list(enrollment.pickups.filter(active=True))
        return Response(self.get_serializer(enrollment).data, status=201)

    @extend_schema(request=None, responses=EnrollmentSerializer)
    @action(detail=True, methods=["post"])
    def leave(self, request, pk=None):
        enrollment = services.enrollment_leave(enrollment=self.get_object(), by=request.user)
        enrollment.active_pickups = []
        return Response(self.get_serializer(enrollment).data)

    @extend_schema(request=PickupInSerializer, responses=PickupSerializer)
    @action(detail=True, methods=["post"])
    def pickups(self, request, pk=None):
        data = PickupInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        pickup = services.pickup_add(enrollment=self.get_object(), by=request.user, **data.validated_data)
        return Response(PickupSerializer(pickup).data, status=201)


class SessionViewSet(ScopedViewSet):
    """Sessions a tutor may run (rostered, or tutor/staff role over the site); check-in and release."""
    queryset = Session.objects.all()
    serializer_class = SessionSerializer
    http_method_names = ["get", "post", "head", "options"]
    filterset_fields = ["program", "date", "status"]

    def scope_queryset(self, qs):
        return qs.select_related("program__site").order_by("start")

    def create(self, request, *args, **kwargs):
        raise Http404

    def _enrollment(self, session, pk):
        enrollment = Enrollment.objects.filter(program=session.program, pk=pk).select_related("program__site").first()
        if enrollment is None:
            raise DRFValidationError({"enrollment": ["This child is not enrolled in this program."]})
        return enrollment

    @extend_schema(responses=RosterChildSerializer(many=True))
    @action(detail=True, methods=["get"])
    def roster(self, request, pk=None):
        session = self.get_object()
        rows = selectors.session_roster(session=session)
        _log(request, AccessLog.Action.LIST, [e.pk for e in rows], selectors.ROSTER_FIELDS)
        return Response(RosterChildSerializer(rows, many=True).data)

    @extend_schema(request=EnrollmentRefSerializer, responses=AttendanceSerializer)
    @action(detail=True, methods=["post"], url_path="check-in")
    def check_in(self, request, pk=None):
        session = self.get_object()
        ref = EnrollmentRefSerializer(data=request.data)
        ref.is_valid(raise_exception=True)
        visit = services.child_check_in(session=session, enrollment=self._enrollment(session, ref.validated_data[
            "enrollment"]), by=request.user)
        return Response(AttendanceSerializer(visit).data, status=201)

    @extend_schema(request=ReleaseSerializer, responses=AttendanceSerializer)
    @action(detail=True, methods=["post"])
    def release(self, request, pk=None):
        session = self.get_object()
        data = ReleaseSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        d = dict(data.validated_data)
        enrollment = self._enrollment(session, d.pop("enrollment"))
        pickup_id = d.pop("pickup", None)
        pickup = PickupPerson.objects.filter(pk=pickup_id).first() if pickup_id else None
        visit = services.child_release(enrollment=enrollment, by=request.user, pickup=pickup, **d)
        return Response(AttendanceSerializer(visit).data)


class AttendanceViewSet(LeanListMixin, viewsets.ReadOnlyModelViewSet):
    """Visits: a guardian's own child's, or the community staff's sites'."""
    queryset = Attendance.objects.all()
    serializer_class = AttendanceSerializer
    filterset_fields = ["site", "date", "kind", "enrollment"]

    def get_queryset(self):
        return (Attendance.objects.visible_to(self.request.user).select_related("enrollment", "released_to")
                .order_by("-checked_in_at", "pk"))

    def list(self, request, *args, **kwargs):
        response = super().list(request, *args, **kwargs)
        _log(request, AccessLog.Action.LIST, {r["enrollment"] for r in response.data["results"]},
             ["child_name", "checked_in_at", "released_to"])
        return response


class BackgroundCheckViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Background checks of tutors; staff record them."""
    queryset = BackgroundCheck.objects.all()
    serializer_class = BackgroundCheckSerializer

    def get_queryset(self):
        return BackgroundCheck.objects.visible_to(self.request.user).order_by("-checked_on", "pk")


class ReleaseAttemptViewSet(viewsets.ReadOnlyModelViewSet):
    """Refused releases, for the community's staff."""
    queryset = ReleaseAttempt.objects.all()
    serializer_class = ReleaseAttemptSerializer

    def get_queryset(self):
        return ReleaseAttempt.objects.visible_to(self.request.user).select_related("enrollment").order_by("-at")


class LateAlertViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = LateAlert.objects.all()
    serializer_class = LateAlertSerializer

    def get_queryset(self):
        return LateAlert.objects.visible_to(self.request.user).order_by("-raised_at")


def register(router):
    router.register("classroom/programs", ProgramViewSet, basename="classroom-program")
    router.register("classroom/enrollments", EnrollmentViewSet, basename="classroom-enrollment")
    router.register("classroom/sessions", SessionViewSet, basename="classroom-session")
    router.register("classroom/attendances", AttendanceViewSet, basename="classroom-attendance")
    router.register("classroom/background-checks", BackgroundCheckViewSet, basename="classroom-check")
    router.register("classroom/refused-releases", ReleaseAttemptViewSet, basename="classroom-refused")
    router.register("classroom/late-alerts", LateAlertViewSet, basename="classroom-late")
