"""REST API for activities. Reads are scoped by visible_to (out of scope = 404); every write goes through
the services, whose ValidationErrors come back as 400 with field messages."""

from urllib.parse import urlencode

import django_filters
from django.db.models import Prefetch
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from linli.activities import selectors, services
from linli.activities.models import Activity, Delivery, Method, Occurrence, Platform, Registration
from linli.core.api import ScopedViewSet
from linli.core.lean import LeanListMixin
from linli.orgs.models import Organization
from linli.places.models import Room, Site
from linli.volunteers.models import Team

UPCOMING = 5  # dates of an activity nested in its API answer


def _user(serializer):
    return getattr(serializer.context.get("request"), "user", None)


class TaxonSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    code = serializers.CharField(read_only=True)
    name = serializers.CharField(read_only=True)
    name_en = serializers.CharField(read_only=True)


class ActivitySerializer(serializers.ModelSerializer):
    start = serializers.DateTimeField(write_only=True, help_text=_("Start of the first occurrence"))
    end = serializers.DateTimeField(write_only=True, help_text=_("End of the first occurrence"))
    until = serializers.DateField(write_only=True, required=False, allow_null=True,
                                  help_text=_("Last date of a recurring series"))
    signup_opens_days = serializers.IntegerField(write_only=True, required=False, allow_null=True, min_value=0)
    signup_closes_minutes = serializers.IntegerField(write_only=True, required=False, default=0, min_value=0)
    upcoming = serializers.SerializerMethodField(
        help_text=_("Ids of the next five dates that have not ended yet; every date of the activity, a page "
                    "at a time, at occurrences_url"))
    occurrences_url = serializers.SerializerMethodField(help_text=_("Every date of the activity, a page at a time"))

    class Meta:
        model = Activity
        fields = ["id", "title", "kind", "description", "site", "room", "platform", "method", "delivery", "organizers",
                  "team", "capacity", "recurrence", "start", "end", "until", "signup_opens_days",
                  "signup_closes_minutes", "upcoming", "occurrences_url", "created_at"]
        read_only_fields = ["created_at"]

    @extend_schema_field(serializers.ListField(child=serializers.IntegerField()))
    def get_upcoming(self, activity):
        coming = getattr(activity, "coming", None)
        if coming is None:  # a single activity just made or read: its own query
            coming = activity.occurrences.filter(end__gt=timezone.now()).order_by("start", "pk")[:UPCOMING]
        return [occ.pk for occ in coming]

    @extend_schema_field(serializers.URLField())
    def get_occurrences_url(self, activity):
        url = f"{reverse('occurrence-list')}?{urlencode({'activity': activity.pk})}"
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request is not None else url

    def get_fields(self):
        fields = super().get_fields()
        user = _user(self)
        fields["site"].queryset = Site.objects.visible_to(user)
        fields["room"].queryset = Room.objects.visible_to(user)
        fields["organizers"].child_relation.queryset = Organization.objects.visible_to(user)
        fields["team"].queryset = Team.objects.all()
        return fields


class OccurrenceSerializer(serializers.ModelSerializer):
    title = serializers.CharField(source="activity.title", read_only=True)
    site = serializers.IntegerField(source="activity.site_id", read_only=True)
    confirmed = serializers.IntegerField(read_only=True)
    waitlisted = serializers.IntegerField(read_only=True)
    attended = serializers.IntegerField(read_only=True)

    class Meta:
        model = Occurrence
        fields = ["id", "activity", "title", "site", "start", "end", "room", "capacity", "signup_opens",
                  "signup_closes", "status", "cancel_reason", "is_modified", "confirmed", "waitlisted", "attended"]
        read_only_fields = fields


