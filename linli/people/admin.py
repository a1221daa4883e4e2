from django.contrib import admin

from linli.core.models import AccessLog
from linli.people.audit import log_persons
from linli.people.models import CareTag, Household, Membership, Person


@admin.register(CareTag)
class CareTagAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "name_en", "visit_every_days"]


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    raw_id_fields = ["person"]


@admin.register(Household)
class HouseholdAdmin(admin.ModelAdmin):
    list_display = ["address", "division", "is_demo"]
    list_filter = ["division__level", "is_demo"]
    search_fields = ["address"]
    raw_id_fields = ["division"]
    inlines = [MembershipInline]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("division")


@admin.register(Person)
class PersonAdmin(admin.ModelAdmin):
    """Never shows the ciphertext, the index or the full phone: set numbers through the pages or API."""

    list_display = ["name", "sex", "birth_date", "id_number_masked", "masked_phone", "division"]
    list_filter = ["sex", "care_tags", "is_demo"]
    search_fields = ["name"]
    fields = ["name", "sex", "birth_date", "id_number_masked", "masked_phone", "division", "user", "care_tags"]
    readonly_fields = ["id_number_masked", "masked_phone"]
    raw_id_fields = ["division", "user"]
    filter_horizontal = ["care_tags"]

    @admin.display(description=Person._meta.get_field("phone").verbose_name)
    def masked_phone(self, obj):
        return obj.phone_masked

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("division")

    def change_view(self, request, object_id, form_url="", extra_context=None):
        if str(object_id).isdigit():
            log_persons(request, action=AccessLog.Action.VIEW, ids=[object_id], fields=self.fields)
        return super().change_view(request, object_id, form_url, extra_context)


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["person", "household", "relation", "start_date", "end_date"]
    list_filter = ["relation"]
    raw_id_fields = ["person", "household"]
