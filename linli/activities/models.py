"""Civilization-practice activities (新时代文明实践活动): the 365 taxonomy as data, activities with their
occurrences (one-off or recurring), registrations with a waitlist, check-in and residents' reviews."""

import secrets

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from linli.core.scoping import ScopedQuerySet

# Who runs activities: verifies hours, checks people in, sees rosters.
ORGANISER_ROLES = ("county_admin", "community_staff", "site_manager")


class Taxon(models.Model):
    """A term of the county's taxonomy, seeded by a data migration and extensible in the admin."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name (Chinese)"), max_length=60)
    name_en = models.CharField(_("name (English)"), max_length=80, blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    active = models.BooleanField(_("in use"), default=True)

    class Meta:
        abstract = True
        ordering = ["order", "code"]

    def __str__(self):
        return self.name_en if (get_language() or "").startswith("en") and self.name_en else self.name


class Platform(Taxon):
    """One of the service platforms (六大服务平台): theory and policy lectures, culture and education …"""

    class Meta(Taxon.Meta):
        verbose_name = _("service platform")
        verbose_name_plural = _("service platforms")


class Method(Taxon):
    """One of the work methods (五项工作法)."""

    class Meta(Taxon.Meta):
        verbose_name = _("work method")
        verbose_name_plural = _("work methods")


class Delivery(Taxon):
    """One of the six deliveries (六送): who delivers what."""

    provider = models.CharField(_("who delivers (Chinese)"), max_length=40, blank=True)

    class Meta(Taxon.Meta):
        verbose_name = _("delivery kind")
        verbose_name_plural = _("delivery kinds")


class Activity(models.Model):
    """An activity at a site: one-off, or a series whose occurrences can each be changed or cancelled."""

    class Kind(models.TextChoices):
        ACTIVITY = "activity", pgettext_lazy("activity kind", "Activity")
        NIGHT_TALK = "night_talk", _("City night talk (城市夜话)")

    class Recurrence(models.TextChoices):
        ONCE = "once", _("Once")
        WEEKLY = "weekly", _("Every week")
        BIWEEKLY = "biweekly", _("Every two weeks")
        MONTHLY = "monthly", _("Every month (same weekday of the month)")

    title = models.CharField(pgettext_lazy("activity", "title"), max_length=120)
    # A night talk is an activity like any other (sign-up, room hold, reminder, ledger); what is special
    # is after it: its minutes and residents' opinions are recorded (cases.services.night_talk_record).
    kind = models.CharField(_("kind of activity"), max_length=20, choices=Kind.choices, default=Kind.ACTIVITY)
    description = models.TextField(_("description"), blank=True)
    site = models.ForeignKey("places.Site", verbose_name=_("site"), on_delete=models.PROTECT,
                             related_name="activities")
    room = models.ForeignKey("places.Room", verbose_name=_("room"), null=True, blank=True,
                             on_delete=models.SET_NULL, related_name="activities")
    platform = models.ForeignKey(Platform, verbose_name=_("service platform"), on_delete=models.PROTECT)
    method = models.ForeignKey(Method, verbose_name=_("work method"), on_delete=models.PROTECT)
    delivery = models.ForeignKey(Delivery, verbose_name=_("six deliveries"), null=True, blank=True,
                                 on_delete=models.PROTECT)
    organizers = models.ManyToManyField("orgs.Organization", verbose_name=_("organisers"), blank=True,
                                        related_name="activities")
    team = models.ForeignKey("volunteers.Team", verbose_name=_("volunteer team"), null=True, blank=True,
                             on_delete=models.SET_NULL, related_name="activities")
    capacity = models.PositiveIntegerField(_("seats"), validators=[MinValueValidator(1)])
    recurrence = models.CharField(_("repeats"), max_length=10, choices=Recurrence.choices,
                                  default=Recurrence.ONCE)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"),
                                   on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    is_demo = models.BooleanField(default=False, editable=False)

    objects = ScopedQuerySet.as_manager()
    scope_field = "site__division"
    # Activities are public within the community: a resident granted at a grid sees them.
    scope_public_upward = True

    class Meta:
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        ordering = ["-created_at"]

    def __str__(self):
        return self.title


class Occurrence(models.Model):
    """One date of an activity. Registrations, check-ins, shifts and reviews hang off it."""

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("Scheduled")
        CANCELLED = "cancelled", _("Cancelled")

    activity = models.ForeignKey(Activity, verbose_name=_("activity"), on_delete=models.CASCADE,
                                 related_name="occurrences")
    start = models.DateTimeField(_("start"))
    end = models.DateTimeField(_("end"))
    room = models.ForeignKey("places.Room", verbose_name=_("room"), null=True, blank=True,
                             on_delete=models.SET_NULL, related_name="+")
    capacity = models.PositiveIntegerField(_("seats"), validators=[MinValueValidator(1)])
    signup_opens = models.DateTimeField(_("sign-up opens"), null=True, blank=True)
    signup_closes = models.DateTimeField(_("sign-up closes"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.SCHEDULED)
    cancel_reason = models.CharField(_("reason for cancelling"), max_length=200, blank=True)
    # Changed on its own, apart from its series.
    is_modified = models.BooleanField(_("changed alone"), default=False)
    # The secret in the door QR code; a code with another secret is a foreign code.
    checkin_token = models.CharField(max_length=32, unique=True, editable=False)

    objects = ScopedQuerySet.as_manager()
    scope_field = "activity__site__division"
    scope_public_upward = True

    class Meta:
        verbose_name = _("occurrence")
        verbose_name_plural = _("occurrences")
        ordering = ["start"]
        # "end" for the dates still to come (end >= now): a list of upcoming dates reads those, not
        # two years of past dates walked in start order.
        indexes = [models.Index(fields=["start"], name="occurrence_start"),
                   models.Index(fields=["end", "start"], name="occurrence_end_start")]
        constraints = [models.CheckConstraint(condition=Q(end__gt=models.F("start")),
                                              name="occurrence_ends_after_start")]

    def __str__(self):
        return f"{self.activity.title} {self.start:%Y-%m-%d}"

    def save(self, *args, **kwargs):
        if not self.checkin_token:
            self.checkin_token = new_token()
        super().save(*args, **kwargs)

    @property
    def is_cancelled(self) -> bool:
        return self.status == self.Status.CANCELLED


def new_token() -> str:
    return secrets.token_urlsafe(18)[:24]


class Registration(models.Model):
    """A person's seat (or place on the waitlist) at an occurrence. Never deleted: cancelling keeps the
    row, so the waitlist order can never be confused by a vanished sign-up."""

    class Status(models.TextChoices):
        CONFIRMED = "confirmed", _("Confirmed")
        WAITLISTED = "waitlisted", _("On the waitlist")
        CANCELLED = "cancelled", _("Cancelled")

    ACTIVE = (Status.CONFIRMED, Status.WAITLISTED)

    occurrence = models.ForeignKey(Occurrence, verbose_name=_("occurrence"), on_delete=models.CASCADE,
                                   related_name="registrations")
    person = models.ForeignKey("people.Person", verbose_name=_("person"), on_delete=models.PROTECT,
                               related_name="registrations")
    status = models.CharField(_("status"), max_length=10, choices=Status.choices)
    registered_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("registered by"), null=True,
                                      on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("signed up at"), auto_now_add=True)
    promoted_at = models.DateTimeField(_("moved off the waitlist at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    walk_in = models.BooleanField(_("walk-in"), default=False)
    checked_in_at = models.DateTimeField(_("checked in at"), null=True, blank=True)
    checked_in_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("checked in by"), null=True,
                                      blank=True, on_delete=models.SET_NULL, related_name="+")
    reminded_at = models.DateTimeField(_("reminded at"), null=True, blank=True, editable=False)
    # The site's community, copied from occurrence → activity → site so a community's registrations
    # are read through an index of their own (docs/performance.md, decision 0026); set on save, and
    # moved with the site (signals.py).
    division = models.ForeignKey("divisions.Division", verbose_name=_("division"), on_delete=models.PROTECT,
                                 related_name="+", editable=False, db_index=False)

    objects = ScopedQuerySet.as_manager()
    scope_field = "division"
    scope_roles = ORGANISER_ROLES

    class Meta:
        verbose_name = _("registration")
        verbose_name_plural = _("registrations")
        ordering = ["pk"]
        indexes = [models.Index(fields=["occurrence", "status"], name="registration_occ_status"),
                   models.Index(fields=["division", "id"], name="registration_division_id")]
        constraints = [models.UniqueConstraint(
            fields=["occurrence", "person"], condition=Q(status__in=["confirmed", "waitlisted"]),
            name="registration_one_active_per_person",
            violation_error_message=_("This person is already signed up."))]

    def __str__(self):
        return f"{self.person} · {self.occurrence}"

    def save(self, *args, **kwargs):
        if self.division_id is None:
            self.division_id = division_of_occurrence(self.occurrence_id)
        super().save(*args, **kwargs)

    @classmethod
    def scope_own(cls, user):
        return Q(person__user=user)


def division_of_occurrence(occurrence_id: int) -> int:
    """The division a registration at this occurrence is scoped by: its site's community."""
    return Occurrence.objects.filter(pk=occurrence_id).values_list("activity__site__division_id", flat=True).get()


class Review(models.Model):
    """A resident's rating of an occurrence they attended (居民互动评议)."""

    registration = models.OneToOneField(Registration, verbose_name=_("registration"), on_delete=models.CASCADE,
                                        related_name="review")
    occurrence = models.ForeignKey(Occurrence, verbose_name=_("occurrence"), on_delete=models.CASCADE,
                                   related_name="reviews")
    rating = models.PositiveSmallIntegerField(_("rating"), validators=[MinValueValidator(1), MaxValueValidator(5)])
    comment = models.TextField(_("comment"), blank=True, max_length=1000)
    created_at = models.DateTimeField(_("written at"), auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    scope_field = "occurrence__activity__site__division"
    scope_roles = ORGANISER_ROLES

    class Meta:
        verbose_name = _("review")
        verbose_name_plural = _("reviews")
        ordering = ["-created_at"]
        constraints = [models.CheckConstraint(condition=Q(rating__gte=1, rating__lte=5), name="review_rating_1_5")]

    def __str__(self):
        return f"{self.occurrence} · {self.rating}"

    @classmethod
    def scope_own(cls, user):
        return Q(registration__person__user=user)
