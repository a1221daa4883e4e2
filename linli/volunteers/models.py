"""Volunteer service (志愿服务): volunteers and teams, shifts on activities, service records verified by
the organiser, stars from confirmed hours, a points ledger and the rewards it buys (爱心超市)."""

import secrets

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from linli.activities.models import ORGANISER_ROLES
from linli.core.scoping import ScopedQuerySet

DEFAULT_STAR_HOURS = (100, 300, 600, 1000, 1500)


def star_thresholds() -> tuple[int, ...]:
    """Confirmed hours for 1–5 stars (星级志愿者); a setting, with the common thresholds as default."""
    return tuple(getattr(settings, "LINLI_VOLUNTEER_STAR_HOURS", DEFAULT_STAR_HOURS))


def stars_for(hours) -> int:
    return sum(1 for t in star_thresholds() if hours >= t)


class Team(models.Model):
    """A volunteer team: the seed's three (党员/青年/巾帼) and professional teams; data, extensible."""

    class Kind(models.TextChoices):
        CORE = "core", _("The three teams (党员/青年/巾帼)")
        PROFESSIONAL = "professional", _("Professional team")
        OTHER = "other", _("Other")

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name (Chinese)"), max_length=60)
    name_en = models.CharField(_("name (English)"), max_length=80, blank=True)
    kind = models.CharField(_("kind"), max_length=15, choices=Kind.choices, default=Kind.OTHER)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("volunteer team")
        verbose_name_plural = _("volunteer teams")
        ordering = ["order", "code"]

    def __str__(self):
        return self.name_en if (get_language() or "").startswith("en") and self.name_en else self.name


class Volunteer(models.Model):
    person = models.OneToOneField("people.Person", verbose_name=_("person"), on_delete=models.PROTECT,
                                  related_name="volunteer")
    division = models.ForeignKey("divisions.Division", verbose_name=_("community"), on_delete=models.PROTECT,
                                 related_name="volunteers")
    number = models.CharField(_("volunteer number"), max_length=30, unique=True, editable=False)
    teams = models.ManyToManyField(Team, verbose_name=_("teams"), blank=True, related_name="volunteers")
    skills = models.CharField(_("skills"), max_length=200, blank=True)
    availability = models.CharField(_("availability"), max_length=200, blank=True,
                                    help_text=_("e.g. weekday evenings, weekends"))
    # Working with minors: a record check before serving children (see REFERENCES, "Working with minors").
    background_checked_on = models.DateField(_("record check done on"), null=True, blank=True)
    joined_at = models.DateTimeField(_("joined at"), auto_now_add=True)
    active = models.BooleanField(pgettext_lazy("volunteer status", "active"), default=True)
    is_demo = models.BooleanField(default=False, editable=False)

    objects = ScopedQuerySet.as_manager()
    scope_field = "division"
    scope_roles = ORGANISER_ROLES

    class Meta:
        verbose_name = _("volunteer")
        verbose_name_plural = _("volunteers")
        ordering = ["number"]

    def __str__(self):
        return f"{self.person.name} ({self.number})"

    @classmethod
    def scope_own(cls, user):
        return Q(person__user=user)


