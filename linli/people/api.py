"""REST endpoints for households, persons, memberships and care tags. Reads are scoped like the pages;
writes go through services; persons come out masked and every list or retrieve is access-logged."""

import django_filters
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, Throttled
from rest_framework.response import Response

from linli.accounts.models import Role
from linli.core.api import ScopedViewSet
from linli.core.lean import LeanListMixin
from linli.core.masking import mask_phone, shown_birth_date
from linli.core.models import AccessLog
from linli.divisions.models import Division
from linli.people import selectors, services
from linli.people.audit import log_persons
from linli.people.models import CareTag, Household, Membership, Person, age_of


def _user(serializer):
    request = serializer.context.get("request")
    return getattr(request, "user", None)


class _ScopedChoices:
    """Related fields offer only what the caller may see: unknown and out-of-scope ids are both 400."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        user = _user(self)
        for name, model in (("division", Division), ("household", Household), ("person", Person)):
            field = self.fields.get(name)
            if field is not None and not field.read_only:
                roles = Role.PEOPLE_KEEPERS if model is Division else None
                field.queryset = model.objects.visible_to(user, roles=roles)


class CareTagSerializer(serializers.ModelSerializer):
    class Meta:
        model = CareTag
        fields = ["id", "code", "name", "name_en", "visit_every_days"]


class HouseholdSerializer(_ScopedChoices, serializers.ModelSerializer):
    """A household (户) in a grid or community."""

    division_name = serializers.CharField(source="division.name", read_only=True)

    class Meta:
        model = Household
        fields = ["id", "address", "division", "division_name", "lat", "lng", "created_at"]
        read_only_fields = ["created_at"]

    def create(self, validated_data):
        return services.household_create(by=_user(self), **validated_data)

    def update(self, instance, validated_data):
        return services.household_update(by=_user(self), household=instance, data=validated_data)


class PersonSerializer(_ScopedChoices, serializers.ModelSerializer):
    """A resident. The ID-card number and phone are write-only and come back masked."""

    id_number = serializers.CharField(write_only=True, required=False, allow_blank=True, max_length=30,
                                      help_text="GB 11643 number; stored encrypted, never returned.")
    phone_masked = serializers.CharField(read_only=True)
    care_tags = serializers.SlugRelatedField(slug_field="code", many=True, required=False,
                                             queryset=CareTag.objects.all())
    household = serializers.PrimaryKeyRelatedField(queryset=Household.objects.none(), write_only=True,
                                                   required=False, help_text="On create only.")
    relation = serializers.ChoiceField(choices=Membership.Relation.choices, write_only=True, required=False,
                                       help_text="Relation to the head, on create with a household.")
    division = serializers.PrimaryKeyRelatedField(queryset=Division.objects.none(), required=False,
                                                  help_text="On create without a household; then it follows "
                                                            "the household.")
    age = serializers.IntegerField(read_only=True, allow_null=True, help_text="Whole years, today.")

    class Meta:
        model = Person
        fields = ["id", "name", "sex", "birth_date", "age", "phone", "phone_masked", "id_number",
                  "id_number_masked", "division", "household", "relation", "care_tags", "created_at"]
        read_only_fields = ["id_number_masked", "created_at"]
        extra_kwargs = {"phone": {"write_only": True},
                        "birth_date": {"help_text": "Null for roles without full access (they get the age)."}}

    def to_representation(self, instance):
        data = super().to_representation(instance)
        # The birth date completes a masked number: only roles with full access get it.
        full = selectors.can_see_full(_user(self), instance)
        data["birth_date"] = data["birth_date"] if shown_birth_date(instance.birth_date, full=full) else None
        return data

    def create(self, validated_data):
        return services.person_create(by=_user(self), **validated_data)

    def update(self, instance, validated_data):
        extra = {"household", "relation", "division"} & set(validated_data)
        if extra:
            raise serializers.ValidationError({f: _("Change memberships through /api/memberships/.") for f in extra})
        return services.person_update(by=_user(self), person=instance, data=validated_data)


class MembershipSerializer(_ScopedChoices, serializers.ModelSerializer):
    """A person's membership of a household; PATCH only sets end_date (moved out)."""

    class Meta:
        model = Membership
        fields = ["id", "household", "person", "relation", "start_date", "end_date"]
        extra_kwargs = {"start_date": {"required": False}}

    def create(self, validated_data):
        validated_data.pop("end_date", None)
        return services.membership_add(by=_user(self), **validated_data)

    def update(self, instance, validated_data):
        if set(validated_data) - {"end_date"}:
            raise serializers.ValidationError({"non_field_errors": [_("Only the end date can change; add a new membership instead.")]})
        return services.membership_end(by=_user(self), membership=instance, end_date=validated_data.get("end_date"))


class HouseholdFilter(django_filters.FilterSet):
    division = django_filters.NumberFilter(method="in_division", label="Division id (its whole subtree)")
    address = django_filters.CharFilter(lookup_expr="icontains")

    class Meta:
        model = Household
        fields = ["division", "address"]

    def in_division(self, qs, name, value):
        division = Division.objects.filter(pk=value).first()
        return qs.filter(division__path__startswith=division.path) if division else qs.none()


