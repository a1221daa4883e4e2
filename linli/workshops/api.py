"""REST API for the employment-assistance workshops. Reads are scoped by visible_to (out of scope =
404); every write goes through the services (their ValidationError is a 400 with field errors); work
records are only created, confirmed or reversed, never changed; reads of workers and of the wage
ledger are access-logged, ID numbers only masked."""

from decimal import Decimal

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from linli.core.api import ScopedViewSet
from linli.core.audit import audit_access
from linli.core.masking import mask_phone
from linli.core.models import AccessLog
from linli.people.models import Person

from . import services
from .models import Job, LedgerRow, PayRun, Worker, WorkRecord, Workshop

WORKER = "workshops.Worker"
LEDGER = "workshops.LedgerRow"


def _user(serializer):
    return getattr(serializer.context.get("request"), "user", None)


class JobSerializer(serializers.ModelSerializer):
    class Meta:
        model = Job
        fields = ["id", "name", "pay_kind", "unit", "active"]
        read_only_fields = fields


class WorkshopSerializer(serializers.ModelSerializer):
    operator_name = serializers.CharField(source="operator.name", read_only=True)
    site_name = serializers.CharField(source="site.name", read_only=True)
    kind = serializers.SlugRelatedField(slug_field="code", read_only=True)
    jobs = JobSerializer(many=True, read_only=True)

    class Meta:
        model = Workshop
        fields = ["id", "name", "operator", "operator_name", "credit_code", "site", "site_name", "room", "division",
                  "kind", "products", "hours", "opened_on", "contract_start", "contract_end", "insurance_policy",
                  "insurance_expires", "insurance_per_worker_month", "status", "jobs"]
        read_only_fields = fields


class WorkerSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="person.name", read_only=True)
    id_number_masked = serializers.CharField(source="person.id_number_masked", read_only=True)

    class Meta:
        model = Worker
        fields = ["id", "person", "name", "id_number_masked", "workshop", "contract_kind", "contract_start",
                  "contract_end", "started_on", "ended_on"]
        read_only_fields = ["ended_on"]

    def get_fields(self):
        fields = super().get_fields()
        user = _user(self)
        fields["person"].queryset = Person.objects.visible_to(user)
        fields["workshop"].queryset = Workshop.objects.visible_to(user)
        return fields

    def get_validators(self):
        return []

    def create(self, data):
        return services.worker_add(by=_user(self), **data)


class WorkRecordSerializer(serializers.ModelSerializer):
    class Meta:
        model = WorkRecord
        fields = ["id", "worker", "job", "date", "quantity", "hours", "cycle", "status", "source", "entered_at",
                  "confirmed_at", "reverses", "reason"]
        read_only_fields = ["cycle", "status", "source", "entered_at", "confirmed_at", "reverses", "reason"]
        extra_kwargs = {"quantity": {"min_value": Decimal("0.01"), "max_value": Decimal("100000")},
                        "hours": {"min_value": 0, "max_value": 24, "required": False}}

    def get_fields(self):
        fields = super().get_fields()
        user = _user(self)
        fields["worker"].queryset = Worker.objects.visible_to(user)
        fields["job"].queryset = Job.objects.visible_to(user)
        return fields

    def create(self, data):
        return services.record_add(by=_user(self), worker=data["worker"], job=data["job"], date=data["date"],
                                   quantity=data["quantity"], hours=data.get("hours"))


class ReversalSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=200)


class LedgerRowSerializer(serializers.ModelSerializer):
    phone_masked = serializers.SerializerMethodField()

    class Meta:
        model = LedgerRow
        fields = ["id", "worker", "employer", "cycle", "name", "id_number_masked", "phone_masked", "days", "hours",
                  "pieces", "items", "gross", "deduction_items", "deductions", "net", "pay_date", "transfer_ref"]
        read_only_fields = fields

    def get_phone_masked(self, row) -> str:
        return mask_phone(row.phone)


class PayRunSerializer(serializers.ModelSerializer):
    class Meta:
        model = PayRun
        fields = ["id", "workshop", "cycle", "cycle_end", "due_on", "workers", "gross", "deductions", "net",
                  "computed_at", "paid_at", "flagged_at"]
        read_only_fields = ["cycle_end", "due_on", "workers", "gross", "deductions", "net", "computed_at", "paid_at",
                            "flagged_at"]

    def get_fields(self):
        fields = super().get_fields()
        fields["workshop"].queryset = Workshop.objects.visible_to(_user(self))
        return fields

    def get_validators(self):
        return []

    def create(self, data):
        return services.pay_run_compute(by=_user(self), workshop=data["workshop"], cycle=data["cycle"])


