from django.contrib import admin

from linli.jobs.models import Job, ScheduleSlot


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    list_display = ("pk", "task", "status", "progress", "attempts", "created_at", "finished_at")
    list_filter = ("status",)
    search_fields = ("task", "key")
    readonly_fields = ("error_detail",)


@admin.register(ScheduleSlot)
class ScheduleSlotAdmin(admin.ModelAdmin):
    list_display = ("name", "slot", "job")