class PersonFilter(HouseholdFilter):
    # Households have an address, persons do not: here it is the current household's.
    address = django_filters.CharFilter(method="at_address", label="Current household's address (contains)")
    name = django_filters.CharFilter(lookup_expr="icontains")
    care_tag = django_filters.CharFilter(field_name="care_tags__code", label="Care tag code")
    id_number = django_filters.CharFilter(method="by_id_number", label="Exact ID-card number (matched by its blind index)")
    household = django_filters.NumberFilter(method="in_household", label="Current household id")

    class Meta:
        model = Person
        fields = ["division", "address", "name", "care_tag", "id_number", "household"]

    def at_address(self, qs, name, value):
        return qs.filter(memberships__household__address__icontains=value,
                         memberships__end_date__isnull=True).distinct()

    def by_id_number(self, qs, name, value):
        try:
            qs, _index = selectors.id_number_search(user=self.request.user, qs=qs, number=value)
        except selectors.SearchLimitReached as exc:
            raise Throttled(detail=str(exc)) from None
        return qs

    def in_household(self, qs, name, value):
        return qs.filter(memberships__household_id=value, memberships__end_date__isnull=True)


class HouseholdViewSet(LeanListMixin, ScopedViewSet):
    queryset = Household.objects.all()
    serializer_class = HouseholdSerializer
    filterset_class = HouseholdFilter
    http_method_names = ["get", "post", "patch", "put", "head", "options"]

    def scope_queryset(self, qs):
        # By id: the primary key's index gives a page without sorting the scope (the pages keep the
        # register's order, by division and address; decision 0027).
        return qs.select_related("division").order_by("pk")


class PersonViewSet(LeanListMixin, ScopedViewSet):
    """Persons, masked. Every list and retrieve is recorded in the access log."""

    queryset = Person.objects.all()
    serializer_class = PersonSerializer
    filterset_class = PersonFilter
    http_method_names = ["get", "post", "patch", "put", "head", "options"]
    # The list's rows without instances (decision 0027): what PersonSerializer computes, from values.
    lean_computed = {"birth_date": ("birth_date", "user_id", "division__path"), "age": ("birth_date",),
                     "phone_masked": ("phone",)}

    def lean_compute(self, rows, values):
        user, date_field = self.request.user, serializers.DateField()
        for row, v in zip(rows, values, strict=True):
            full = selectors.can_see_full_row(user, user_id=v["user_id"], division_path=v["division__path"])
            shown = shown_birth_date(v["birth_date"], full=full)
            row["birth_date"] = date_field.to_representation(shown) if shown else None
            row["age"] = age_of(v["birth_date"])
            row["phone_masked"] = mask_phone(v["phone"])

    def scope_queryset(self, qs):
        return qs.select_related("division").prefetch_related("care_tags").order_by("pk")  # decision 0027

    def list(self, request, *args, **kwargs):
        response = super().list(request, *args, **kwargs)
        rows = response.data.get("results", []) if isinstance(response.data, dict) else response.data
        params = {k: v for k, v in request.query_params.items() if k not in ("page", "format")}
        if "id_number" in params:  # recorded by its blind index: traceable, not readable
            params["id_number_index"] = selectors.id_number_index(params.pop("id_number"))
        log_persons(request, action=AccessLog.Action.SEARCH if params else AccessLog.Action.LIST,
                    ids=[r["id"] for r in rows], fields=selectors.LIST_FIELDS,
                    query=" ".join(f"{k}={v}" for k, v in params.items()))
        return response

    def retrieve(self, request, *args, **kwargs):
        response = super().retrieve(request, *args, **kwargs)
        log_persons(request, action=AccessLog.Action.VIEW, ids=[response.data["id"]],
                    fields=selectors.DETAIL_FIELDS)
        return response

    @extend_schema(request=None, responses=inline_serializer("PersonInFull", {
        "id": serializers.IntegerField(), "id_number": serializers.CharField(), "phone": serializers.CharField()}))
    @action(detail=True, methods=["post"])
    def reveal(self, request, pk=None):
        """The full ID-card number and phone, for roles allowed to see them; recorded in the access log."""
        person = self.get_object()
        if not selectors.can_see_full(request.user, person):
            raise PermissionDenied()
        log_persons(request, action=AccessLog.Action.REVEAL, ids=[person.pk], fields=selectors.FULL_FIELDS)
        return Response({"id": person.pk, "id_number": person.id_number, "phone": person.phone})


class MembershipViewSet(ScopedViewSet):
    queryset = Membership.objects.all()
    serializer_class = MembershipSerializer
    filterset_fields = ["household", "person"]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def scope_queryset(self, qs):
        return qs.select_related("household__division", "person__division")


class CareTagViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The care tags (a reference list, not personal data)."""

    queryset = CareTag.objects.all()
    serializer_class = CareTagSerializer
    pagination_class = None


def register(router):
    router.register("households", HouseholdViewSet)
    router.register("persons", PersonViewSet)
    router.register("memberships", MembershipViewSet)
    router.register("care-tags", CareTagViewSet)

