from django.contrib import admin

from linli.places.models import Booking, BookingSeries, OpeningException, OpeningHours, Room, Site


class OpeningHoursInline(admin.TabularInline):
    model = OpeningHours
    extra = 0


class OpeningExceptionInline(admin.TabularInline):
    model = OpeningException
    extra = 0


class RoomInline(admin.TabularInline):
    model = Room
    extra = 0
    fields = ["name", "function", "capacity", "bookable", "requires_approval"]


@admin.register(Site)
class SiteAdmin(admin.ModelAdmin):
    list_display = ["name", "division", "is_neighborhood_center", "practice_role", "placement", "floor_area_m2"]
    list_filter = ["is_neighborhood_center", "practice_role", "placement"]
    search_fields = ["name", "address"]
    raw_id_fields = ["division", "station"]
    inlines = [OpeningHoursInline, OpeningExceptionInline, RoomInline]


@admin.register(Room)
class RoomAdmin(admin.ModelAdmin):
    list_display = ["name", "site", "function", "capacity", "bookable", "requires_approval"]
    list_filter = ["function", "bookable"]
    search_fields = ["name", "site__name"]
    raw_id_fields = ["site"]


@admin.register(Booking)
class BookingAdmin(admin.ModelAdmin):
    list_display = ["room", "start", "end", "status", "booked_by", "purpose"]
    list_filter = ["status"]
    search_fields = ["purpose", "room__name"]
    date_hierarchy = "start"
    # Bookings are made and decided through the services, which enforce the no-overlap rule.
    readonly_fields = ["room", "series", "start", "end", "status", "booked_by", "decided_by", "decided_at",
                       "cancelled_by", "cancelled_at"]

    def has_add_permission(self, request):
        return False


@admin.register(BookingSeries)
class BookingSeriesAdmin(admin.ModelAdmin):
    list_display = ["room", "purpose", "start_date", "end_date", "booked_by"]
    readonly_fields = ["room", "booked_by", "weekdays", "start_date", "end_date", "start_time", "end_time",
                       "skipped"]

    def has_add_permission(self, request):
        return False