class OccurrenceUpdateSerializer(serializers.Serializer):
    start = serializers.DateTimeField(required=False)
    end = serializers.DateTimeField(required=False)
    room = serializers.PrimaryKeyRelatedField(queryset=Room.objects.none(), required=False, allow_null=True,
                                              help_text=_("A room of the activity's site, or null for none"))
    capacity = serializers.IntegerField(required=False, min_value=1)

    def get_fields(self):
        fields = super().get_fields()
        fields["room"].queryset = Room.objects.visible_to(_user(self))
        return fields


class RegistrationSerializer(serializers.ModelSerializer):
    person_name = serializers.CharField(source="person.name", read_only=True)

    class Meta:
        model = Registration
        fields = ["id", "occurrence", "person", "person_name", "status", "created_at", "promoted_at",
                  "cancelled_at", "walk_in", "checked_in_at"]
        read_only_fields = fields


class CheckInCodeSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=64, help_text=_("The secret from the door QR code"))


class ActivityReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class ReviewInputSerializer(serializers.Serializer):
    rating = serializers.IntegerField(min_value=1, max_value=5)
    comment = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")


class OccurrenceFilter(django_filters.FilterSet):
    site = django_filters.NumberFilter(field_name="activity__site", label=_("site id"))
    start = django_filters.IsoDateTimeFromToRangeFilter(field_name="start", label=_("start between"))

    class Meta:
        model = Occurrence
        fields = ["activity", "site", "status", "start"]


class _TaxonViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = TaxonSerializer
    pagination_class = None


class PlatformViewSet(_TaxonViewSet):
    """The service platforms (六大服务平台), county data."""
    queryset = Platform.objects.filter(active=True)


class MethodViewSet(_TaxonViewSet):
    """The work methods (五项工作法), county data."""
    queryset = Method.objects.filter(active=True)


class DeliveryViewSet(_TaxonViewSet):
    """The six deliveries (六送), county data."""
    queryset = Delivery.objects.filter(active=True)


class ActivityViewSet(LeanListMixin, ScopedViewSet):
    """Activities; create makes the series and its occurrences."""
    queryset = Activity.objects.all()
    serializer_class = ActivitySerializer
    http_method_names = ["get", "post", "head", "options"]
    filterset_fields = ["site", "kind", "platform", "method", "delivery", "recurrence"]

    def scope_queryset(self, qs):
        # Only the next few dates of each activity (a window per activity, one query for the page):
        # a weekly series holds two years of dates, and all of them are at occurrences_url.
        coming = Occurrence.objects.filter(end__gt=timezone.now()).order_by("start", "pk")
        return qs.prefetch_related("organizers", Prefetch("occurrences", queryset=coming[:UPCOMING],
                                                          to_attr="coming"))

    # The list's rows without instances (decision 0027): the next dates of the page's activities in one
    # query (a window per activity, as the prefetch above), and the link to all of them.
    lean_computed = {"upcoming": (), "occurrences_url": ()}

    def lean_compute(self, rows, values):
        coming = {row["id"]: [] for row in rows}
        for activity, occurrence in selectors.upcoming_dates(list(coming), limit=UPCOMING):
            coming[activity].append(occurrence)
        base = self.request.build_absolute_uri(reverse("occurrence-list"))
        for row in rows:
            row["upcoming"] = coming[row["id"]]
            row["occurrences_url"] = f"{base}?activity={int(row['id'])}"  # a whole number: nothing to encode

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        serializer.instance = services.activity_create(by=self.request.user, **data)

    @extend_schema(request=ActivityReasonSerializer, responses=OccurrenceSerializer(many=True))
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        activity = self.get_object()
        body = ActivityReasonSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.activity_cancel(activity=activity, by=request.user, reason=body.validated_data["reason"])
        occs = selectors.occurrence_list(user=request.user).filter(activity=activity)
        return Response(OccurrenceSerializer(occs, many=True).data)


