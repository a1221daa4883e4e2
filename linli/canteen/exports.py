"""The canteen's settlement ledger as .xlsx (the period's meal records, totals by tier, food-safety gaps and
anti-fraud checks), built by a job as the user who asked (linli.jobs.exports); it names the diners, so
each download is access-audited."""

import datetime as dt
import io

from django.utils import timezone
from django.utils.translation import gettext as _

from linli.activities.exports import xlsx_safe
from linli.jobs.exports import File
from linli.jobs.services import progress

from . import selectors
from .models import Meal


def settlement_ledger(*, user, canteen_id: int, period: str) -> File:
    """The ledger of the settlement period holding `period`, of a canteen `user` is staff of."""
    canteen = selectors.canteen_get(user=user, pk=canteen_id)
    data = selectors.settlement_preview(canteen=canteen, day=dt.date.fromisoformat(period))
    meals = list(Meal.objects.filter(canteen=canteen, booked_on__range=(data["first"], data["last"]))
                 .select_related("diner__person", "tier").order_by("booked_on", "served_at", "pk"))
    progress(50)
    return File(body=ledger_xlsx(canteen, data, meals),
                name=f"canteen-ledger-{canteen.pk}-{data['first']:%Y-%m}.xlsx", audit_model="canteen.Diner",
                audit_ids=sorted({m.diner_id for m in meals if m.diner_id}), audit_fields=["name", "meals"],
                audit_query=f"settlement {data['first']:%Y-%m}")


def ledger_xlsx(canteen, data, meals) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = f"{data['first']:%Y-%m}"
    ws.append([xlsx_safe(_("%(canteen)s meal ledger, %(first)s – %(last)s") % {
        "canteen": canteen.name, "first": data["first"], "last": data["last"]})])
    ws["A1"].font = Font(bold=True, size=13)
    ws.append([_("No."), _("date served"), _("meal"), _("diner"), _("subsidy tier"), _("why subsidised"), _("how"),
               _("price"), _("subsidy"), _("paid by the diner"), _("recorded at"), _("reason")])
    for cell in ws[2]:
        cell.font = Font(bold=True)
    for i, m in enumerate(meals, start=1):
        ws.append([i, m.date.isoformat(), str(m.get_slot_display()), xlsx_safe(m.diner.person.name if m.diner else _("Walk-in")),
                   xlsx_safe(m.tier.name if m.tier else ""), xlsx_safe(m.tier_reason), str(m.get_method_display()),
                   float(m.price), float(m.subsidy), float(m.paid),
                   timezone.localtime(m.recorded_at).strftime("%Y-%m-%d %H:%M"), xlsx_safe(m.reason)])
    t = data["totals"]
    ws.append([])
    ws.append([_("Meals (人次)"), t["meals"]])
    ws.append([_("Subsidised meals"), t["subsidised_meals"]])
    ws.append([_("Subsidy owed (yuan)"), float(t["subsidy"])])
    ws.append([_("Paid by diners (yuan)"), float(t["paid"])])
    tiers = wb.create_sheet(_("By tier"))
    tiers.append([_("subsidy tier"), _("meals"), _("subsidy"), _("paid by the diner")])
    for r in t["by_tier"]:
        tiers.append([xlsx_safe(r["tier"]), r["meals"], float(r["subsidy"]), float(r["paid"])])
    gaps = wb.create_sheet(_("Food safety"))
    gaps.append([_("date"), _("detail")])
    for g in data["gaps"]:
        gaps.append([g["date"].isoformat(), "、".join(g["missing"])])
    checks = wb.create_sheet(_("Checks"))
    checks.append([_("check"), _("meal records"), _("detail")])
    for f in data["findings"]:
        checks.append([xlsx_safe(f["label"]), ", ".join(map(str, f["meals"])), xlsx_safe(f.get("detail", ""))])
    for col, width in zip("ABCDEFGHIJKL", (6, 12, 8, 12, 14, 22, 14, 8, 8, 10, 17, 20), strict=True):
        ws.column_dimensions[col].width = width
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
