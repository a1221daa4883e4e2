from django.contrib import admin

from linli.notifications.models import Delivery, Notification, Preference


class DeliveryInline(admin.TabularInline):
    model = Delivery
    fields = ["channel", "status", "attempts", "error", "next_attempt_at", "sent_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    """The delivery log: what was sent to whom, on which channels, and what failed."""

    list_display = ["created_at", "recipient", "key", "subject", "language", "safety", "read_at", "fallback_at"]
    list_filter = ["key", "safety", "language"]
    search_fields = ["subject", "recipient__username", "dedup_key"]
    raw_id_fields = ["recipient"]
    readonly_fields = ["recipient", "key", "params", "language", "subject", "body", "link", "safety", "dedup_key",
                       "render_note", "shown", "read_at", "fallback_at"]
    inlines = [DeliveryInline]


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ["created_at", "notification", "channel", "status", "attempts", "error", "next_attempt_at"]
    list_filter = ["channel", "status"]
    raw_id_fields = ["notification"]
    readonly_fields = ["notification", "channel", "address", "attempts", "sent_at"]


@admin.register(Preference)
class PreferenceAdmin(admin.ModelAdmin):
    list_display = ["user", "language", "sms", "wechat", "email", "quiet_start", "quiet_end"]
    raw_id_fields = ["user"]