class OccurrenceViewSet(ScopedViewSet):
    """Dates of activities with seats taken, waitlist and attendance. Actions: register (yourself),
    check_in (with the door code), update and cancel (organisers)."""
    queryset = Occurrence.objects.all()
    serializer_class = OccurrenceSerializer
    filterset_class = OccurrenceFilter
    http_method_names = ["get", "post", "head", "options"]

    def get_queryset(self):
        return selectors.occurrence_list(user=self.request.user).order_by("start")

    def create(self, request, *args, **kwargs):
        return Response({"detail": _("Create an activity instead.")}, status=405)

    def _fresh(self, occ):
        return OccurrenceSerializer(self.get_queryset().get(pk=occ.pk)).data

    @extend_schema(request=None, responses=RegistrationSerializer)
    @action(detail=True, methods=["post"])
    def register(self, request, pk=None):
        occ = self.get_object()
        person = getattr(request.user, "person", None)
        if person is None:
            return Response({"person": [_("Your account is not linked to a resident record.")]}, status=400)
        reg = services.registration_create(occurrence=occ, person=person, by=request.user)
        return Response(RegistrationSerializer(reg).data, status=201)

    @extend_schema(request=CheckInCodeSerializer, responses=RegistrationSerializer)
    @action(detail=True, methods=["post"], url_path="check-in")
    def check_in(self, request, pk=None):
        body = CheckInCodeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        reg = services.check_in_by_code(occurrence=self.get_object(), code=body.validated_data["code"], by=request.user)
        return Response(RegistrationSerializer(reg).data)

    @extend_schema(request=OccurrenceUpdateSerializer, responses=OccurrenceSerializer)
    @action(detail=True, methods=["post"])
    def change(self, request, pk=None):
        body = OccurrenceUpdateSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        occ = services.occurrence_update(occurrence=self.get_object(), by=request.user, **body.validated_data)
        return Response(self._fresh(occ))

    @extend_schema(request=ActivityReasonSerializer, responses=OccurrenceSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        body = ActivityReasonSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        occ = services.occurrence_cancel(occurrence=self.get_object(), by=request.user,
                                         reason=body.validated_data["reason"])
        return Response(self._fresh(occ))


class RegistrationViewSet(LeanListMixin, ScopedViewSet):
    """Your own sign-ups, and those of the activities you organise; by community, then in sign-up order."""
    queryset = Registration.objects.all()
    serializer_class = RegistrationSerializer
    http_method_names = ["get", "post", "head", "options"]
    filterset_fields = ["occurrence", "status"]

    def scope_queryset(self, qs):
        # By community, then in sign-up order: the (division, id) index answers a page directly; ordered
        # by id alone PostgreSQL walks every registration of the county to find a community's (0026).
        return qs.select_related("person", "occurrence__activity__site__division").order_by("division_id", "pk")

    def create(self, request, *args, **kwargs):
        return Response({"detail": _("Use the occurrence's register action.")}, status=405)

    @extend_schema(request=None, responses=RegistrationSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        reg = services.registration_cancel(registration=self.get_object(), by=request.user)
        return Response(RegistrationSerializer(reg).data)

    @extend_schema(request=None, responses=RegistrationSerializer)
    @action(detail=True, methods=["post"], url_path="check-in")
    def check_in(self, request, pk=None):
        reg = services.check_in_by_staff(registration=self.get_object(), by=request.user)
        return Response(RegistrationSerializer(reg).data)

    @extend_schema(request=ReviewInputSerializer, responses=ReviewInputSerializer)
    @action(detail=True, methods=["post"])
    def review(self, request, pk=None):
        body = ReviewInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        review = services.review_submit(registration=self.get_object(), by=request.user, **body.validated_data)
        return Response(ReviewInputSerializer(review).data)


def register(router):
    router.register("activity-platforms", PlatformViewSet, basename="activity-platform")
    router.register("activity-methods", MethodViewSet, basename="activity-method")
    router.register("activity-deliveries", DeliveryViewSet, basename="activity-delivery")
    router.register("activities", ActivityViewSet, basename="activity")
    router.register("occurrences", OccurrenceViewSet, basename="occurrence")
    router.register("registrations", RegistrationViewSet, basename="registration")
