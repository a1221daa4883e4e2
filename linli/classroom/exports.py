"""The monthly sign-in ledger (签到台账) of a site as .xlsx, built by a job as the user who asked
(linli.jobs.exports); it names the children and who collected them, so each download is audited."""

import datetime as dt
import io

from django.core.exceptions import PermissionDenied
from django.utils import timezone
from django.utils.translation import gettext as _

from linli.classroom import selectors
from linli.jobs.exports import XLSX, File
from linli.jobs.services import progress

ENROLLMENT = "classroom.Enrollment"


def month_of(value: str) -> tuple[int, int]:
    """(year, month) from "YYYY-MM"; this month when the value says nothing sensible."""
    try:
        year, month = (int(x) for x in (value or "").split("-"))
        dt.date(year, month, 1)
    except (ValueError, TypeError):
        today_ = timezone.localdate()
        return today_.year, today_.month
    return year, month


def ledger_title(site, year: int, month: int) -> str:
    return _("%(site)s four-thirty classroom sign-in ledger, %(year)s-%(month)02d") % {
        "site": site.name, "year": year, "month": month}


def signin_ledger(*, user, site: int, month: str) -> File:
    """The month's visits at `site`, if `user` (still) keeps its ledger."""
    site_obj = selectors.ledger_sites(user=user).filter(pk=site).first()
    if site_obj is None:
        raise PermissionDenied
    year, month_n = month_of(month)
    rows = list(selectors.ledger_rows(site=site_obj, year=year, month=month_n))
    progress(50)
    return File(body=_xlsx(site_obj, year, month_n, rows), name=f"classroom-ledger-{site_obj.pk}-{year}-{month_n:02d}.xlsx",
                content_type=XLSX, audit_model=ENROLLMENT, audit_ids=sorted({r.enrollment_id for r in rows}),
                audit_fields=selectors.LEDGER_FIELDS, audit_query=f"site={site_obj.pk}&month={year}-{month_n:02d}")


def _xlsx(site, year, month, rows) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    from linli.activities.exports import xlsx_safe

    wb = Workbook()
    ws = wb.active
    ws.title = f"{year}-{month:02d}"
    ws.append([xlsx_safe(ledger_title(site, year, month))])
    ws["A1"].font = Font(bold=True, size=13)
    head = [_("No."), _("date"), _("child"), _("kind"), _("checked in"), _("checked in by"), _("left"),
            _("collected by"), _("confirmed by"), _("released by")]
    ws.append(head)
    for cell in ws[2]:
        cell.font = Font(bold=True)
    for i, r in enumerate(rows, start=1):
        collected = (f"{r.released_to.name}（{r.released_to.get_relation_display()}）" if r.released_to
                     else (str(_("alone (guardian's consent)")) if r.release_method == "self" else ""))
        ws.append([i, r.date.isoformat(), xlsx_safe(r.enrollment.child_name), str(r.get_kind_display()),
                   timezone.localtime(r.checked_in_at).strftime("%H:%M"), xlsx_safe(str(r.checked_in_by or "")),
                   timezone.localtime(r.released_at).strftime("%H:%M") if r.released_at else "",
                   xlsx_safe(collected), str(r.get_release_method_display()) if r.release_method else "",
                   xlsx_safe(str(r.released_by or ""))])
    ws.append([])
    ws.append([_("Student-visits (人次)"), len(rows)])
    for col, width in zip("ABCDEFGHIJ", (6, 12, 12, 10, 9, 14, 9, 18, 16, 14), strict=True):
        ws.column_dimensions[col].width = width
    ws["A1"].alignment = Alignment(horizontal="left")
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
