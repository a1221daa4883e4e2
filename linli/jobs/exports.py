"""Exports built by a job, not in the request: a ledger, a register, the audit trail.

    export = exports.export_request(builder="linli.activities.exports.ledger", by=request.user,
                                    title=..., params={"query": request.GET.dict()})

The page's button enqueues the job and sends the user to the export's page, which shows the job's
progress (htmx polling) and then a download link. A builder is a plain function

    def ledger(*, user, **params) -> exports.File

that builds the file as `user`: it runs the same form and selectors the page runs, so the file holds
exactly what that user may see now (a user who lost the role gets PermissionDenied, the job fails).
Rules kept here, not by each builder:
- the file goes to the default storage (LINLI_MEDIA_STORAGE) under exports/<token>/, the token a
  random 256-bit name; a retried build rewrites the file and records it once;
- only the user who asked downloads it (404 for everyone else), and every download writes an
  AccessLog row naming what the file holds;
- the requester is told in the inbox when it is ready; the file expires after
  LINLI_EXPORTS_KEEP_HOURS and jobs_prune deletes it.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.http import Http404
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.module_loading import import_string
from django.utils.text import get_valid_filename

from linli.jobs import conf
from linli.jobs.models import Export
from linli.jobs.services import JobError, enqueue, progress

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TASK = "linli.jobs.exports.export_build"


@dataclass
class File:
    """What a builder returns: the file and what it holds (for the access log)."""

    body: bytes
    name: str
    content_type: str = XLSX
    audit_model: str = ""
    audit_ids: list[int] = field(default_factory=list)
    audit_fields: list[str] = field(default_factory=list)
    audit_query: str = ""


def export_request(*, builder: str, by, title: str, params: dict | None = None, division=None) -> Export:
    """Record what `by` asked for and queue the job that builds it (in the caller's transaction)."""
    import_string(builder)  # a typo fails here, in the request that made it, not later in a worker
    with transaction.atomic():
        export = Export.objects.create(
            token=secrets.token_urlsafe(32), builder=builder, params=params or {}, title=str(title)[:200],
            language=translation.get_language() or "", created_by=by,
            expires_at=timezone.now() + dt.timedelta(hours=conf.value("LINLI_EXPORTS_KEEP_HOURS")))
        export.job = enqueue(TASK, by=by, division=division, key=f"jobs.export:{export.pk}", export_id=export.pk)
        export.save(update_fields=["job"])
    return export


def export_build(*, export_id: int) -> dict:
    """The job: build the file as the user who asked, store it, record it once, tell the user.
    Idempotent: an export already recorded is left alone; a file written by an attempt that died
    before recording it is written again under the same name."""
    export = Export.objects.select_related("created_by").get(pk=export_id)
    if export.file_name:
        return {"size": export.size}
    user = export.created_by
    if not user.is_active:
        raise JobError("export_forbidden")
    try:
        with translation.override(export.language or None):
            built = import_string(export.builder)(user=user, **export.params)
    except (PermissionDenied, Http404):  # out of the user's scope now: trying again changes nothing
        raise JobError("export_forbidden") from None
    progress(80)
    name = f"exports/{export.token}/{get_valid_filename(built.name) or 'export'}"
    if default_storage.exists(name):  # left by an attempt that died before it recorded the file
        default_storage.delete(name)
    stored = default_storage.save(name, ContentFile(built.body))
    _record(export, built=built, stored=stored)
    return {"size": len(built.body)}


def _record(export: Export, *, built: File, stored: str) -> None:
    from linli.notifications.services import notify

    with transaction.atomic():
        recorded = Export.objects.filter(pk=export.pk, file_name="").update(
            file_name=stored, download_name=built.name[:200], content_type=built.content_type[:100],
            size=len(built.body), audit_model=built.audit_model[:100], audit_ids=[int(i) for i in built.audit_ids],
            audit_fields=list(built.audit_fields), audit_query=built.audit_query[:200], ready_at=timezone.now())
        if recorded:
            notify(recipient=export.created_by, key="export.ready", params={"title": export.title},
                   dedup_key=f"export.ready:{export.pk}", obj=reverse("jobs:export", args=[export.token]))


def export_for(*, user, token: str) -> Export:
    """The export `user` asked for; anybody else's is DoesNotExist (a 404)."""
    return Export.objects.select_related("job").get(token=token, created_by_id=user.pk)


def export_open(*, export: Export, request):
    """The stored file to send, with the download recorded in the access log (what the file holds)."""
    from linli.core.audit import audit_access
    from linli.core.models import AccessLog

    if not export.is_ready or export.is_expired:
        raise Export.DoesNotExist
    audit_access(request=request, action=AccessLog.Action.EXPORT, model=export.audit_model or "jobs.Export",
                 object_ids=export.audit_ids if export.audit_model else [export.pk], fields=export.audit_fields,
                 query=export.audit_query or export.title)
    return default_storage.open(export.file_name, "rb")


def exports_prune(now=None) -> int:
    """Delete expired exports and their files (called by jobs_prune)."""
    now = now or timezone.now()
    count = 0
    for export in Export.objects.filter(expires_at__lte=now).only("pk", "token", "file_name"):
        names = {export.file_name} if export.file_name else set()
        try:  # also a file an attempt stored but never recorded (its job then gave up)
            names |= {f"exports/{export.token}/{n}" for n in default_storage.listdir(f"exports/{export.token}")[1]}
        except (FileNotFoundError, NotImplementedError, OSError):
            pass
        for name in names:
            if default_storage.exists(name):
                default_storage.delete(name)
        export.delete()
        count += 1
    return count
