from django.contrib import admin

from linli.grids.models import Campaign, GridAssignment, Reach, RegisterImport, Visit


@admin.register(GridAssignment)
class GridAssignmentAdmin(admin.ModelAdmin):
    list_display = ["grid", "user", "kind", "start_date", "end_date"]
    list_filter = ["kind"]
    raw_id_fields = ["grid", "user"]


@admin.register(Visit)
class VisitAdmin(admin.ModelAdmin):
    list_display = ["visited_on", "household", "division", "recorded_by", "nobody_home"]
    list_filter = ["visited_on"]
    raw_id_fields = ["household", "division", "met", "recorded_by"]
    date_hierarchy = "visited_on"


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = ["title", "division", "starts_on", "deadline"]
    raw_id_fields = ["division", "created_by"]
    filter_horizontal = ["scope"]


@admin.register(Reach)
class ReachAdmin(admin.ModelAdmin):
    list_display = ["campaign", "household", "method", "reached_at", "recorded_by"]
    list_filter = ["method"]
    raw_id_fields = ["campaign", "household", "division", "recorded_by"]


@admin.register(RegisterImport)
class RegisterImportAdmin(admin.ModelAdmin):
    list_display = ["file_name", "status", "created_by", "created_at", "committed_at"]
    readonly_fields = ["file_name", "sha256", "status", "summary", "created_by", "committed_at", "commit_started_at",
                       "progress", "error"]
    exclude = ["payload_encrypted"]
