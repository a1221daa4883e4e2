"""The roster of poor workers (《吸纳脱贫人口就业花名册》) and the wage ledger (工资支付台账) as .xlsx:
from the records (or from a subsidy application's frozen evidence), ID numbers masked, cells a
spreadsheet would read as a formula escaped, and every export audited (it names persons)."""

import datetime as dt
import io

from django.http import Http404
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from linli.core.audit import audit_access
from linli.jobs.exports import File
from linli.jobs.services import progress
from linli.people.exports import XLSX, safe_cell

from . import selectors
from .models import PayRun, SubsidyApplication, Workshop

__all__ = ["XLSX", "roster_xlsx", "ledger_xlsx", "pay_run_xlsx", "application_xlsx", "pay_run_ledger", "poor_roster"]


def _book(title: str, heading: str, headers: list[str], rows: list[list], widths: tuple) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = title[:31]
    ws.append([heading])
    ws["A1"].font = Font(bold=True, size=14)
    ws.append(headers)
    for cell in ws[2]:
        cell.font = Font(bold=True)
    for row in rows:
        ws.append([safe_cell(v) for v in row])
    for i, width in enumerate(widths):
        ws.column_dimensions[chr(ord("A") + i)].width = width
    for row in ws.iter_rows(min_row=3):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _yes(value: bool) -> str:
    return _("yes") if value else _("no")


def _roster_rows(roster: list[dict]) -> list[list]:
    return [[i, r["name"], r["sex"], r["age"], r["id_number_masked"], "、".join(r["tags"]), r["address"], r["phone"],
             r["contract_kind"], r["contract_from"], r["contract_until"], r["started_on"], r["ended_on"], r["days"],
             r["income"], _yes(r["counts"]), _yes(r["stable"])] for i, r in enumerate(roster, start=1)]


ROSTER_WIDTHS = (5, 10, 5, 5, 20, 14, 30, 14, 16, 11, 11, 11, 11, 8, 10, 8, 8)


def _roster_headers() -> list[str]:
    return [_("No."), _("Name"), _("Sex"), _("Age"), _("ID-card number"), _("Poverty status"), _("Household address"),
            _("Phone"), _("Contract"), _("Contract from"), _("Contract until"), _("Started work on"),
            _("Stopped work on"), _("Days at the workshop"), _("Gross pay in the period (yuan)"), _("Counts"),
            _("Stable")]


def roster_xlsx(*, request=None, user, workshop: Workshop, first: dt.date, last: dt.date) -> bytes:
    """The roster of the workshop's poor workers in [first, last], from the records; audited."""
    roster = selectors.poor_roster(workshop=workshop, first=first, last=last)
    heading = _("Roster of poor workers employed: %(workshop)s, %(first)s to %(last)s") % {
        "workshop": workshop.name, "first": first, "last": last}
    data = _book(_("Roster"), heading, _roster_headers(), _roster_rows(roster), ROSTER_WIDTHS)
    audit_access(request=request, user=user, action="export", model="workshops.Worker",
                 object_ids=[r["worker_id"] for r in roster], fields=["name", "id_number_masked", "phone"],
                 query=f"roster {workshop.pk} {first}..{last}")
    return data


def _ledger_rows(rows: list[dict]) -> list[list]:
    def items(r):
        return "；".join(f"{i['job']} {i['quantity']}{i.get('unit', '')}×{i['rate']}={i['amount']}" for i in r["items"])

    def deductions(r):
        return "；".join(f"{d['label']} {d['amount']}" for d in r["deduction_items"])

    return [[i, r["employer"], r["cycle"], r["name"], r["id_number_masked"], r["phone"], r["days"], r["hours"],
             r["pieces"], items(r), r["gross"], deductions(r), r["deductions"], r["net"], r["pay_date"], r["proof"]]
            for i, r in enumerate(rows, start=1)]


LEDGER_WIDTHS = (5, 20, 9, 10, 20, 14, 6, 7, 8, 40, 10, 24, 9, 10, 11, 18)


def _ledger_headers() -> list[str]:
    return [_("No."), _("Employer"), _("Pay cycle"), _("Name"), _("ID-card number"), _("Contact"), _("Days"),
            _("Hours"), _("Pieces"), _("Gross pay items"), _("Gross pay"), _("Deduction items"), _("Deductions"),
            _("Net pay"), _("Pay date"), _("Bank transfer reference or signature")]


