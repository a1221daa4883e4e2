from django.contrib import admin

from linli.activities.models import Activity, Delivery, Method, Occurrence, Platform, Registration, Review


@admin.register(Platform, Method, Delivery)
class TaxonAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "name_en", "order", "active"]
    list_editable = ["order", "active"]


class OccurrenceInline(admin.TabularInline):
    model = Occurrence
    fields = ["start", "end", "room", "capacity", "status", "is_modified"]
    # Times, room and status change through the services, which move or free the room's hold with them.
    readonly_fields = ["start", "end", "room", "status", "is_modified"]
    extra = 0
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Activity)
class ActivityAdmin(admin.ModelAdmin):
    list_display = ["title", "site", "platform", "method", "delivery", "recurrence", "capacity"]
    list_filter = ["platform", "method", "delivery", "recurrence"]
    search_fields = ["title", "site__name"]
    raw_id_fields = ["site", "room", "created_by"]
    filter_horizontal = ["organizers"]
    inlines = [OccurrenceInline]


@admin.register(Registration)
class RegistrationAdmin(admin.ModelAdmin):
    """Read-only: sign-ups change through the services (capacity and waitlist rules)."""
    list_display = ["occurrence", "person", "status", "created_at", "checked_in_at", "walk_in"]
    list_filter = ["status", "walk_in"]
    raw_id_fields = ["occurrence", "person", "registered_by", "checked_in_by"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Review)
class ReviewAdmin(admin.ModelAdmin):
    list_display = ["occurrence", "rating", "comment", "created_at"]
    raw_id_fields = ["registration", "occurrence"]
