"""REST API for the elderly canteen. Reads are scoped by visible_to (out of scope = 404); every write
goes through the services (their ValidationError is a 400 with field errors); meal records are only
created or reversed, never changed; reads of diners are access-logged."""

from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from linli.core.api import ScopedViewSet
from linli.core.audit import audit_access
from linli.core.models import AccessLog
from linli.divisions.models import Division
from linli.people.models import CareTag, Person

from . import selectors, services
from .eligibility import eligibility
from .models import Canteen, Delivery, DeliveryRun, Diner, Meal, Order, Settlement, Slot, TierRule

DINER = "canteen.Diner"


def _user(serializer):
    return getattr(serializer.context.get("request"), "user", None)


class CanteenSerializer(serializers.ModelSerializer):
    site_name = serializers.CharField(source="site.name", read_only=True)

    class Meta:
        model = Canteen
        fields = ["id", "name", "site", "site_name", "slot_hours", "meal_price", "delivers", "permit_expires"]
        read_only_fields = fields


class TierRuleSerializer(serializers.ModelSerializer):
    care_tags = serializers.SlugRelatedField(slug_field="code", many=True, queryset=CareTag.objects.all(),
                                             required=False)
    slots = serializers.ListField(child=serializers.ChoiceField(choices=Slot.choices))

    class Meta:
        model = TierRule
        fields = ["id", "county", "code", "name", "min_age", "care_tags", "age_or_tag", "residence",
                  "amount_per_meal", "max_per_day", "meals_per_day", "slots", "valid_from", "valid_to"]

    def get_fields(self):
        fields = super().get_fields()
        fields["county"].queryset = Division.objects.visible_to(_user(self)).filter(level=Division.Level.COUNTY)
        return fields

    def get_validators(self):
        return []

    def create(self, data):
        return services.tier_rule_create(by=_user(self), **data)


class DinerSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="person.name", read_only=True)
    id_number_masked = serializers.CharField(source="person.id_number_masked", read_only=True)
    tier = serializers.SerializerMethodField()
    consent = serializers.BooleanField(write_only=True, help_text="The diner's consent; required.")

    class Meta:
        model = Diner
        fields = ["id", "person", "name", "id_number_masked", "canteen", "hukou_local", "diet", "allergies",
                  "delivery", "route", "consent", "consent_at", "tier"]
        read_only_fields = ["consent_at"]

    def get_fields(self):
        fields = super().get_fields()
        user = _user(self)
        fields["person"].queryset = Person.objects.visible_to(user)
        fields["canteen"].queryset = Canteen.objects.visible_to(user, roles=services.STAFF_ROLES)
        return fields

    def get_validators(self):
        return []

    @extend_schema_field(serializers.DictField())
    def get_tier(self, diner):
        found = getattr(diner, "_tier", None) or eligibility(diner=diner, day=timezone.localdate())
        return {"code": found.tier.code if found.tier else None, "name": found.tier.name if found.tier else None,
                "reason": found.reason, "notes": found.notes}

    def create(self, data):
        return services.diner_register(by=_user(self), **data)


class OrderSerializer(serializers.ModelSerializer):
    class Meta:
        model = Order
        fields = ["id", "diner", "canteen", "date", "slot", "dish", "delivery", "channel", "status", "created_at"]
        read_only_fields = ["canteen", "channel", "status", "created_at"]

    def get_fields(self):
        fields = super().get_fields()
        fields["diner"].queryset = Diner.objects.visible_to(_user(self))
        return fields

    def get_validators(self):
        return []

    def create(self, data):
        return services.order_place(by=_user(self), **data)


