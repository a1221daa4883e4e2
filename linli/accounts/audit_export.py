"""The audit trail as CSV or .xlsx (what the auditor filtered); cells that a spreadsheet would run as
a formula are escaped."""

import csv
import io
from urllib.parse import urlencode

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from openpyxl import Workbook

from linli.jobs.exports import XLSX, File
from linli.people.exports import safe_cell

EXPORT_LIMIT = 50_000


def access_rows(entries):
    yield [_("Time"), _("User"), pgettext("access log", "Action"), _("Record type"), _("Records"), _("Fields"), _("Page"),
           _("IP address")]
    for e in entries[:EXPORT_LIMIT]:
        yield [timezone.localtime(e.at).strftime("%Y-%m-%d %H:%M:%S"), e.user.username if e.user else "",
               str(e.get_action_display()), e.model, " ".join(str(i) for i in e.object_ids),
               " ".join(e.fields), e.path, e.ip or ""]


def change_rows(entries):
    yield [_("Time"), _("User"), pgettext("access log", "Action"), _("Record type"), _("Record"), _("Changes"), _("IP address")]
    for e in entries[:EXPORT_LIMIT]:
        yield [timezone.localtime(e.timestamp).strftime("%Y-%m-%d %H:%M:%S"),
               e.actor.username if e.actor else "", str(e.get_action_display()),
               f"{e.content_type.app_label}.{e.content_type.model}", f"{e.object_pk} {e.object_repr}",
               e.changes_str, e.remote_addr or ""]


def to_csv(rows) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    for row in rows:
        writer.writerow([safe_cell(v) for v in row])
    return ("\ufeff" + out.getvalue()).encode()  # BOM: spreadsheets open it as UTF-8


def to_xlsx(rows, title: str) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = title[:31]
    for row in rows:
        ws.append([safe_cell(v) for v in row])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def entries(*, auditor, form):
    """(which log, the entries) the audit page's filter form asks for; never the auditor's own actions."""
    from linli.accounts import selectors

    data = form.cleaned_data if form.is_valid() else {}
    args = {"auditor": auditor, "username": data.get("user") or "", "person": data.get("person"),
            "action": data.get("action") or "", "date_from": data.get("date_from"),
            "date_to": data.get("date_to")}
    log = data.get("log") or "access"
    qs = selectors.change_entries(**args) if log == "changes" else selectors.access_entries(**args)
    return log, qs


def trail_export(*, user, query: dict, fmt: str) -> File:
    """The job's build (linli.jobs.exports): the trail `user` (an auditor) filtered, as CSV or .xlsx."""
    from django.core.exceptions import PermissionDenied

    from linli.accounts import selectors
    from linli.accounts.forms import AuditFilterForm

    if not selectors.is_auditor(user):
        raise PermissionDenied
    log, qs = entries(auditor=user, form=AuditFilterForm(query or None))
    found = list(qs[:EXPORT_LIMIT])
    rows = change_rows(found) if log == "changes" else access_rows(found)
    name = f"audit-{log}-{timezone.localdate().isoformat()}"
    audit = {"audit_model": "auditlog.LogEntry" if log == "changes" else "core.AccessLog",
             "audit_ids": [e.pk for e in found], "audit_query": urlencode(query)[:200]}
    if fmt == "csv":
        return File(body=to_csv(rows), name=f"{name}.csv", content_type="text/csv; charset=utf-8", **audit)
    return File(body=to_xlsx(rows, _("Audit")), name=f"{name}.xlsx", content_type=XLSX, **audit)
