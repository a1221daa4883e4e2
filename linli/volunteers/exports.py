"""A volunteer's service records (志愿服务记录台账) as .xlsx, built by a job as the user who asked
(linli.jobs.exports): the volunteer themself or an organiser who sees them; each download is audited."""

import io

from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from linli.activities.exports import xlsx_safe
from linli.jobs.exports import XLSX, File
from linli.jobs.services import progress
from linli.volunteers import selectors
from linli.volunteers.models import Volunteer

RECORD_FIELDS = ["volunteer.person.name", "volunteer.number", "start", "end", "content", "source", "hours",
                 "status", "verified_by"]


def records_title(volunteer) -> str:
    return _("Volunteer service records of %(name)s (%(number)s)") % {
        "name": volunteer.person.name, "number": volunteer.number}


def service_records(*, user, volunteer: int) -> File:
    """Every service record of `volunteer`, if `user` (still) sees them."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    v = Volunteer.objects.visible_to(user).select_related("person", "division").filter(pk=volunteer).first()
    if v is None:
        raise Http404
    records = list(selectors.history(v))
    progress(50)
    wb = Workbook()
    ws = wb.active
    ws.title = v.number[:31]
    ws.append([xlsx_safe(records_title(v))])
    ws["A1"].font = Font(bold=True, size=13)
    ws.append([_("date"), _("from"), _("to"), _("service content"), _("source"), _("hours"), _("status"),
               _("verified by")])
    for cell in ws[2]:
        cell.font = Font(bold=True)
    for r in records:
        start, end = timezone.localtime(r.start), timezone.localtime(r.end)
        ws.append([start.date(), start.strftime("%H:%M"), end.strftime("%Y-%m-%d %H:%M"), xlsx_safe(r.content),
                   str(r.get_source_display()), r.hours, str(r.get_status_display()), xlsx_safe(str(r.verified_by or ""))])
    for col, width in zip("ABCDEFGH", (12, 8, 17, 40, 22, 8, 12, 14), strict=True):
        ws.column_dimensions[col].width = width
    for row in ws.iter_rows(min_row=3, max_col=1):
        row[0].number_format = "yyyy-mm-dd"
    buf = io.BytesIO()
    wb.save(buf)
    return File(body=buf.getvalue(), name=f"service-records-{v.number}.xlsx", content_type=XLSX,
                audit_model="volunteers.ServiceRecord", audit_ids=[r.pk for r in records], audit_fields=RECORD_FIELDS,
                audit_query=f"volunteer={v.number}")