class Shift(models.Model):
    """Volunteers needed at an occurrence: a role and how many."""

    occurrence = models.ForeignKey("activities.Occurrence", verbose_name=_("occurrence"),
                                   on_delete=models.CASCADE, related_name="shifts")
    role = models.CharField(pgettext_lazy("shift", "role"), max_length=60)
    needed = models.PositiveIntegerField(_("volunteers needed"), validators=[MinValueValidator(1)])
    start = models.DateTimeField(_("start"))
    end = models.DateTimeField(_("end"))
    note = models.CharField(_("note"), max_length=200, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_field = "occurrence__activity__site__division"
    scope_public_upward = True

    class Meta:
        verbose_name = _("shift")
        verbose_name_plural = _("shifts")
        ordering = ["start", "pk"]
        constraints = [models.CheckConstraint(condition=Q(end__gt=models.F("start")), name="shift_ends_after_start")]

    def __str__(self):
        return f"{self.occurrence} · {self.role}"

    @property
    def hours(self) -> float:
        return (self.end - self.start).total_seconds() / 3600


class ShiftSignup(models.Model):
    class Status(models.TextChoices):
        CONFIRMED = "confirmed", _("Signed up")
        CANCELLED = "cancelled", _("Cancelled")
        NO_SHOW = "no_show", _("Did not come")

    shift = models.ForeignKey(Shift, verbose_name=_("shift"), on_delete=models.CASCADE, related_name="signups")
    volunteer = models.ForeignKey(Volunteer, verbose_name=_("volunteer"), on_delete=models.PROTECT,
                                  related_name="signups")
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.CONFIRMED)
    assigned_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("assigned by"), null=True,
                                    blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("signed up at"), auto_now_add=True)
    checked_in_at = models.DateTimeField(_("checked in at"), null=True, blank=True)
    checked_out_at = models.DateTimeField(_("checked out at"), null=True, blank=True)
    reminded_at = models.DateTimeField(_("reminded at"), null=True, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_field = "shift__occurrence__activity__site__division"
    scope_roles = ORGANISER_ROLES

    class Meta:
        verbose_name = _("shift sign-up")
        verbose_name_plural = _("shift sign-ups")
        ordering = ["pk"]
        constraints = [models.UniqueConstraint(fields=["shift", "volunteer"], condition=Q(status="confirmed"),
                                               name="shift_signup_once")]

    def __str__(self):
        return f"{self.volunteer} · {self.shift}"

    @classmethod
    def scope_own(cls, user):
        return Q(volunteer__person__user=user)


class ServiceRecord(models.Model):
    """A volunteer service record (志愿服务记录): person, activity, content, time, hours, recorder and
    verifier. A confirmed record is never deleted; a mistake is undone by a reversing record."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Awaiting confirmation")
        CONFIRMED = "confirmed", _("Confirmed")
        REJECTED = "rejected", _("Rejected")

    class Source(models.TextChoices):
        """Where the hours came from; shown on the records, the export and the certificate."""

        CHECKIN = "checkin", _("Check-in and check-out")
        ADMIN = "admin", _("Added by staff")
        REVERSAL = "reversal", _("Reversal")
        ORDER = "order", _("Resident's order")
        CLASSROOM = "classroom", _("Four-thirty classroom session")
        CANTEEN = "canteen", _("Elderly canteen meal delivery")

    volunteer = models.ForeignKey(Volunteer, verbose_name=_("volunteer"), on_delete=models.PROTECT,
                                  related_name="records")
    signup = models.ForeignKey(ShiftSignup, verbose_name=_("shift sign-up"), null=True, blank=True,
                               on_delete=models.PROTECT, related_name="records")
    occurrence = models.ForeignKey("activities.Occurrence", verbose_name=_("activity"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="service_records")
    content = models.CharField(_("service content"), max_length=200)
    start = models.DateTimeField(_("from"))
    end = models.DateTimeField(_("to"))
    hours = models.DecimalField(_("hours"), max_digits=6, decimal_places=2)
    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    reverses = models.OneToOneField("self", verbose_name=_("reverses"), null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="reversed_by")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), null=True,
                                    on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    verified_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("verified by"), null=True,
                                    blank=True, on_delete=models.PROTECT, related_name="+")
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_field = "volunteer__division"
    scope_roles = ORGANISER_ROLES

    class Meta:
        verbose_name = _("service record")
        verbose_name_plural = _("service records")
        ordering = ["-start", "-pk"]
        indexes = [models.Index(fields=["volunteer", "status"], name="record_volunteer_status"),
                   # The records list's order: a page is read from the index, not sorted from all of them.
                   models.Index(fields=["start", "id"], name="record_start_id")]

    def __str__(self):
        return f"{self.volunteer} · {self.content} · {self.hours}"

    @classmethod
    def scope_own(cls, user):
        return Q(volunteer__person__user=user)


class PointsRule(models.Model):
    """How points are earned: per confirmed hour, or a fixed award the county sets (e.g. 优秀志愿者)."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(pgettext_lazy("of a person", "name"), max_length=60)
    points = models.PositiveIntegerField(_("points"))
    per_hour = models.BooleanField(_("per confirmed hour"), default=False)
    active = models.BooleanField(_("in use"), default=True)

    class Meta:
        verbose_name = _("points rule")
        verbose_name_plural = _("points rules")
        ordering = ["code"]

    def __str__(self):
        return self.name


class Reward(models.Model):
    """A reward in the community's love supermarket (爱心超市), bought with points."""

    name = models.CharField(pgettext_lazy("of a person", "name"), max_length=100)
    division = models.ForeignKey("divisions.Division", verbose_name=_("community"), on_delete=models.PROTECT,
                                 related_name="rewards")
    cost = models.PositiveIntegerField(_("points"), validators=[MinValueValidator(1)])
    stock = models.PositiveIntegerField(_("in stock"))
    active = models.BooleanField(_("offered"), default=True)

    objects = ScopedQuerySet.as_manager()
    scope_field = "division"
    scope_public_upward = True  # a resident at a grid sees their community's love supermarket

    class Meta:
        verbose_name = _("reward")
        verbose_name_plural = _("rewards")
        ordering = ["cost", "name"]
        constraints = [models.CheckConstraint(condition=Q(stock__gte=0), name="reward_stock_not_negative")]

    def __str__(self):
        return self.name


class Redemption(models.Model):
    volunteer = models.ForeignKey(Volunteer, verbose_name=_("volunteer"), on_delete=models.PROTECT,
                                  related_name="redemptions")
    reward = models.ForeignKey(Reward, verbose_name=_("reward"), on_delete=models.PROTECT,
                               related_name="redemptions")
    quantity = models.PositiveIntegerField(_("quantity"), default=1)
    points = models.PositiveIntegerField(_("points"))
    created_at = models.DateTimeField(_("redeemed at"), auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("by"), null=True,
                                   on_delete=models.SET_NULL, related_name="+")

    objects = ScopedQuerySet.as_manager()
    scope_field = "volunteer__division"
    scope_roles = ORGANISER_ROLES

    class Meta:
        verbose_name = _("redemption")
        verbose_name_plural = _("redemptions")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.volunteer} · {self.reward} × {self.quantity}"

    @classmethod
    def scope_own(cls, user):
        return Q(volunteer__person__user=user)


