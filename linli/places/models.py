from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from linli.core.scoping import ScopedQuerySet


class Site(models.Model):
    """A place where services are offered: a neighborhood center (邻里中心) or another place, and its
    civilization-practice role: the community's station (站) or a point (点) under it — 一站多点."""

    class PracticeRole(models.TextChoices):
        STATION = "station", _("Station (站)")
        POINT = "point", _("Point (点)")
        NONE = "none", _("None")

    class Placement(models.TextChoices):
        RESIDENTIAL_COMPOUND = "residential_compound", _("Inside a residential compound (居民小区内)")
        PARTY_MASS_CENTER = "party_mass_center", _("Combined with the Party-and-mass service center (与党群服务中心整合)")
        OTHER = "other", _("Other")

    name = models.CharField(pgettext_lazy("of a place or organisation", "name"), max_length=100)
    division = models.ForeignKey("divisions.Division", verbose_name=_("community"),
                                 on_delete=models.PROTECT, related_name="sites")
    is_neighborhood_center = models.BooleanField(_("neighborhood center (邻里中心)"), default=False)
    practice_role = models.CharField(_("civilization-practice role"), max_length=10,
                                     choices=PracticeRole.choices, default=PracticeRole.NONE)
    station = models.ForeignKey("self", verbose_name=_("station"), null=True, blank=True,
                                on_delete=models.PROTECT, related_name="points",
                                limit_choices_to={"practice_role": "station"})
    placement = models.CharField(_("placement"), max_length=30, choices=Placement.choices,
                                 default=Placement.OTHER)
    address = models.CharField(_("address"), max_length=200)
    lat = models.FloatField(_("latitude (WGS-84)"), null=True, blank=True)
    lng = models.FloatField(_("longitude (WGS-84)"), null=True, blank=True)
    floor_area_m2 = models.DecimalField(_("floor area (m²)"), max_digits=8, decimal_places=1,
                                        null=True, blank=True, validators=[MinValueValidator(0)])
    contact_name = models.CharField(_("contact person"), max_length=50, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=30, blank=True)
    description = models.TextField(_("description"), blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_field = "division"
    scope_public_upward = True

    class Meta:
        verbose_name = _("site")
        verbose_name_plural = _("sites")
        ordering = ["division__path", "-is_neighborhood_center", "name"]
        constraints = [
            models.UniqueConstraint(fields=["division"], condition=Q(practice_role="station"),
                                    name="site_one_station_per_community",
                                    violation_error_message=_("This community already has a station.")),
            models.CheckConstraint(condition=Q(practice_role="point") | Q(station__isnull=True),
                                   name="site_only_points_have_station",
                                   violation_error_message=_("Only a point belongs to a station.")),
        ]

    def __str__(self):
        return self.name


class OpeningHours(models.Model):
    """One opening interval on a weekday (0 = Monday). A weekday may have several (e.g. a lunch break)."""

    site = models.ForeignKey(Site, verbose_name=_("site"), on_delete=models.CASCADE, related_name="opening_hours")
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=[
        (0, _("Monday")), (1, _("Tuesday")), (2, _("Wednesday")), (3, _("Thursday")),
        (4, _("Friday")), (5, _("Saturday")), (6, _("Sunday"))])
    opens = models.TimeField(_("opens"))
    closes = models.TimeField(_("closes"))

    class Meta:
        verbose_name = _("opening hours")
        verbose_name_plural = _("opening hours")
        ordering = ["weekday", "opens"]
        constraints = [models.CheckConstraint(condition=Q(closes__gt=models.F("opens")),
                                              name="opening_closes_after_opens")]

    def __str__(self):
        return f"{self.get_weekday_display()} {self.opens:%H:%M}–{self.closes:%H:%M}"