class MealSerializer(serializers.ModelSerializer):
    subsidise = serializers.BooleanField(write_only=True, default=True)

    class Meta:
        model = Meal
        fields = ["id", "canteen", "diner", "date", "slot", "served_at", "recorded_at", "method", "price", "subsidy",
                  "paid", "tier", "tier_reason", "reverses", "reason", "booked_on", "subsidise"]
        read_only_fields = ["date", "served_at", "recorded_at", "subsidy", "paid", "tier", "tier_reason", "reverses",
                            "reason", "booked_on"]
        extra_kwargs = {"price": {"required": False}, "method": {"required": False}}

    def get_fields(self):
        fields = super().get_fields()
        user = _user(self)
        fields["canteen"].queryset = Canteen.objects.visible_to(user, roles=services.STAFF_ROLES)
        fields["diner"].queryset = Diner.objects.visible_to(user)
        return fields

    def create(self, data):
        return services.meal_serve(by=_user(self), canteen=data["canteen"], slot=data["slot"],
                                   diner=data.get("diner"), subsidise=data.get("subsidise", True),
                                   method=data.get("method") or (Meal.Method.CARD if data.get("diner")
                                                                 else Meal.Method.WALK_IN),
                                   price=data.get("price"))


class MealReversalSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=200)


class DeliverySerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="diner.person.name", read_only=True)

    class Meta:
        model = Delivery
        fields = ["id", "diner", "name", "stop", "status", "confirmed_at", "unwell", "note"]
        read_only_fields = fields


class RunSerializer(serializers.ModelSerializer):
    stops = DeliverySerializer(many=True, read_only=True)

    class Meta:
        model = DeliveryRun
        fields = ["id", "route", "date", "slot", "volunteer", "started_at", "finished_at", "stops"]
        read_only_fields = fields


class ConfirmSerializer(serializers.Serializer):
    diner = serializers.IntegerField()
    status = serializers.ChoiceField(choices=[s for s in Delivery.Status.choices if s[0] != "planned"])
    unwell = serializers.BooleanField(default=False)
    note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class SettlementSerializer(serializers.ModelSerializer):
    class Meta:
        model = Settlement
        fields = ["id", "canteen", "period_start", "period_end", "status", "meals", "subsidised_meals", "subsidy",
                  "paid", "by_tier", "carried", "findings", "issued_at"]
        read_only_fields = ["period_end", "status", "meals", "subsidised_meals", "subsidy", "paid", "by_tier",
                            "carried", "findings", "issued_at"]

    def get_fields(self):
        fields = super().get_fields()
        fields["canteen"].queryset = Canteen.objects.visible_to(_user(self), roles=services.STAFF_ROLES)
        return fields

    def get_validators(self):
        return []

    def create(self, data):
        return services.settlement_issue(by=_user(self), canteen=data["canteen"], period_start=data["period_start"])


class CanteenViewSet(ScopedViewSet):
    """Canteens (public: seen from above and below)."""
    queryset = Canteen.objects.all()
    serializer_class = CanteenSerializer
    http_method_names = ["get", "head", "options"]

    def scope_queryset(self, qs):
        return qs.select_related("site").order_by("pk")


class TierRuleViewSet(ScopedViewSet):
    """The county's subsidy tiers; the county office adds them (no overlapping dates for a tier)."""
    queryset = TierRule.objects.all()
    serializer_class = TierRuleSerializer
    http_method_names = ["get", "post", "head", "options"]

    def scope_queryset(self, qs):
        return qs.prefetch_related("care_tags").order_by("pk")


class DinerViewSet(ScopedViewSet):
    queryset = Diner.objects.all()
    serializer_class = DinerSerializer
    http_method_names = ["get", "post", "head", "options"]
    filterset_fields = ["canteen", "delivery"]

    def scope_queryset(self, qs):
        return qs.select_related("person__division", "canteen__site__division").order_by("pk")

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        # The page's tiers in a few queries for all (tags, memberships, rules), not several per diner.
        for diner, found in selectors.with_tiers(page or [], timezone.localdate()):
            diner._tier = found
        return page

    def list(self, request, *args, **kwargs):
        response = super().list(request, *args, **kwargs)
        audit_access(request=request, action=AccessLog.Action.LIST, model=DINER,
                     object_ids=[r["id"] for r in response.data["results"]], fields=["name", "id_number_masked", "tier"])
        return response

    def retrieve(self, request, *args, **kwargs):
        response = super().retrieve(request, *args, **kwargs)
        audit_access(request=request, action=AccessLog.Action.VIEW, model=DINER, object_ids=[response.data["id"]],
                     fields=["name", "id_number_masked", "tier"])
        return response


