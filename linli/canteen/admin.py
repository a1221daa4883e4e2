from django.contrib import admin

from .models import (
    Canteen,
    Delivery,
    DeliveryRoute,
    DeliveryRun,
    Diner,
    HealthCheck,
    Meal,
    MenuDish,
    Order,
    Purchase,
    Sample,
    Settlement,
    TierRule,
)


@admin.register(Canteen)
class CanteenAdmin(admin.ModelAdmin):
    list_display = ["name", "site", "meal_price", "permit_number", "permit_expires"]


@admin.register(TierRule)
class TierRuleAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "county", "min_age", "amount_per_meal", "valid_from", "valid_to"]


@admin.register(Diner)
class DinerAdmin(admin.ModelAdmin):
    list_display = ["person", "canteen", "delivery", "registered_at"]
    raw_id_fields = ["person"]
    readonly_fields = ["consent_at", "consent_by", "consent_version"]


@admin.register(Meal)
class MealAdmin(admin.ModelAdmin):
    """Read only: meal records are reversed through the counter, never changed here."""
    list_display = ["date", "slot", "canteen", "diner", "subsidy", "paid", "method", "reverses"]
    list_filter = ["slot", "method"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False


for model in (MenuDish, Order, DeliveryRoute, DeliveryRun, Delivery, HealthCheck, Sample, Purchase):
    admin.site.register(model)


@admin.register(Settlement)
class SettlementAdmin(admin.ModelAdmin):
    list_display = ["canteen", "period_start", "period_end", "subsidy", "issued_at"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