class PaymentSerializer(serializers.Serializer):
    row = serializers.IntegerField(min_value=1, max_value=2**31 - 1)
    pay_date = serializers.DateField()
    transfer_ref = serializers.CharField(max_length=60, required=False, allow_blank=True, default="")


class WorkshopViewSet(ScopedViewSet):
    """Workshops the caller's grants show (or that they manage)."""
    queryset = Workshop.objects.all()
    serializer_class = WorkshopSerializer
    http_method_names = ["get", "head", "options"]
    filterset_fields = ["division", "status"]

    def scope_queryset(self, qs):
        return qs.select_related("operator", "site", "kind").prefetch_related("jobs").order_by("pk")


class WorkerViewSet(ScopedViewSet):
    """Workers of the workshops (persons on the register); added through the service (age, contract)."""
    queryset = Worker.objects.all()
    serializer_class = WorkerSerializer
    http_method_names = ["get", "post", "head", "options"]
    filterset_fields = ["workshop"]

    def scope_queryset(self, qs):
        return qs.select_related("person", "workshop__division").order_by("pk")

    def list(self, request, *args, **kwargs):
        response = super().list(request, *args, **kwargs)
        audit_access(request=request, action=AccessLog.Action.LIST, model=WORKER,
                     object_ids=[r["id"] for r in response.data["results"]], fields=["name", "id_number_masked"])
        return response

    def retrieve(self, request, *args, **kwargs):
        response = super().retrieve(request, *args, **kwargs)
        audit_access(request=request, action=AccessLog.Action.VIEW, model=WORKER, object_ids=[response.data["id"]],
                     fields=["name", "id_number_masked"])
        return response


class WorkRecordViewSet(ScopedViewSet):
    """Piece and day records: created (POST), confirmed or reversed; never changed or deleted. A
    duplicate within the interval and a day without contract are refused with a 400."""
    queryset = WorkRecord.objects.all()
    serializer_class = WorkRecordSerializer
    http_method_names = ["get", "post", "head", "options"]
    filterset_fields = ["worker", "job", "date", "status"]

    def scope_queryset(self, qs):
        return qs.select_related("worker__workshop__division", "job").order_by("-date", "-pk")

    @extend_schema(request=None, responses=WorkRecordSerializer)
    @action(detail=True, methods=["post"])
    def confirm(self, request, pk=None):
        record = services.record_confirm(by=request.user, record=self.get_object())
        return Response(WorkRecordSerializer(record, context={"request": request}).data)

    @extend_schema(request=ReversalSerializer, responses=WorkRecordSerializer)
    @action(detail=True, methods=["post"])
    def reverse(self, request, pk=None):
        data = ReversalSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        record = services.record_reverse(by=request.user, record=self.get_object(),
                                         reason=data.validated_data["reason"])
        return Response(WorkRecordSerializer(record, context={"request": request}).data, status=201)


class PayRunViewSet(ScopedViewSet):
    """Pay runs: computed once per workshop and month after it ends (POST); the wage ledger rows
    (ID numbers masked, the read audited); a payment recorded with its bank transfer reference."""
    queryset = PayRun.objects.all()
    serializer_class = PayRunSerializer
    http_method_names = ["get", "post", "head", "options"]
    filterset_fields = ["workshop", "cycle"]

    def scope_queryset(self, qs):
        return qs.select_related("workshop__division").order_by("-cycle", "pk")

    @extend_schema(request=None, responses=LedgerRowSerializer(many=True))
    @action(detail=True, methods=["get"])
    def rows(self, request, pk=None):
        rows = list(self.get_object().rows.order_by("name", "pk")[:500])
        audit_access(request=request, action=AccessLog.Action.LIST, model=LEDGER, object_ids=[r.pk for r in rows],
                     fields=["name", "id_number_masked", "phone", "pay"])
        return Response(LedgerRowSerializer(rows, many=True).data)

    @extend_schema(request=PaymentSerializer, responses=LedgerRowSerializer)
    @action(detail=True, methods=["post"])
    def pay(self, request, pk=None):
        run = self.get_object()
        data = PaymentSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        row = run.rows.filter(pk=data.validated_data["row"]).first()
        if row is None:
            raise serializers.ValidationError({"row": [_("Not a row of this pay run.")]})
        row = services.ledger_row_pay(by=request.user, row=row, pay_date=data.validated_data["pay_date"],
                                      transfer_ref=data.validated_data["transfer_ref"])
        return Response(LedgerRowSerializer(row).data)


def register(router):
    router.register("workshops/workshops", WorkshopViewSet, basename="workshops-workshop")
    router.register("workshops/workers", WorkerViewSet, basename="workshops-worker")
    router.register("workshops/records", WorkRecordViewSet, basename="workshops-record")
    router.register("workshops/pay-runs", PayRunViewSet, basename="workshops-payrun")
