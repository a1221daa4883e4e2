from django.contrib import admin

from .models import (
    Job,
    LedgerRow,
    PayRun,
    Rate,
    Review,
    RuleSet,
    SubsidyApplication,
    Worker,
    WorkRecord,
    Workshop,
    WorkshopKind,
)


class ReadOnly(admin.ModelAdmin):
    """Records written by the services only (pay runs, the wage ledger, work records, reviews,
    applications): the admin shows them, never changes or deletes them."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(RuleSet)
class RuleSetAdmin(ReadOnly):
    """Dated thresholds: set through rule_set_create (overlaps refused), shown here."""
    list_display = ["county", "valid_from", "valid_to", "min_poor_workers", "count_after_days", "count_after_income",
                    "ledger_retention_years"]


@admin.register(WorkshopKind)
class WorkshopKindAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "name_en", "home_based"]


@admin.register(Workshop)
class WorkshopAdmin(ReadOnly):
    list_display = ["name", "operator", "division", "kind", "status", "insurance_expires"]
    list_filter = ["status", "kind"]


@admin.register(Job)
class JobAdmin(ReadOnly):
    list_display = ["name", "workshop", "pay_kind", "unit", "active"]


@admin.register(Rate)
class RateAdmin(ReadOnly):
    list_display = ["job", "amount", "valid_from", "valid_to"]


@admin.register(Worker)
class WorkerAdmin(ReadOnly):
    list_display = ["person", "workshop", "contract_kind", "started_on", "ended_on"]
    raw_id_fields = ["person"]


@admin.register(WorkRecord)
class WorkRecordAdmin(ReadOnly):
    list_display = ["date", "worker", "job", "quantity", "status", "source", "reverses"]
    list_filter = ["status", "source"]


@admin.register(PayRun)
class PayRunAdmin(ReadOnly):
    list_display = ["workshop", "cycle", "workers", "gross", "net", "due_on", "paid_at", "flagged_at"]


@admin.register(LedgerRow)
class LedgerRowAdmin(ReadOnly):
    list_display = ["cycle", "name", "id_number_masked", "gross", "deductions", "net", "pay_date"]
    exclude = ["id_number_encrypted"]


@admin.register(Review)
class ReviewAdmin(ReadOnly):
    list_display = ["workshop", "quarter", "state", "grace_until"]


@admin.register(SubsidyApplication)
class SubsidyApplicationAdmin(ReadOnly):
    list_display = ["workshop", "kind", "period_start", "period_end", "amount", "status", "submitted_at"]
