from django.contrib import admin

from linli.orgs.models import Organization


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "division", "contact_name"]
    list_filter = ["kind"]
    search_fields = ["name", "address"]
    raw_id_fields = ["division"]
