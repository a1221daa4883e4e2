"""Stored street networks and coverage runs (the 15-minute resident service circle).

A network's arrays live in one `.npz` file under ``settings.DATA_DIR / "coverage"`` (the engine's own
format, no pickles), named after the record and checked by its SHA-256; the database keeps only the
metadata. A run keeps its parameters and its results: per-household walking minutes and nearest
center as one compressed `.npz` blob (a few bytes per household), and figures, isochrones, clusters
and the siting suggestion as JSON.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from linli.core.scoping import ScopedQuerySet


def network_dir() -> Path:
    return Path(settings.DATA_DIR) / "coverage"


class StreetNetwork(models.Model):
    """A pedestrian street network imported once from OSM or GeoJSON for a county (or a community)."""

    name = models.CharField(pgettext_lazy("of a place or organisation", "name"), max_length=100)
    division = models.ForeignKey("divisions.Division", verbose_name=_("division covered"),
                                 on_delete=models.CASCADE, related_name="street_networks")
    source_name = models.CharField(_("source file"), max_length=255)
    crs = models.CharField(_("source coordinates"), max_length=10, default="wgs84",
                           choices=[("wgs84", "WGS-84"), ("gcj02", _("GCJ-02 (Chinese map apps)"))])
    node_count = models.PositiveIntegerField(_("nodes"), default=0)
    edge_count = models.PositiveIntegerField(_("edges"), default=0)
    component_count = models.PositiveIntegerField(_("connected parts"), default=0)
    length_km = models.FloatField(_("street length (km)"), default=0)
    # [min lon, min lat, max lon, max lat], WGS-84
    bbox = models.JSONField(_("extent"), default=list)
    file_name = models.CharField(max_length=100, editable=False)
    sha256 = models.CharField(max_length=64, editable=False)
    created_at = models.DateTimeField(_("imported at"), auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("imported by"), null=True,
                                   blank=True, on_delete=models.SET_NULL, related_name="+")

    objects = ScopedQuerySet.as_manager()
    scope_field = "division"

    class Meta:
        verbose_name = _("street network")
        verbose_name_plural = _("street networks")
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return self.name

    @property
    def path(self) -> Path:
        return network_dir() / self.file_name


class CoverageRun(models.Model):
    """One computation of walking times from the chosen centers to every household of a division."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        RUNNING = "running", _("Running")
        FINISHED = "finished", _("Finished")
        FAILED = "failed", _("Failed")

    network = models.ForeignKey(StreetNetwork, verbose_name=_("street network"), on_delete=models.CASCADE,
                                related_name="runs")
    division = models.ForeignKey("divisions.Division", verbose_name=_("division measured"),
                                 on_delete=models.CASCADE, related_name="coverage_runs")
    # parameters
    speed_kmh = models.FloatField(_("walking speed (km/h)"))
    thresholds = models.JSONField(_("thresholds (minutes)"), default=list)
    function = models.CharField(_("room function"), max_length=20, blank=True)
    at_label = models.CharField(_("open at"), max_length=40, blank=True)
    at_weekdays = models.JSONField(default=list, blank=True)  # 0 = Monday; empty = any time
    at_date = models.DateField(null=True, blank=True)
    at_time = models.TimeField(null=True, blank=True)
    # progress
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    error = models.TextField(_("error"), blank=True)
    # Set (with status "failed") when the thread computing the run died with its process.
    interrupted = models.BooleanField(_("interrupted"), default=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("started by"), null=True,
                                   blank=True, on_delete=models.SET_NULL, related_name="+")
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    # results
    centers = models.JSONField(_("centers used"), default=list, blank=True)
    figures = models.JSONField(_("figures"), default=dict, blank=True)
    isochrones = models.JSONField(_("isochrones"), null=True, blank=True)
    clusters = models.JSONField(_("uncovered clusters"), default=list, blank=True)
    household_results = models.BinaryField(null=True, blank=True, editable=False)
    # siting (a suggestion computed on demand from this run)
    siting_status = models.CharField(_("siting status"), max_length=10, choices=Status.choices, blank=True)
    siting_progress = models.PositiveSmallIntegerField(default=0)
    siting_error = models.TextField(blank=True)
    siting_interrupted = models.BooleanField(_("siting interrupted"), default=False)
    # The claim of the thread computing the siting: only that thread may write its result.
    siting_started_at = models.DateTimeField(_("siting started at"), null=True, blank=True)
    siting = models.JSONField(_("siting suggestion"), null=True, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_field = "division"

    class Meta:
        verbose_name = _("coverage run")
        verbose_name_plural = _("coverage runs")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["division", "status", "-finished_at"], name="coverage_run_latest")]
        constraints = [models.CheckConstraint(condition=models.Q(progress__lte=100), name="coverage_progress_le_100")]

    def __str__(self):
        return f"{self.division} · {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def is_busy(self) -> bool:
        return self.status in (self.Status.PENDING, self.Status.RUNNING) or self.siting_status in (
            self.Status.PENDING, self.Status.RUNNING)

    @property
    def error_message(self) -> str:
        """Why the run failed, in the reader's language when it was interrupted."""
        if self.interrupted:
            return str(_("The run was interrupted before it finished (the server was probably restarted). "
                         "Start it again."))
        return self.error

    @property
    def siting_error_message(self) -> str:
        if self.siting_interrupted:
            return str(_("The siting was interrupted before it finished (the server was probably restarted). "
                         "Ask for it again."))
        return self.siting_error

    def set_household_results(self, *, household_ids, minutes, site_ids, residents) -> None:
        buf = io.BytesIO()
        np.savez_compressed(buf, household_id=np.asarray(household_ids, dtype=np.int64),
                            minutes=np.asarray(minutes, dtype=np.float32),
                            site_id=np.asarray(site_ids, dtype=np.int64),
                            residents=np.asarray(residents, dtype=np.int32))
        self.household_results = buf.getvalue()

    def household_arrays(self) -> dict[str, np.ndarray]:
        """{"household_id", "minutes" (inf = unreachable), "site_id" (-1 = none), "residents" (current
        members at the run)}; empty arrays before a result."""
        if not self.household_results:
            empty = np.zeros(0, dtype=np.int64)
            return {"household_id": empty, "minutes": np.zeros(0, dtype=np.float32), "site_id": empty,
                    "residents": np.zeros(0, dtype=np.int32)}
        with np.load(io.BytesIO(bytes(self.household_results)), allow_pickle=False) as data:
            return {name: data[name] for name in ("household_id", "minutes", "site_id", "residents")}
