"""The monthly activity ledger as .xlsx, built by a job as the user who asked (linli.jobs.exports)."""

from io import BytesIO

from django.core.exceptions import PermissionDenied
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from linli.activities import selectors
from linli.jobs.exports import File
from linli.jobs.services import progress

LEDGER_HEADERS = [gettext_noop("date"), gettext_noop("time"), gettext_noop("site"), gettext_noop("title"), gettext_noop("service platform"), gettext_noop("work method"),
                  gettext_noop("six deliveries"), gettext_noop("organisers"), gettext_noop("participants (person-times)"), gettext_noop("volunteers"),
                  gettext_noop("volunteer hours")]


def xlsx_safe(value):
    """Text that a spreadsheet would run as a formula (= + - @, tab, CR) is kept as text."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def ledger_filters(form):
    """The month and community the ledger form asks for (this month and the whole scope by default)."""
    if form.is_valid():
        return form.cleaned_data["month"], form.cleaned_data.get("community")
    return timezone.localdate().replace(day=1), None


def ledger_title(month) -> str:
    return _("Civilization-practice activity ledger %(month)s") % {"month": month.strftime("%Y-%m")}


def ledger(*, user, query: dict) -> File:
    """The ledger of the month the page's filters (`query`) name, in `user`'s scope."""
    from linli.activities.forms import MonthForm

    if not selectors.can_organise_any(user):
        raise PermissionDenied
    month, community = ledger_filters(MonthForm(query or None, user=user))
    rows = selectors.ledger_rows(user=user, month=month, division=community)
    progress(50)
    return File(body=ledger_xlsx(rows, month), name=f"activity-ledger-{month:%Y-%m}.xlsx")


def ledger_xlsx(rows, month) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = month.strftime("%Y-%m")
    ws.append([ledger_title(month)])
    ws["A1"].font = Font(bold=True, size=14)
    ws.append([_(h) for h in LEDGER_HEADERS])
    for cell in ws[2]:
        cell.font = Font(bold=True)
    for r in rows:
        ws.append([r["date"].date(), f"{r['date']:%H:%M}–{r['end']:%H:%M}",
                   *[xlsx_safe(r[k]) for k in ("site", "title", "platform", "method", "delivery", "organizers")],
                   r["participants"], r["volunteers"], r["hours"]])
    for col, width in zip("ABCDEFGHIJK", (12, 13, 18, 28, 18, 16, 10, 30, 12, 10, 12), strict=True):
        ws.column_dimensions[col].width = width
    for row in ws.iter_rows(min_row=3, max_col=1):
        row[0].number_format = "yyyy-mm-dd"
    buf = BytesIO()
    wb.save(buf)
    return buf.getvalue()
