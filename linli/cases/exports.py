"""The people's mediation ledger (人民调解台账) as .xlsx, built by a job as the user who asked
(linli.jobs.exports); the file names the parties, so each download is access-audited."""

import io

from django.core.exceptions import PermissionDenied
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, pgettext_lazy

from linli.cases import selectors
from linli.cases.models import Case
from linli.core.templatetags.linli_format import format_when
from linli.jobs.exports import File
from linli.jobs.services import progress

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

# Headers are contexted: "Received"/"Closed" alone are the statuses 已受理/已关闭, not the ledger's date columns.
LEDGER_HEADERS = [gettext_noop("No."), gettext_noop("Case number"), pgettext_lazy("ledger column", "Date received"), gettext_noop("Community"), gettext_noop("Kind of dispute"),
                  gettext_noop("Parties"), gettext_noop("Facts"), gettext_noop("Mediator"), gettext_noop("Mediation sessions"), gettext_noop("Outcome"),
                  gettext_noop("Agreement terms"), gettext_noop("How, where and when carried out"), gettext_noop("Referred to"), pgettext_lazy("ledger column", "Date closed"),
                  gettext_noop("Left the community"), gettext_noop("Follow-up visit")]


def safe_cell(value):
    """Text starting with = + - @ (or a tab/CR) is prefixed with ' so no spreadsheet runs it as a formula."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def mediation_ledger(*, user, query: dict) -> File:
    """The year's dispute cases that `user` may see, filtered as the page's form (`query`) asks."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    from linli.cases.forms import LedgerForm

    if not selectors.can_see_ledger(user):
        raise PermissionDenied
    form = LedgerForm(query or None, user=user)
    d = form.cleaned_data if form.is_valid() else {}
    year = d.get("year") or timezone.localdate().year
    disputes = list(selectors.ledger_disputes(user=user, year=year, division=d.get("division")))
    progress(40)
    wb = Workbook()
    ws = wb.active
    ws.title = str(year)
    ws.append([_("People's mediation ledger %(year)s") % {"year": year}])
    ws["A1"].font = Font(bold=True, size=14)
    ws.append([_(h) if isinstance(h, str) else str(h) for h in LEDGER_HEADERS])
    for cell in ws[2]:
        cell.font = Font(bold=True)
    outcome = {Case.Resolution.RESOLVED: _("Agreement reached"), Case.Resolution.UNRESOLVED: _("Mediation failed"),
               Case.Resolution.WITHDRAWN: _("Withdrawn"), Case.Resolution.DUPLICATE: _("Duplicate")}
    for i, c in enumerate(disputes, start=1):
        parties = "；".join(f"{p.get_role_display()}：{p.name}" for p in c.parties.all())
        sessions = "；".join(f"{format_when(s.held_at, 'fulldate')} {s.record[:60]}" for s in c.sessions.all())
        row = [i, c.number, timezone.localtime(c.created_at).date(), c.division.name, str(c.service), parties,
               c.description, str(c.assignee or ""), sessions,
               outcome.get(c.resolution, c.get_status_display()), c.agreement_terms, c.performance, c.referred_to,
               timezone.localtime(c.closed_at).date() if c.closed_at else "",
               _("yes") if c.escalations else _("no"),
               c.follow_up_note if c.followed_up_at else ""]
        ws.append([safe_cell(v) for v in row])
    for col, width in zip("ABCDEFGHIJKLMNOP", (5, 12, 11, 12, 14, 26, 40, 10, 40, 12, 36, 28, 16, 11, 8, 28),
                          strict=True):
        ws.column_dimensions[col].width = width
    for row in ws.iter_rows(min_row=3):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    buf = io.BytesIO()
    wb.save(buf)
    return File(body=buf.getvalue(), name=f"mediation-ledger-{year}.xlsx", audit_model="cases.Case",
                audit_ids=[c.pk for c in disputes], audit_fields=["parties"], audit_query=f"ledger {year}")
