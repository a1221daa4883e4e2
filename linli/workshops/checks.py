"""The county office's checks (selectors): a poor worker counted at two workshops in the same period,
wages below the work confirmed, workers at work with no pay recorded, a workshop with no production for
a month, subsidies claimed for workers who had left. Each returns Findings (code, workshop, text) over
what the user's grants show (None: the whole database)."""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _

from .models import (
    STAFF_ROLES,
    ZERO,
    LedgerRow,
    PayRun,
    Rate,
    SubsidyApplication,
    Worker,
    WorkRecord,
    Workshop,
)
from .services import add_months, gross_items, month_start, payable_records

CENT = Decimal("0.01")


def poor_person_ids(person_ids):
    from .selectors import poor_person_ids as poor

    return poor(person_ids)


@dataclass
class Finding:
    code: str
    workshop_id: int | None
    text: str


def _scoped(model, user):
    return model.objects.all() if user is None else model.objects.visible_to(user, roles=STAFF_ROLES)


def check_double_counted(*, user=None) -> list[Finding]:
    """A poor worker at two workshops in overlapping periods (each workshop would count them)."""
    workers = list(_scoped(Worker, user).select_related("person", "workshop").order_by("person_id", "started_on"))
    poor = poor_person_ids({w.person_id for w in workers})
    by_person = defaultdict(list)
    for w in workers:
        if w.person_id in poor:
            by_person[w.person_id].append(w)
    out = []
    far = dt.date.max
    for rows in by_person.values():
        for i, a in enumerate(rows):
            for b in rows[i + 1:]:
                if a.workshop_id == b.workshop_id:
                    continue
                start, end = max(a.started_on, b.started_on), min(a.ended_on or far, b.ended_on or far)
                if start <= end:
                    out.append(Finding("double_counted", b.workshop_id, _(
                        "%(name)s works at %(a)s and at %(b)s at the same time (from %(start)s).") % {
                        "name": a.person.name, "a": a.workshop.name, "b": b.workshop.name, "start": start}))
    return out


def check_wages_below_pieces(*, user=None, since: dt.date | None = None) -> list[Finding]:
    """A wage ledger row whose gross is below what the cycle's confirmed records are worth at their
    rates (a record confirmed or a row changed after the run; or a worker left out of the run)."""
    since = since or add_months(month_start(timezone.localdate()), -12)
    out = []
    runs = _scoped(PayRun, user).filter(cycle__gte=since).select_related("workshop")
    for run in runs:
        records = list(payable_records(workshop_id=run.workshop_id, cycle=run.cycle).select_related("job"))
        if not records:
            continue
        rates = defaultdict(list)
        for r in Rate.objects.filter(job__workshop_id=run.workshop_id):
            rates[r.job_id].append(r)
        try:
            worth = gross_items(records, rates)
        except Exception:  # a rate missing: the run could not be recomputed, say so
            out.append(Finding("wages_below_pieces", run.workshop_id, _("%(run)s cannot be recomputed: a rate is "
                                                                        "missing.") % {"run": run}))
            continue
        paid = dict(LedgerRow.objects.filter(pay_run=run).values_list("worker_id", "gross"))
        names = dict(Worker.objects.filter(pk__in=list(worth)).values_list("pk", "person__name"))
        for worker_id, w in worth.items():
            value = sum((i["amount"] for i in w["items"].values()), ZERO).quantize(CENT)
            got = paid.get(worker_id, ZERO)
            if got < value:
                out.append(Finding("wages_below_pieces", run.workshop_id, _(
                    "%(name)s, %(workshop)s %(month)s: wage %(got)s yuan, confirmed work worth %(value)s yuan.") % {
                    "name": names.get(worker_id, "?"), "workshop": run.workshop.name, "month": f"{run.cycle:%Y-%m}",
                    "got": got, "value": value}))
    return out


def check_no_pay(*, user=None, since: dt.date | None = None) -> list[Finding]:
    """A worker at work through a whole paid cycle with no wage in its pay run (a name on the roster
    that is paid nothing is the hollow shell the audits found)."""
    since = since or add_months(month_start(timezone.localdate()), -12)
    out = []
    runs = list(_scoped(PayRun, user).filter(cycle__gte=since).select_related("workshop"))
    paid = set(LedgerRow.objects.filter(pay_run__in=runs, gross__gt=0).values_list("pay_run_id", "worker_id"))
    workers = defaultdict(list)
    for w in Worker.objects.filter(workshop_id__in={r.workshop_id for r in runs}).select_related("person"):
        workers[w.workshop_id].append(w)
    for run in runs:
        for w in workers[run.workshop_id]:
            if w.started_on <= run.cycle and (w.ended_on is None or w.ended_on >= run.cycle_end) \
                    and (run.pk, w.pk) not in paid:
                out.append(Finding("no_pay", run.workshop_id, _(
                    "%(name)s was at work at %(workshop)s all of %(month)s and has no wage recorded.") % {
                    "name": w.person.name, "workshop": run.workshop.name, "month": f"{run.cycle:%Y-%m}"}))
    return out


def check_idle_workshops(*, user=None, today: dt.date | None = None, months: int = 12) -> list[Finding]:
    """A running workshop with no confirmed production record in a whole month (the last `months`
    finished months since it opened)."""
    today = today or timezone.localdate()
    this = month_start(today)
    out = []
    workshops = list(_scoped(Workshop, user).filter(status=Workshop.Status.OPEN))
    active = set(WorkRecord.objects.filter(worker__workshop__in=workshops, status=WorkRecord.Status.CONFIRMED,
                                           reverses__isnull=True, reversed_by__isnull=True,
                                           date__gte=add_months(this, -months), date__lt=this)
                 .values_list("worker__workshop_id", "cycle").distinct())
    for w in workshops:
        for i in range(months, 0, -1):
            cycle = add_months(this, -i)
            if cycle < month_start(w.opened_on) or (cycle == month_start(w.opened_on) and w.opened_on.day > 1):
                continue
            if (w.pk, cycle) not in active:
                out.append(Finding("idle_workshop", w.pk, _("%(workshop)s recorded no production in %(month)s.") % {
                    "workshop": w.name, "month": f"{cycle:%Y-%m}"}))
    return out


def check_subsidies_for_leavers(*, user=None) -> list[Finding]:
    """A subsidy application (submitted) claiming for workers who had left before its period ended."""
    out = []
    apps = _scoped(SubsidyApplication, user).filter(status=SubsidyApplication.Status.SUBMITTED).select_related(
        "workshop")
    for app in apps:
        ids = {r["worker_id"] for r in app.roster} | set(app.workers.values_list("pk", flat=True))
        for w in Worker.objects.filter(pk__in=ids, ended_on__lt=app.period_end).select_related("person"):
            out.append(Finding("subsidy_for_leaver", app.workshop_id, _(
                "%(kind)s of %(workshop)s (%(start)s–%(end)s) claims for %(name)s, who left on %(left)s.") % {
                "kind": app.get_kind_display(), "workshop": app.workshop.name, "start": app.period_start,
                "end": app.period_end, "name": w.person.name, "left": w.ended_on}))
    return out


CHECKS = {
    "double_counted": check_double_counted,
    "wages_below_pieces": check_wages_below_pieces,
    "no_pay": check_no_pay,
    "idle_workshops": check_idle_workshops,
    "subsidies_for_leavers": check_subsidies_for_leavers,
}


def county_checks(*, user=None) -> dict[str, list[Finding]]:
    """Every check for the county office, by name (CHECKS), over what the user's grants show."""
    return {name: fn(user=user) for name, fn in CHECKS.items()}
