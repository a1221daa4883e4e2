"""Grids that reach every household: who works each grid and when, visits to households, campaigns and
their per-household reach, and the register imports that brought households in.

Grid boundaries are not a model of their own: they live on `Division.boundary` (GeoJSON, WGS-84), the
same field the map already draws; `services.grid_boundary_set` is the only writer that validates them.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from linli.core.scoping import ScopedQuerySet
from linli.people.models import PEOPLE_ROLES


class GridAssignment(models.Model):
    """A user designated to work a grid (网格员, or a deputy) from a date, until a date."""

    class Kind(models.TextChoices):
        WORKER = "worker", _("Grid worker (网格员)")
        DEPUTY = "deputy", _("Deputy (协管员)")

    # Deleting a grid or a user takes its assignments with it (the demo wipe relies on this).
    grid = models.ForeignKey("divisions.Division", verbose_name=_("grid"), on_delete=models.CASCADE,
                             related_name="grid_assignments", limit_choices_to={"level": "grid"})
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE,
                             related_name="grid_assignments")
    kind = models.CharField(_("as"), max_length=10, choices=Kind.choices, default=Kind.WORKER)
    start_date = models.DateField(_("from"))
    end_date = models.DateField(_("until"), null=True, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_field = "grid"

    class Meta:
        verbose_name = _("grid assignment")
        verbose_name_plural = _("grid assignments")
        ordering = ["grid__path", "kind", "start_date"]
        constraints = [
            models.UniqueConstraint(fields=["grid", "user"], condition=Q(end_date__isnull=True),
                                    name="grid_assignment_one_current_per_user"),
        ]

    def __str__(self):
        return f"{self.user} · {self.grid}"

    @property
    def is_current(self) -> bool:
        today = timezone.localdate()
        return self.start_date <= today and (self.end_date is None or self.end_date >= today)

    @classmethod
    def scope_own(cls, user):
        return Q(user=user)


class Visit(models.Model):
    """A door-to-door visit (走访) to a household, recorded once by whoever made it."""

    household = models.ForeignKey("people.Household", verbose_name=_("household"), on_delete=models.CASCADE,
                                  related_name="visits")
    # The household's grid when the visit was made: the visit stays with that grid if the household moves.
    division = models.ForeignKey("divisions.Division", verbose_name=_("grid or community"),
                                 on_delete=models.CASCADE, related_name="+")
    visited_on = models.DateField(_("date"))
    met = models.ForeignKey("people.Person", verbose_name=_("who was met"), null=True, blank=True,
                            on_delete=models.SET_NULL, related_name="+")
    nobody_home = models.BooleanField(_("nobody at home"), default=False)
    notes = models.TextField(_("notes"), blank=True, max_length=2000)
    needs = models.TextField(_("needs found"), blank=True, max_length=2000)
    photo = models.FileField(_("photo"), upload_to="visits/%Y/%m/", blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), null=True,
                                    on_delete=models.SET_NULL, related_name="+")
    # Made by the client (the form, or a phone that was offline): resubmitting returns the same visit.
    submission_key = models.UUIDField(_("submission key"), default=uuid.uuid4, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    scope_field = "division"
    scope_roles = PEOPLE_ROLES

    class Meta:
        verbose_name = _("visit")
        verbose_name_plural = _("visits")
        ordering = ["-visited_on", "-pk"]
        # Lists are newest first, (date, id): on the date index alone the last day's visits (1,400 a day
        # in the large county) were sorted for every page, and a grid's two years of visits for its own.
        indexes = [models.Index(fields=["household", "-visited_on"], name="visit_household_latest"),
                   models.Index(fields=["-visited_on", "-id"], name="visit_newest"),
                   models.Index(fields=["division", "-visited_on", "-id"], name="visit_division_newest")]

    def __str__(self):
        return f"{self.visited_on} · {self.household}"


class Campaign(models.Model):
    """A notice or checklist that must reach every household in its scope (不遗漏一家一户)."""

    class Method(models.TextChoices):
        VISIT = "visit", _("Home visit")
        PHONE = "phone", _("Phone call")
        WECHAT = "wechat", _("WeChat group")
        NOTICE_BOARD = "notice_board", _("Notice board")

    title = models.CharField(_("title"), max_length=120)
    content = models.TextField(pgettext_lazy("grids", "content"), max_length=5000)
    # The division that runs the campaign; deleting it (only the demo wipe does) removes the campaign.
    division = models.ForeignKey("divisions.Division", verbose_name=_("run by"), on_delete=models.CASCADE,
                                 related_name="+")
    scope = models.ManyToManyField("divisions.Division", verbose_name=_("scope"), related_name="+",
                                   help_text=_("The households under these divisions must be reached."))
    starts_on = models.DateField(_("starts on"))
    deadline = models.DateField(_("deadline"))
    methods = models.JSONField(_("reach methods allowed"), default=list)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    scope_field = "division"
    # A campaign run above the user's divisions (the county's, for a grid worker) reaches them too.
    scope_public_upward = True

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        ordering = ["-starts_on", "-pk"]

    def __str__(self):
        return self.title

    @property
    def is_running(self) -> bool:
        today = timezone.localdate()
        return self.starts_on <= today <= self.deadline

    def method_labels(self) -> list[str]:
        return [label for _value, label in self.method_choices()]

    def method_choices(self) -> list[tuple[str, str]]:
        labels = dict(self.Method.choices)
        return [(m, str(labels[m])) for m in self.methods if m in labels]


class Reach(models.Model):
    """A household reached by a campaign: once per household; the submission key makes it idempotent."""

    campaign = models.ForeignKey(Campaign, verbose_name=_("campaign"), on_delete=models.CASCADE,
                                 related_name="reaches")
    household = models.ForeignKey("people.Household", verbose_name=_("household"), on_delete=models.CASCADE,
                                  related_name="reaches")
    division = models.ForeignKey("divisions.Division", verbose_name=_("grid or community"),
                                 on_delete=models.CASCADE, related_name="+")
    method = models.CharField(_("method"), max_length=20, choices=Campaign.Method.choices)
    reached_at = models.DateTimeField(_("reached at"))
    note = models.CharField(_("note"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), null=True,
                                    on_delete=models.SET_NULL, related_name="+")
    submission_key = models.UUIDField(_("submission key"), default=uuid.uuid4, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    scope_field = "division"
    scope_roles = PEOPLE_ROLES

    class Meta:
        verbose_name = _("campaign reach")
        verbose_name_plural = _("campaign reaches")
        ordering = ["-reached_at"]
        constraints = [models.UniqueConstraint(fields=["campaign", "household"], name="reach_once_per_household")]

    def __str__(self):
        return f"{self.campaign} · {self.household}"


class RegisterImport(models.Model):
    """An uploaded household-register workbook: previewed, then committed all at once (or not at all).
    The file is kept encrypted until it is committed or discarded, then only its digest and summary.
    The commit runs in a background thread: "committing" while it runs, back to "previewed" with the
    error when it fails (nothing written), "committed" when every row is in."""

    class Status(models.TextChoices):
        PREVIEWED = "previewed", _("Previewed")
        COMMITTING = "committing", _("Importing")
        COMMITTED = "committed", _("Committed")
        DISCARDED = "discarded", _("Discarded")

    file_name = models.CharField(_("file"), max_length=200)
    sha256 = models.CharField(max_length=64, db_index=True)
    payload_encrypted = models.TextField(blank=True, editable=False)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PREVIEWED)
    summary = models.JSONField(_("summary"), default=dict)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"),
                                   on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    committed_at = models.DateTimeField(_("committed at"), null=True, blank=True)
    # When the running commit was claimed: shows a stale one (the process died) and tells a retry's
    # thread from the dead one's.
    commit_started_at = models.DateTimeField(_("import started at"), null=True, blank=True)
    # 100 once committed; while committing, the live percentage is kept in memory (see services).
    progress = models.PositiveSmallIntegerField(_("progress"), default=0)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        verbose_name = _("register import")
        verbose_name_plural = _("register imports")
        ordering = ["-created_at"]

    def __str__(self):
        return self.file_name
