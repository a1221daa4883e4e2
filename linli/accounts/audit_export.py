"""The audit trail as CSV or .xlsx (what the auditor filtered); cells that a spreadsheet would run as
a formula are escaped."""

import csv
import io

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from openpyxl import Workbook

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