class OrderViewSet(ScopedViewSet):
    queryset = Order.objects.all()
    serializer_class = OrderSerializer
    http_method_names = ["get", "post", "head", "options"]
    filterset_fields = ["canteen", "date", "slot", "status"]

    def scope_queryset(self, qs):
        return qs.select_related("diner__canteen__site__division").order_by("-date", "pk")

    @extend_schema(request=None, responses=OrderSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        return Response(OrderSerializer(services.order_cancel(by=request.user, order=self.get_object()),
                                        context={"request": request}).data)


class MealViewSet(ScopedViewSet):
    """Meal records: served (POST) or reversed; never changed or deleted."""
    queryset = Meal.objects.all()
    serializer_class = MealSerializer
    http_method_names = ["get", "post", "head", "options"]
    filterset_fields = ["canteen", "date", "slot", "diner"]

    def scope_queryset(self, qs):
        return qs.select_related("canteen__site__division").order_by("-served_at", "-pk")

    @extend_schema(request=MealReversalSerializer, responses=MealSerializer)
    @action(detail=True, methods=["post"])
    def reverse(self, request, pk=None):
        data = MealReversalSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        meal = services.meal_reverse(by=request.user, meal=self.get_object(), reason=data.validated_data["reason"])
        return Response(MealSerializer(meal, context={"request": request}).data, status=201)


class RunViewSet(ScopedViewSet):
    """Delivery rounds (the volunteer's own, or staff's); confirm a stop at the door."""
    queryset = DeliveryRun.objects.all()
    serializer_class = RunSerializer
    http_method_names = ["get", "post", "head", "options"]
    filterset_fields = ["date", "route"]

    def scope_queryset(self, qs):
        return qs.select_related("route__canteen__site__division").prefetch_related("stops__diner__person").order_by(
            "-date", "pk")

    def create(self, request, *args, **kwargs):
        raise NotFound

    @extend_schema(request=ConfirmSerializer, responses=DeliverySerializer)
    @action(detail=True, methods=["post"])
    def confirm(self, request, pk=None):
        run = self.get_object()
        data = ConfirmSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        diner = Diner.objects.filter(pk=data.validated_data["diner"]).select_related("person").first()
        if diner is None:
            raise serializers.ValidationError({"diner": ["Unknown diner."]})
        stop = services.delivery_confirm(by=request.user, run=run, diner=diner, status=data.validated_data["status"],
                                         unwell=data.validated_data["unwell"], note=data.validated_data["note"])
        return Response(DeliverySerializer(stop).data)


class SettlementViewSet(ScopedViewSet):
    queryset = Settlement.objects.all()
    serializer_class = SettlementSerializer
    http_method_names = ["get", "post", "head", "options"]
    filterset_fields = ["canteen"]

    def scope_queryset(self, qs):
        return qs.order_by("-period_start", "pk")


def register(router):
    router.register("canteen/canteens", CanteenViewSet, basename="canteen-canteen")
    router.register("canteen/tiers", TierRuleViewSet, basename="canteen-tier")
    router.register("canteen/diners", DinerViewSet, basename="canteen-diner")
    router.register("canteen/orders", OrderViewSet, basename="canteen-order")
    router.register("canteen/meals", MealViewSet, basename="canteen-meal")
    router.register("canteen/rounds", RunViewSet, basename="canteen-round")
    router.register("canteen/settlements", SettlementViewSet, basename="canteen-settlement")
