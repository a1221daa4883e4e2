"""Jobs: work that runs in a worker process, not in the request (see docs/decisions/0011-jobs-database-queue.md).

A Job row is the queue entry, its lock and its record at once: workers claim queued rows, beat while
they run, and write the outcome; pages read progress and errors from the same row."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from linli.accounts.models import Role
from linli.core.scoping import ScopedQuerySet


class Job(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", pgettext_lazy("job status", "Queued")
        RUNNING = "running", pgettext_lazy("job status", "Running")
        DONE = "done", pgettext_lazy("job status", "Done")
        FAILED = "failed", pgettext_lazy("job status", "Failed")
        DEAD = "dead", pgettext_lazy("job status", "Gave up")
        CANCELLED = "cancelled", pgettext_lazy("job status", "Cancelled")

    OVER = (Status.DONE, Status.FAILED, Status.DEAD, Status.CANCELLED)

    task = models.CharField(_("task"), max_length=200)
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    # What the job works on ("grids.import:12"), so a page can find the job of its record.
    key = models.CharField(pgettext_lazy("job", "key"), max_length=200, blank=True, db_index=True)
    schedule = models.CharField(_("schedule entry"), max_length=100, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(_("progress"), default=0)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    max_attempts = models.PositiveSmallIntegerField(_("attempts allowed"), default=5)
    run_after = models.DateTimeField(_("not before"), default=timezone.now)
    heartbeat_at = models.DateTimeField(_("last sign of life"), null=True, blank=True)
    worker = models.CharField(_("worker"), max_length=120, blank=True)
    cancel_requested = models.BooleanField(default=False)
    result = models.JSONField(_("result"), null=True, blank=True)
    # The error is kept as a key and parameters, translated when shown (linli.jobs.errors).
    error_key = models.CharField(max_length=40, blank=True)
    error_params = models.JSONField(default=dict, blank=True)
    error_detail = models.TextField(blank=True)  # the exception as raised, for administrators
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", verbose_name=_("started by"))
    division = models.ForeignKey("divisions.Division", null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="+", verbose_name=_("division"))
    created_at = models.DateTimeField(_("queued at"), default=timezone.now)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_field = "division"
    scope_roles = Role.STAFF

    @staticmethod
    def scope_own(user):
        return Q(created_by_id=user.pk)

    class Meta:
        verbose_name = _("job")
        verbose_name_plural = _("jobs")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["status", "run_after"]), models.Index(fields=["-created_at"])]

    def __str__(self):
        return f"{self.task} #{self.pk} ({self.status})"

    @property
    def name(self) -> str:
        from linli.jobs.errors import task_label

        return task_label(self.task)

    @property
    def error_message(self) -> str:
        from linli.jobs.errors import message

        return message(self.error_key, self.error_params) if self.error_key else ""

    @property
    def is_over(self) -> bool:
        return self.status in self.OVER


class ScheduleSlot(models.Model):
    """One row per schedule entry and slot: the unique pair is what makes a slot run once, however
    many workers look at the clock."""

    name = models.CharField(max_length=100)
    slot = models.DateTimeField()
    job = models.ForeignKey(Job, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["name", "slot"], name="jobs_one_run_per_slot")]

    def __str__(self):
        return f"{self.name} @ {self.slot:%Y-%m-%d %H:%M}"


class Export(models.Model):
    """A file built by a job for the user who asked for it (a ledger, a register, the audit trail): the
    job builds it in that user's scope and stores it on the default storage under a name nobody can
    guess; only that user downloads it, each download audited, until it expires (linli.jobs.exports)."""

    token = models.CharField(max_length=64, unique=True, editable=False)
    builder = models.CharField(max_length=200)  # dotted path of the function that builds the file
    params = models.JSONField(default=dict, blank=True)
    title = models.CharField(pgettext_lazy("export", "title"), max_length=200)
    language = models.CharField(max_length=10, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+",
                                   verbose_name=_("asked by"))
    job = models.ForeignKey(Job, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    file_name = models.CharField(max_length=300, blank=True)  # on the default storage; "" until built
    download_name = models.CharField(max_length=200, blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    size = models.PositiveIntegerField(default=0)
    # What the file holds, written to the access log at every download.
    audit_model = models.CharField(max_length=100, blank=True)
    audit_ids = models.JSONField(default=list, blank=True)
    audit_fields = models.JSONField(default=list, blank=True)
    audit_query = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    ready_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = _("export")
        verbose_name_plural = _("exports")
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.title} #{self.pk}"

    @property
    def is_ready(self) -> bool:
        return bool(self.file_name)

    @property
    def is_expired(self) -> bool:
        return self.expires_at <= timezone.now()
