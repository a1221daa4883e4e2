from django.contrib import admin

from linli.divisions.models import Division


@admin.register(Division)
class DivisionAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "level", "parent", "path"]
    list_filter = ["level"]
    search_fields = ["name", "code"]
    readonly_fields = ["path"]
    raw_id_fields = ["parent"]