class PointsEntry(models.Model):
    """One line of a volunteer's points ledger. The balance is the sum of the lines; never stored."""

    class Kind(models.TextChoices):
        EARNED = "earned", _("Earned for service")
        AWARD = "award", _("Award")
        REDEEMED = "redeemed", _("Redeemed")
        REVERSED = "reversed", _("Reversed")

    volunteer = models.ForeignKey(Volunteer, verbose_name=_("volunteer"), on_delete=models.PROTECT,
                                  related_name="points_entries")
    amount = models.IntegerField(_("points"))
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    rule = models.ForeignKey(PointsRule, verbose_name=_("rule"), null=True, blank=True, on_delete=models.PROTECT)
    record = models.ForeignKey(ServiceRecord, verbose_name=_("service record"), null=True, blank=True,
                               on_delete=models.PROTECT, related_name="points_entries")
    redemption = models.OneToOneField(Redemption, verbose_name=_("redemption"), null=True, blank=True,
                                      on_delete=models.PROTECT, related_name="points_entry")
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("at"), auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("by"), null=True,
                                   on_delete=models.SET_NULL, related_name="+")

    objects = ScopedQuerySet.as_manager()
    scope_field = "volunteer__division"
    scope_roles = ORGANISER_ROLES

    class Meta:
        verbose_name = _("points entry")
        verbose_name_plural = _("points entries")
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.volunteer} {self.amount:+d}"

    @classmethod
    def scope_own(cls, user):
        return Q(volunteer__person__user=user)


def certificate_token() -> str:
    return secrets.token_urlsafe(16)


class Certificate(models.Model):
    """A service record certificate (志愿服务记录证明) issued from confirmed records: a platform record,
    not the national system's certificate. The public verification page shows it by its token."""

    number = models.CharField(_("certificate number"), max_length=30, unique=True, editable=False)
    volunteer = models.ForeignKey(Volunteer, verbose_name=_("volunteer"), on_delete=models.PROTECT,
                                  related_name="certificates")
    hours = models.DecimalField(_("confirmed hours"), max_digits=8, decimal_places=2)
    records = models.PositiveIntegerField(_("records"))
    first_service = models.DateField(_("first service"), null=True, blank=True)
    last_service = models.DateField(_("last service"), null=True, blank=True)
    issuer = models.CharField(_("issuer"), max_length=120)
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=pgettext_lazy("certificate", "handled by"), null=True,
                                  on_delete=models.SET_NULL, related_name="+")
    issued_at = models.DateTimeField(_("issued at"), auto_now_add=True)
    # The confirmed hours by where they came from, as they stood at issue ({source: "hours"}).
    hours_by_source = models.JSONField(_("hours by source"), default=dict, blank=True, editable=False)
    token = models.CharField(max_length=32, unique=True, default=certificate_token, editable=False)

    objects = ScopedQuerySet.as_manager()
    scope_field = "volunteer__division"
    scope_roles = ORGANISER_ROLES

    class Meta:
        verbose_name = _("service record certificate")
        verbose_name_plural = _("service record certificates")
        ordering = ["-issued_at"]

    def __str__(self):
        return self.number

    @classmethod
    def scope_own(cls, user):
        return Q(volunteer__person__user=user)