class OpeningException(models.Model):
    """A date with different hours: closed (a holiday) or open at other times."""

    site = models.ForeignKey(Site, verbose_name=_("site"), on_delete=models.CASCADE,
                             related_name="opening_exceptions")
    date = models.DateField(_("date"))
    closed = models.BooleanField(_("closed all day"), default=True)
    opens = models.TimeField(_("opens"), null=True, blank=True)
    closes = models.TimeField(_("closes"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("opening exception")
        verbose_name_plural = _("opening exceptions")
        ordering = ["date"]
        constraints = [models.UniqueConstraint(fields=["site", "date"], name="opening_exception_once_a_day")]

    def __str__(self):
        return f"{self.site} {self.date:%Y-%m-%d}"


class Room(models.Model):
    class Function(models.TextChoices):
        CONVENIENCE = "convenience", _("Convenience services (便民服务)")
        CLASSROOM = "classroom", _("Four-thirty classroom (四点半课堂)")
        LECTURE_HALL = "lecture_hall", _("Theory lecture hall / Xuexi Qiangguo study room (理论讲堂)")
        VOLUNTEER_STATION = "volunteer_station", _("Volunteer service station (志愿服务站)")
        NIGHT_TALK = "night_talk", _("City night talks (城市夜话)")
        CANTEEN = "canteen", _("Filial elderly canteen (孝老食堂)")
        WORKSHOP = "workshop", _("Poverty-alleviation workshop (扶贫车间)")
        BOOK_BAR = "book_bar", _("Book bar (书吧)")
        CALLIGRAPHY = "calligraphy", _("Calligraphy and painting room (书画室)")
        DANCE = "dance", _("Dance room (舞蹈房)")
        CUSTOM = "custom", _("Other (custom)")

    site = models.ForeignKey(Site, verbose_name=_("site"), on_delete=models.CASCADE, related_name="rooms")
    name = models.CharField(pgettext_lazy("of a place or organisation", "name"), max_length=100)
    function = models.CharField(_("function"), max_length=20, choices=Function.choices)
    custom_function = models.CharField(_("custom function"), max_length=50, blank=True)
    capacity = models.PositiveIntegerField(_("capacity (people)"), null=True, blank=True)
    area_m2 = models.DecimalField(_("area (m²)"), max_digits=7, decimal_places=1, null=True, blank=True,
                                  validators=[MinValueValidator(0)])
    bookable = models.BooleanField(_("bookable"), default=True)
    requires_approval = models.BooleanField(_("bookings need approval"), default=False)
    max_booking_hours = models.PositiveSmallIntegerField(_("longest booking (hours)"), default=4)

    objects = ScopedQuerySet.as_manager()
    scope_field = "site__division"
    scope_public_upward = True

    class Meta:
        verbose_name = _("room")
        verbose_name_plural = _("rooms")
        ordering = ["site", "name"]

    def __str__(self):
        return f"{self.site} · {self.name}"

    @property
    def function_label(self) -> str:
        return self.custom_function if self.function == self.Function.CUSTOM and self.custom_function \
            else self.get_function_display()


class BookingSeries(models.Model):
    """A recurring booking: the same times on chosen weekdays between two dates, cancellable as one."""

    room = models.ForeignKey(Room, verbose_name=_("room"), on_delete=models.CASCADE, related_name="series")
    booked_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("booked by"),
                                  on_delete=models.PROTECT, related_name="booking_series")
    purpose = models.CharField(_("purpose"), max_length=200)
    weekdays = models.JSONField(_("weekdays"), default=list)
    start_date = models.DateField(_("first date"))
    end_date = models.DateField(_("last date"))
    start_time = models.TimeField(_("from"))
    end_time = models.TimeField(_("to"))
    created_at = models.DateTimeField(auto_now_add=True)
    # Dates that could not be booked and why ({"date": ..., "reason": ...}), like respa's report.
    skipped = models.JSONField(_("dates not booked"), default=list, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_field = "room__site__division"
    scope_roles = ("county_admin", "community_staff", "site_manager")

    class Meta:
        verbose_name = _("booking series")
        verbose_name_plural = _("booking series")
        ordering = ["-start_date", "-pk"]

    def __str__(self):
        return f"{self.room} · {self.purpose}"

    @classmethod
    def scope_own(cls, user):
        return Q(booked_by=user)


class Booking(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Awaiting approval")
        CONFIRMED = "confirmed", _("Confirmed")
        REJECTED = "rejected", _("Rejected")
        CANCELLED = "cancelled", _("Cancelled")

    room = models.ForeignKey(Room, verbose_name=_("room"), on_delete=models.CASCADE, related_name="bookings")
    series = models.ForeignKey(BookingSeries, verbose_name=_("series"), null=True, blank=True,
                               on_delete=models.CASCADE, related_name="bookings")
    booked_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("booked by"),
                                  on_delete=models.PROTECT, related_name="bookings")
    purpose = models.CharField(_("purpose"), max_length=200)
    attendees = models.PositiveIntegerField(_("expected attendees"), null=True, blank=True)
    start = models.DateTimeField(_("start"))
    end = models.DateTimeField(_("end"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("decided by"), null=True,
                                   blank=True, on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    cancelled_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("cancelled by"), null=True,
                                     blank=True, on_delete=models.SET_NULL, related_name="+")
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    # Set when the booking holds the room for an activity date (made by activities.services through
    # room_hold): it moves and is cancelled with the date, never on its own.
    occurrence = models.ForeignKey("activities.Occurrence", verbose_name=_("activity date"), null=True,
                                   blank=True, editable=False, on_delete=models.CASCADE, related_name="bookings")

    objects = ScopedQuerySet.as_manager()
    scope_field = "room__site__division"
    scope_roles = ("county_admin", "community_staff", "site_manager")

    class Meta:
        verbose_name = _("booking")
        verbose_name_plural = _("bookings")
        ordering = ["start"]
        indexes = [models.Index(fields=["room", "start", "end"], name="booking_room_time")]
        constraints = [models.CheckConstraint(condition=Q(end__gt=models.F("start")),
                                              name="booking_ends_after_start"),
                       models.UniqueConstraint(fields=["occurrence"], condition=Q(status="confirmed"),
                                               name="booking_one_hold_per_occurrence")]

    def __str__(self):
        return f"{self.room} {self.start:%Y-%m-%d %H:%M}"

    @property
    def is_activity_hold(self) -> bool:
        return self.occurrence_id is not None

    @classmethod
    def scope_own(cls, user):
        return Q(booked_by=user)