def ledger_xlsx(*, request=None, user, workshop: Workshop, first: dt.date, last: dt.date) -> bytes:
    """The wage ledger of the workshop's cycles in [first, last]; audited."""
    rows = selectors.ledger_extract(workshop=workshop, first=first, last=last)
    heading = _("Wage payment ledger: %(workshop)s, %(first)s to %(last)s") % {
        "workshop": workshop.name, "first": first, "last": last}
    data = _book(_("Wage ledger"), heading, _ledger_headers(), _ledger_rows(rows), LEDGER_WIDTHS)
    audit_access(request=request, user=user, action="export", model="workshops.LedgerRow",
                 object_ids=[r["row_id"] for r in rows], fields=["name", "id_number_masked", "phone"],
                 query=f"ledger {workshop.pk} {first}..{last}")
    return data


def pay_run_xlsx(*, request=None, user, pay_run: PayRun) -> bytes:
    """One pay run's wage ledger rows; audited."""
    return ledger_xlsx(request=request, user=user, workshop=pay_run.workshop, first=pay_run.cycle,
                       last=pay_run.cycle_end)


def application_xlsx(*, request=None, user, application: SubsidyApplication) -> bytes:
    """A subsidy application's evidence as it was generated (frozen once submitted): the roster and the
    wage ledger extract on two sheets; audited."""
    wb_roster = _roster_rows(application.roster)
    heading = _("%(kind)s: %(workshop)s, %(first)s to %(last)s") % {
        "kind": application.get_kind_display(), "workshop": application.workshop.name,
        "first": application.period_start, "last": application.period_end}
    wb = Workbook()
    sheets = [(_("Roster"), _roster_headers(), wb_roster, ROSTER_WIDTHS),
              (_("Wage ledger"), _ledger_headers(), _ledger_rows(application.ledger), LEDGER_WIDTHS)]
    for n, (title, headers, rows, widths) in enumerate(sheets):
        ws = wb.active if n == 0 else wb.create_sheet()
        ws.title = title[:31]
        ws.append([heading])
        ws["A1"].font = Font(bold=True, size=14)
        ws.append(headers)
        for row in rows:
            ws.append([safe_cell(v) for v in row])
        for i, width in enumerate(widths):
            ws.column_dimensions[chr(ord("A") + i)].width = width
    out = io.BytesIO()
    wb.save(out)
    audit_access(request=request, user=user, action="export", model="workshops.SubsidyApplication",
                 object_ids=[application.pk], fields=["roster", "ledger"], query=f"application {application.pk}")
    return out.getvalue()


# Built by a job as the user who asked (linli.jobs.exports): the file is audited when downloaded.

AUDIT_FIELDS = ["name", "id_number_masked", "phone"]


def roster_title(workshop: Workshop, first: dt.date, last: dt.date) -> str:
    return _("Roster of poor workers employed: %(workshop)s, %(first)s to %(last)s") % {
        "workshop": workshop.name, "first": first, "last": last}


def ledger_title(pay_run: PayRun) -> str:
    return _("Wage payment ledger: %(workshop)s, %(first)s to %(last)s") % {
        "workshop": pay_run.workshop.name, "first": pay_run.cycle, "last": pay_run.cycle_end}


def pay_run_ledger(*, user, pay_run: int) -> File:
    """One pay run's wage ledger (工资支付台账) as .xlsx, if `user` still sees the pay run."""
    run = PayRun.objects.visible_to(user).filter(pk=pay_run).select_related("workshop").first()
    if run is None:
        raise Http404
    rows = selectors.ledger_extract(workshop=run.workshop, first=run.cycle, last=run.cycle_end)
    progress(50)
    data = _book(_("Wage ledger"), ledger_title(run), _ledger_headers(), _ledger_rows(rows), LEDGER_WIDTHS)
    return File(body=data, name=f"wage-ledger-{run.workshop_id}-{run.cycle:%Y-%m}.xlsx", audit_model="workshops.LedgerRow",
                audit_ids=[r["row_id"] for r in rows], audit_fields=AUDIT_FIELDS,
                audit_query=f"ledger {run.workshop_id} {run.cycle}..{run.cycle_end}")


def poor_roster(*, user, workshop: int, first: str, last: str) -> File:
    """The roster of a workshop's poor workers (《吸纳脱贫人口就业花名册》) in [first, last] as .xlsx, if
    `user` still sees the workshop."""
    ws = Workshop.objects.visible_to(user).filter(pk=workshop).first()
    if ws is None:
        raise Http404
    first_day, last_day = dt.date.fromisoformat(first), dt.date.fromisoformat(last)
    roster = selectors.poor_roster(workshop=ws, first=first_day, last=last_day)
    progress(50)
    data = _book(_("Roster"), roster_title(ws, first_day, last_day), _roster_headers(), _roster_rows(roster),
                 ROSTER_WIDTHS)
    return File(body=data, name=f"poor-roster-{ws.pk}-{first_day}-{last_day}.xlsx", audit_model="workshops.Worker",
                audit_ids=[r["worker_id"] for r in roster], audit_fields=AUDIT_FIELDS,
                audit_query=f"roster {ws.pk} {first_day}..{last_day}")
