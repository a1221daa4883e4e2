from django.contrib import admin

from linli.volunteers.models import (
    Certificate,
    PointsEntry,
    PointsRule,
    Redemption,
    Reward,
    ServiceRecord,
    Shift,
    ShiftSignup,
    Team,
    Volunteer,
)


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "name_en", "kind", "order"]


@admin.register(PointsRule)
class PointsRuleAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "points", "per_hour", "active"]


@admin.register(Reward)
class RewardAdmin(admin.ModelAdmin):
    list_display = ["name", "division", "cost", "stock", "active"]
    list_filter = ["active"]


@admin.register(Volunteer)
class VolunteerAdmin(admin.ModelAdmin):
    list_display = ["number", "person", "division", "active", "background_checked_on"]
    search_fields = ["number", "person__name"]
    raw_id_fields = ["person", "division"]
    filter_horizontal = ["teams"]


@admin.register(Shift)
class ShiftAdmin(admin.ModelAdmin):
    list_display = ["occurrence", "role", "needed", "start", "end"]
    raw_id_fields = ["occurrence"]


class ReadOnly(admin.ModelAdmin):
    """Records that change only through the services (verification, ledger, redemption)."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ShiftSignup)
class ShiftSignupAdmin(ReadOnly):
    list_display = ["shift", "volunteer", "status", "checked_in_at", "checked_out_at"]


@admin.register(ServiceRecord)
class ServiceRecordAdmin(ReadOnly):
    list_display = ["volunteer", "content", "start", "hours", "source", "status", "verified_by"]
    list_filter = ["status", "source"]


@admin.register(PointsEntry)
class PointsEntryAdmin(ReadOnly):
    list_display = ["volunteer", "amount", "kind", "note", "created_at"]
    list_filter = ["kind"]


@admin.register(Redemption)
class RedemptionAdmin(ReadOnly):
    list_display = ["volunteer", "reward", "quantity", "points", "created_at"]


@admin.register(Certificate)
class CertificateAdmin(ReadOnly):
    list_display = ["number", "volunteer", "hours", "issued_at", "issued_by"]
