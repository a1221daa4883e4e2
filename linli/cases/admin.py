from django.contrib import admin

from linli.cases.models import ApiKey, Case, CaseEvent, NightTalk, ServiceItem


@admin.register(ServiceItem)
class ServiceItemAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "kind", "group", "open311", "active", "order"]
    list_filter = ["kind", "open311", "active"]


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = ["name", "division", "active", "created_at", "last_used_at"]
    readonly_fields = ["key", "created_at", "last_used_at"]


class EventInline(admin.TabularInline):
    model = CaseEvent
    extra = 0
    can_delete = False
    readonly_fields = ["at", "by", "action", "from_status", "to_status", "note", "public"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Case)
class CaseAdmin(admin.ModelAdmin):
    # Read-only: every change goes through the services so the history stays true.
    list_display = ["pk", "kind", "title", "division", "status", "due_at"]
    list_filter = ["kind", "status"]
    inlines = [EventInline]

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False


@admin.register(NightTalk)
class NightTalkAdmin(admin.ModelAdmin):
    list_display = ["title", "division", "held_at", "attendees"]
