"""Reads for the employment-assistance workshops: scoped lists, the worker's own records and pay slips,
the public sign, who counts as a poor worker, the recognition figures, the roster and ledger extracts,
income per month and monitoring year, the households to visit, the county office's checks and the
`workshops` figures. Every figure is computed from records."""

import datetime as dt
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from decimal import Decimal

from django.db.models import Count, Q, Sum
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from linli.core.masking import mask_phone

from .models import (
    POOR_TAG_CODES,
    ZERO,
    Job,
    LedgerRow,
    PayRun,
    Review,
    Worker,
    WorkRecord,
    Workshop,
)
from .rules import rules_for
from .services import add_months, awaiting_records, month_end, month_start

CENT = Decimal("0.01")


# Scoped lists -------------------------------------------------------------------------------------

def workshop_list(*, user):
    """The workshops the user's grants show (staff), or that the user manages."""
    return Workshop.objects.visible_to(user).select_related("division", "operator", "site", "kind")


def workshop_get(*, user, pk: int) -> Workshop:
    w = workshop_list(user=user).filter(pk=pk).first()
    if w is None:
        raise Http404
    return w


def workers_of(*, user, workshop: Workshop, current: bool | None = None, day: dt.date | None = None):
    qs = Worker.objects.visible_to(user).filter(workshop=workshop).select_related("person")
    if current is not None:
        day = day or timezone.localdate()
        now_q = Q(started_on__lte=day) & (Q(ended_on__isnull=True) | Q(ended_on__gte=day))
        qs = qs.filter(now_q) if current else qs.exclude(now_q)
    return qs


def worker_get(*, user, pk: int) -> Worker:
    w = Worker.objects.visible_to(user).select_related("person", "workshop__division", "workshop__operator").filter(
        pk=pk).first()
    if w is None:
        raise Http404
    return w


def jobs_of(*, workshop: Workshop, active: bool = True):
    qs = Job.objects.filter(workshop=workshop).prefetch_related("rates")
    return qs.filter(active=True) if active else qs


def records_of(*, user, workshop: Workshop, day: dt.date | None = None, worker: Worker | None = None):
    qs = WorkRecord.objects.visible_to(user).filter(worker__workshop=workshop).select_related(
        "worker__person", "job", "reverses")
    if day is not None:
        qs = qs.filter(date=day)
    if worker is not None:
        qs = qs.filter(worker=worker)
    return qs


def awaiting_of(*, user, workshop: Workshop):
    """Workers' own entries awaiting the workshop's confirmation."""
    return records_of(user=user, workshop=workshop).filter(status=WorkRecord.Status.SUBMITTED,
                                                           reversed_by__isnull=True)


def pay_runs_of(*, user, workshop: Workshop):
    return PayRun.objects.visible_to(user).filter(workshop=workshop)


def pay_run_get(*, user, pk: int) -> PayRun:
    run = PayRun.objects.visible_to(user).select_related("workshop__division", "workshop__operator").filter(
        pk=pk).first()
    if run is None:
        raise Http404
    return run


def ledger_rows(*, user, pay_run: PayRun):
    return LedgerRow.objects.visible_to(user).filter(pay_run=pay_run).order_by("name", "pk")


def unpaid_runs(*, user, today: dt.date | None = None):
    """Pay runs not fully paid; `overdue` marks those past their due day."""
    today = today or timezone.localdate()
    return (PayRun.objects.visible_to(user).filter(paid_at__isnull=True).select_related("workshop")
            .order_by("due_on"))


# The worker's own ----------------------------------------------------------------------------------

def my_jobs(*, user):
    """The worker's own workshop jobs (a person may have worked at several)."""
    if not getattr(user, "is_authenticated", False):
        return Worker.objects.none()
    return Worker.objects.filter(person__user=user).select_related("workshop", "person").order_by("-started_on")


def my_records(*, user, since: dt.date | None = None):
    qs = WorkRecord.objects.filter(worker__person__user=user).select_related("job", "worker__workshop")
    return qs.filter(date__gte=since) if since else qs


def pay_slips(*, user):
    """The worker's own wage ledger rows, newest first (their pay slips)."""
    if not getattr(user, "is_authenticated", False):
        return LedgerRow.objects.none()
    return (LedgerRow.objects.filter(worker__person__user=user).select_related("pay_run__workshop")
            .order_by("-cycle", "-pk"))


def pay_slip_get(*, user, pk: int) -> LedgerRow:
    """One pay slip: the worker's own, or a row the user's grants show."""
    row = (LedgerRow.objects.visible_to(user).select_related("pay_run__workshop__operator", "worker__person")
           .filter(pk=pk).first())
    if row is None:
        raise Http404
    return row


# Who counts --------------------------------------------------------------------------------------

def poor_person_ids(person_ids) -> set[int]:
    """Of these persons, those who are 脱贫人口 / 监测对象 on the register: the care tag on the person,
    or on a member of their current household (the register may tag the household's head only)."""
    from linli.people.models import Membership, Person

    person_ids = set(person_ids)
    if not person_ids:
        return set()
    tagged = set(Person.objects.filter(pk__in=person_ids, care_tags__code__in=POOR_TAG_CODES)
                 .values_list("pk", flat=True))
    rest = person_ids - tagged
    if rest:
        homes = dict(Membership.objects.filter(person_id__in=rest, end_date__isnull=True)
                     .values_list("person_id", "household_id"))
        tagged_homes = set(Membership.objects.filter(household_id__in=set(homes.values()), end_date__isnull=True,
                                                     person__care_tags__code__in=POOR_TAG_CODES)
                           .values_list("household_id", flat=True))
        tagged |= {p for p, h in homes.items() if h in tagged_homes}
    return tagged


def poor_tags_of(person_ids) -> dict[int, list[str]]:
    """The poor tags' names per person (their own tags; a household's shown as the household's)."""
    from linli.people.models import Person

    out: dict[int, list[str]] = defaultdict(list)
    for pid, name in (Person.objects.filter(pk__in=set(person_ids), care_tags__code__in=POOR_TAG_CODES)
                      .values_list("pk", "care_tags__name")):
        out[pid].append(name)
    return out


def _span_days(w: Worker, first: dt.date | None, last: dt.date) -> int:
    start = max(w.started_on, first) if first else w.started_on
    end = min(w.ended_on or last, last)
    return max((end - start).days + 1, 0)


def _months_between(start: dt.date, end: dt.date) -> int:
    """Whole months from `start` to `end` (3 months from 15 Jan is 15 Apr)."""
    months = (end.year - start.year) * 12 + end.month - start.month
    return months - (1 if end.day < start.day else 0)


def incomes(*, worker_ids, first: dt.date, last: dt.date) -> dict[int, Decimal]:
    """Gross pay per worker from the wage ledger rows of the cycles in [first, last]."""
    rows = (LedgerRow.objects.filter(worker_id__in=list(worker_ids), cycle__gte=month_start(first), cycle__lte=last)
            .values("worker_id").annotate(s=Sum("gross")))
    return {r["worker_id"]: r["s"] or ZERO for r in rows}


@dataclass
class Criterion:
    code: str
    label: str
    figure: str
    required: str
    met: bool


@dataclass
class Recognition:
    as_of: dt.date
    headcount: int
    poor_workers: int
    poor_counted: int
    stable_poor_workers: int
    stable_workers: int
    average_monthly_wage: Decimal
    insurance_valid: bool
    criteria: list[Criterion] = field(default_factory=list)
    counted_worker_ids: list[int] = field(default_factory=list)

    @property
    def met(self) -> bool:
        return all(c.met for c in self.criteria)

    @property
    def shortfalls(self) -> list[Criterion]:
        return [c for c in self.criteria if not c.met]

    def as_dict(self) -> dict:
        d = asdict(self)
        d["as_of"] = self.as_of.isoformat()
        d["average_monthly_wage"] = str(self.average_monthly_wage)
        d["met"] = self.met
        return d


def _workshop_workers(workshop_ids, as_of: dt.date) -> list[Worker]:
    return list(Worker.objects.filter(workshop_id__in=list(workshop_ids), started_on__lte=as_of)
                .select_related("person").order_by("workshop_id", "person_id", "started_on"))


def recognition(*, workshop: Workshop, as_of: dt.date | None = None, _workers=None, _poor=None,
                _income=None) -> Recognition:
    """The workshop's recognition figures on `as_of`, from records: its current headcount; the poor
    workers at work (a care tag on the register); those who count — cumulative days at the workshop
    ≥ the rule's days, or gross pay in the 12 months to `as_of` ≥ the rule's income; the stable ones
    (at work without a break for ≥ the rule's months); the average monthly wage (the ledger rows of the
    12 months); insurance in force at the rule's premium. Each criterion says met or not, with its
    figure and what is required."""
    as_of = as_of or timezone.localdate()
    rules = rules_for(workshop.division, as_of)
    workers = _workers if _workers is not None else _workshop_workers([workshop.pk], as_of)
    workers = [w for w in workers if w.workshop_id == workshop.pk]
    current = [w for w in workers if w.ended_on is None or w.ended_on >= as_of]
    poor = _poor if _poor is not None else poor_person_ids({w.person_id for w in workers})
    year_first = add_months(month_start(as_of), -11)
    income = _income if _income is not None else incomes(worker_ids=[w.pk for w in workers], first=year_first,
                                                         last=as_of)
    days_by_person: dict[int, int] = defaultdict(int)
    income_by_person: dict[int, Decimal] = defaultdict(Decimal)
    for w in workers:
        days_by_person[w.person_id] += _span_days(w, None, as_of)
        income_by_person[w.person_id] += income.get(w.pk, ZERO)
    poor_current = [w for w in current if w.person_id in poor]
    counted = [w for w in poor_current if days_by_person[w.person_id] >= rules.count_after_days
               or income_by_person[w.person_id] >= rules.count_after_income]
    stable = [w for w in current if _months_between(w.started_on, as_of) >= rules.stable_months]
    stable_poor = [w for w in stable if w.person_id in poor]
    rows = LedgerRow.objects.filter(pay_run__workshop=workshop, cycle__gte=year_first, cycle__lte=as_of)
    agg = rows.aggregate(s=Sum("gross"), n=Count("pk"))
    average = (agg["s"] / agg["n"]).quantize(CENT) if agg["n"] else ZERO
    ins_date_ok = workshop.insurance_expires is not None and workshop.insurance_expires >= as_of \
        and bool(workshop.insurance_policy)
    ins_amount_ok = workshop.insurance_per_worker_month >= rules.insurance_min_per_worker_month
    contract_ok = workshop.contract_start is not None and workshop.contract_start <= as_of and (
        workshop.contract_end is None or workshop.contract_end >= as_of)
    criteria = [
        Criterion("poor_workers", _("Poor workers who count"), str(len(counted)), f"≥ {rules.min_poor_workers}",
                  len(counted) >= rules.min_poor_workers),
        Criterion("insurance_in_force", _("Accident insurance in force"),
                  workshop.insurance_expires.isoformat() if workshop.insurance_expires else "—",
                  f"≥ {as_of.isoformat()}", ins_date_ok),
        Criterion("insurance_premium", _("Insurance premium per worker per month (yuan)"),
                  f"{Decimal(workshop.insurance_per_worker_month):.2f}", f"≥ {rules.insurance_min_per_worker_month}",
                  ins_amount_ok),
        Criterion("community_contract", _("Contract with the community in force"),
                  workshop.contract_end.isoformat() if workshop.contract_end else (
                      "—" if workshop.contract_start is None else _("open-ended")),
                  f"≥ {as_of.isoformat()}", contract_ok),
        Criterion("running", _("Workshop running"), workshop.get_status_display(), _("Running"),
                  workshop.status == Workshop.Status.OPEN),
    ]
    return Recognition(as_of=as_of, headcount=len(current), poor_workers=len(poor_current),
                       poor_counted=len(counted), stable_poor_workers=len(stable_poor), stable_workers=len(stable),
                       average_monthly_wage=average, insurance_valid=ins_date_ok and ins_amount_ok,
                       criteria=criteria, counted_worker_ids=[w.pk for w in counted])


def review_state(*, workshop: Workshop) -> Review | None:
    """The workshop's latest quarterly review (its state: normal, monitoring with its grace, cleared)."""
    return workshop.reviews.order_by("-quarter").first()


# Public sign, roster and ledger extracts ----------------------------------------------------------

def public_sign(*, workshop: Workshop, as_of: dt.date | None = None) -> dict:
    """The public sign (公示牌) for printing: operator and licence code, products, hours, headcount and
    poor workers at work, contact, and the community's staff to call about wages."""
    as_of = as_of or timezone.localdate()
    rec = recognition(workshop=workshop, as_of=as_of)
    review = review_state(workshop=workshop)
    return {
        "name": workshop.name, "operator": workshop.operator.name, "credit_code": workshop.credit_code,
        "kind": str(workshop.kind), "products": workshop.products, "hours": workshop.hours,
        "site": workshop.site.name, "room": workshop.room.name if workshop.room_id else "",
        "opened_on": workshop.opened_on, "headcount": rec.headcount, "poor_workers": rec.poor_workers,
        "stable_poor_workers": rec.stable_poor_workers, "contact_name": workshop.contact_name,
        "contact_phone": workshop.contact_phone, "community": workshop.division.name,
        "insurance_policy": workshop.insurance_policy, "insurance_expires": workshop.insurance_expires,
        "review_state": review.get_state_display() if review else "", "as_of": as_of,
    }


def poor_roster(*, workshop: Workshop, first: dt.date, last: dt.date) -> list[dict]:
    """《吸纳脱贫人口就业花名册》: the poor workers at the workshop at some time in [first, last], with
    masked ID number, sex, age, tag, household address, contract, dates, days there and gross pay in
    the period, and whether they count and are stable at `last`."""
    from linli.people.models import Membership

    workers = [w for w in Worker.objects.filter(workshop=workshop, started_on__lte=last)
               .filter(Q(ended_on__isnull=True) | Q(ended_on__gte=first)).select_related("person")
               .order_by("person__name", "started_on")]
    poor = poor_person_ids({w.person_id for w in workers})
    workers = [w for w in workers if w.person_id in poor]
    tags = poor_tags_of(poor)
    homes = {m.person_id: m.household for m in Membership.objects.filter(
        person_id__in=poor, end_date__isnull=True).select_related("household")}
    income = incomes(worker_ids=[w.pk for w in workers], first=first, last=last)
    rec = recognition(workshop=workshop, as_of=last)
    counted = set(rec.counted_worker_ids)
    rules = rules_for(workshop.division, last)
    out = []
    for w in workers:
        p = w.person
        home = homes.get(p.pk)
        out.append({
            "worker_id": w.pk, "name": p.name, "id_number_masked": p.id_number_masked, "sex": p.get_sex_display(),
            "age": p.age, "tags": tags.get(p.pk) or [_("household member tagged")],
            "address": home.address if home else "", "phone": mask_phone(p.phone),
            "contract_kind": w.get_contract_kind_display(), "contract_from": w.contract_start.isoformat(),
            "contract_until": w.contract_end.isoformat() if w.contract_end else "",
            "started_on": w.started_on.isoformat(), "ended_on": w.ended_on.isoformat() if w.ended_on else "",
            "days": _span_days(w, first, last), "income": str(income.get(w.pk, ZERO)),
            "counts": w.pk in counted,
            "stable": (w.ended_on is None or w.ended_on >= last)
            and _months_between(w.started_on, last) >= rules.stable_months,
        })
    return out


def ledger_extract(*, workshop: Workshop, first: dt.date, last: dt.date, worker_ids=None) -> list[dict]:
    """The wage ledger rows of the workshop's cycles in [first, last] (ID numbers masked)."""
    rows = LedgerRow.objects.filter(pay_run__workshop=workshop, cycle__gte=month_start(first), cycle__lte=last)
    if worker_ids is not None:
        rows = rows.filter(worker_id__in=list(worker_ids))
    return [{"row_id": r.pk, "worker_id": r.worker_id, "cycle": f"{r.cycle:%Y-%m}", "employer": r.employer,
             "name": r.name, "id_number_masked": r.id_number_masked, "phone": mask_phone(r.phone),
             "days": str(r.days), "hours": str(r.hours), "pieces": str(r.pieces), "items": r.items,
             "gross": str(r.gross), "deductions": str(r.deductions), "deduction_items": r.deduction_items,
             "net": str(r.net), "pay_date": r.pay_date.isoformat() if r.pay_date else "",
             "proof": r.transfer_ref or (_("signature") if r.signature else "")}
            for r in rows.order_by("cycle", "name", "pk")]


# Income and relapse monitoring --------------------------------------------------------------------

def monitoring_year(day: dt.date, start_month: int | None = None) -> tuple[dt.date, dt.date]:
    """The monitoring year holding `day` (October–September by default, a rule)."""
    start_month = start_month or rules_for(None, day).year_start_month
    year = day.year if day.month >= start_month else day.year - 1
    first = dt.date(year, start_month, 1)
    return first, add_months(first, 12) - dt.timedelta(days=1)


def person_income(*, person, as_of: dt.date | None = None) -> dict:
    """A person's workshop income: gross per month of the monitoring year holding `as_of`, the year's
    total, and the previous year's — beside the household's other monitoring facts."""
    as_of = as_of or timezone.localdate()
    first, last = monitoring_year(as_of, rules_for(person.division, as_of).year_start_month)
    rows = LedgerRow.objects.filter(worker__person=person, cycle__gte=add_months(first, -12), cycle__lte=last)
    by_month: dict[dt.date, Decimal] = defaultdict(Decimal)
    for cycle, gross in rows.values_list("cycle", "gross"):
        by_month[cycle] += gross
    months = [(add_months(first, i), by_month.get(add_months(first, i), ZERO)) for i in range(12)]
    previous = sum((v for k, v in by_month.items() if k < first), ZERO)
    return {"year_first": first, "year_last": last, "months": months,
            "months_to_date": [(m, v) for m, v in months if m <= as_of],
            "year_total": sum((v for _k, v in months), ZERO), "previous_year_total": previous}


def household_income(*, household, as_of: dt.date | None = None) -> dict:
    """The household's workshop income per month of the monitoring year holding `as_of` (October–
    September by default, the county's rule), of its current members: `months` (all twelve),
    `months_to_date` (those begun by `as_of`), the year's total, the previous monitoring year's total,
    and `working` — the members' spells at a workshop that are current on `as_of` (person and workshop
    names, started on) — and `ever_worked` (a current member has had a workshop job). A fixed number
    of queries, whatever the household's size."""
    as_of = as_of or timezone.localdate()
    members = household.memberships.filter(end_date__isnull=True).values("person_id")
    spells = list(Worker.objects.filter(person_id__in=members, started_on__lte=as_of)
                  .values_list("person__name", "workshop__name", "started_on", "ended_on").order_by("started_on"))
    first, last = monitoring_year(as_of, rules_for(household.division, as_of).year_start_month)
    by_month: dict[dt.date, Decimal] = defaultdict(Decimal)
    if spells:
        rows = LedgerRow.objects.filter(worker__person_id__in=members, cycle__gte=add_months(first, -12),
                                        cycle__lte=last)
        for cycle, gross in rows.values_list("cycle", "gross"):
            by_month[cycle] += gross
    months = [(add_months(first, i), by_month.get(add_months(first, i), ZERO)) for i in range(12)]
    working = [{"name": n, "workshop": w, "started_on": s} for n, w, s, e in spells if e is None or e >= as_of]
    return {"year_first": first, "year_last": last, "months": months,
            "months_to_date": [(m, v) for m, v in months if m <= as_of],
            "year_total": sum((v for _k, v in months), ZERO),
            "previous_year_total": sum((v for k, v in by_month.items() if k < first), ZERO),
            "working": working, "ever_worked": bool(spells)}


@dataclass
class Watch:
    """A household for the grid worker's next visit, and why."""
    household_id: int
    address: str
    division_id: int
    reason: str  # "income_drop" | "stopped_work"
    text: str
    person_names: list[str]


def relapse_watch(*, division=None, divisions=None, user=None, today: dt.date | None = None) -> list[Watch]:
    """Households (of `division`'s subtree, of the given `divisions`, or those the user's grants show)
    whose workshop income in their latest paid cycle fell by at least the rule's share below the
    average of the rule's months before it, or a member of which stopped working at a workshop since
    the start of last month without working at one still. The latest paid cycle of a household is the
    earliest of its members' workshops' latest pay runs (a cycle not yet run is not a drop). For the grid
    worker's visit list (grids calls this through its visit-prompt hook)."""
    from django.db.models import Max

    from linli.people.models import Household

    today = today or timezone.localdate()
    rules = rules_for(division, today)
    last_month = add_months(month_start(today), -1)
    lookback = rules.drop_lookback_months
    households = Household.objects.all()
    if division is not None:
        households = households.filter(division__path__startswith=division.path)
    if divisions is not None:
        households = households.filter(division__in=list(divisions))
    if user is not None:
        households = households & Household.objects.visible_to(user)
    earliest = add_months(last_month, -(lookback + 12))
    # The workers (current, or ended within the look-back) living in these households now, with their
    # household: one query from the households' current memberships, not every worker of the county.
    rows = list(Worker.objects.filter(Q(ended_on__isnull=True) | Q(ended_on__gte=earliest),
                                      person__memberships__end_date__isnull=True,
                                      person__memberships__household__in=households.order_by().values("pk"))
                .order_by("person__name", "person_id")
                .values_list("person_id", "workshop_id", "person__memberships__household_id", "ended_on",
                             "person__name", "person__memberships__household__address",
                             "person__memberships__household__division_id"))
    if not rows:
        return []
    workers = [(p, w) for p, w, _h, _e, *_rest in rows]
    homes = {p: h for p, _w, h, _e, *_rest in rows}
    latest_run = dict(PayRun.objects.filter(workshop_id__in={w for _p, w in workers}, cycle__lte=last_month)
                      .order_by().values("workshop_id").annotate(c=Max("cycle")).values_list("workshop_id", "c"))
    home_cycle: dict[int, dt.date] = {}
    for pid, wid in workers:
        if pid in homes and wid in latest_run:
            hid = homes[pid]
            home_cycle[hid] = min(home_cycle.get(hid, latest_run[wid]), latest_run[wid])
    by_home: dict[int, dict[dt.date, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for pid, cycle, gross in (LedgerRow.objects.filter(worker__person_id__in=list(homes), cycle__gte=earliest,
                                                       cycle__lte=last_month)
                              .order_by().values_list("worker__person_id", "cycle", "gross")):
        by_home[homes[pid]][cycle] += gross
    info = {h: Household(pk=h, address=address, division_id=division) for _p, _w, h, _e, _n, address, division in rows}
    names = defaultdict(list)
    for pid, name in dict((p, n) for p, _w, _h, _e, n, *_rest in rows).items():
        names[homes[pid]].append(name)
    share = Decimal(rules.sharp_drop_share)
    out: dict[tuple[int, str], Watch] = {}
    for hid, latest_cycle in home_cycle.items():
        months = by_home.get(hid, {})
        before = [months.get(add_months(latest_cycle, -i), ZERO) for i in range(1, lookback + 1)]
        average = sum(before, ZERO) / lookback
        latest = months.get(latest_cycle, ZERO)
        if average > 0 and latest <= average * (1 - share):
            h = info[hid]
            out[(hid, "income_drop")] = Watch(hid, h.address, h.division_id, "income_drop", _(
                "Workshop income %(latest)s yuan in %(month)s, against %(avg)s yuan a month before.") % {
                "latest": latest.quantize(CENT), "month": f"{latest_cycle:%Y-%m}", "avg": average.quantize(CENT)},
                names[hid])
    still = {p for p, _w, _h, ended, *_rest in rows if ended is None}
    stopped = {p for p, _w, _h, ended, *_rest in rows if ended is not None and last_month <= ended <= today} - still
    for w in (Worker.objects.filter(person_id__in=stopped, ended_on__gte=last_month, ended_on__lte=today)
              .select_related("person", "workshop") if stopped else ()):
        hid = homes[w.person_id]
        h = info[hid]
        out.setdefault((hid, "stopped_work"), Watch(hid, h.address, h.division_id, "stopped_work", _(
            "%(name)s stopped working at %(workshop)s on %(day)s.") % {
            "name": w.person.name, "workshop": w.workshop.name, "day": w.ended_on}, [w.person.name]))
    return sorted(out.values(), key=lambda x: (x.address, x.reason))


def visit_prompts(*, grids, today: dt.date | None = None) -> list[Watch]:
    """The grids' hook (grids.selectors.register_visit_prompt): the relapse watch of the worker's grids."""
    grids = list(grids)
    if not grids:
        return []
    return relapse_watch(divisions=grids, division=None, today=today)


# Figures ------------------------------------------------------------------------------------------

def figures(user=None) -> dict:
    """The `workshops` section of `linli stats --json`: from records only."""
    from linli.accounts.models import Role

    def scoped(model):
        return model.objects.all() if user is None else model.objects.visible_to(user, roles=Role.Kind.values)

    today = timezone.localdate()
    workshops = list(scoped(Workshop).filter(status=Workshop.Status.OPEN).select_related("division"))
    ids = [w.pk for w in workshops]
    workers = _workshop_workers(ids, today)
    poor = poor_person_ids({w.person_id for w in workers})
    year_first = add_months(month_start(today), -11)
    income = incomes(worker_ids=[w.pk for w in workers], first=year_first, last=today)
    recognised, current, poor_now, stable_poor = 0, set(), set(), set()
    rules = rules_for(None, today)
    for w in workshops:
        rec = recognition(workshop=w, as_of=today, _workers=workers, _poor=poor, _income=income)
        recognised += rec.met
    for w in workers:
        if w.ended_on is None or w.ended_on >= today:
            current.add(w.person_id)
            if w.person_id in poor:
                poor_now.add(w.person_id)
                if _months_between(w.started_on, today) >= rules.stable_months:
                    stable_poor.add(w.person_id)
    rows = LedgerRow.objects.filter(pay_run__workshop_id__in=ids)
    paid = rows.filter(pay_date__gt=today - dt.timedelta(days=365), pay_date__lte=today).aggregate(s=Sum("net"))["s"]
    year = rows.filter(cycle__gte=year_first, cycle__lte=today).aggregate(s=Sum("gross"), n=Count("pk"))
    return {
        "workshops": len(ids),
        "recognised": recognised,
        "workers": len(current),
        "poor_workers": len(poor_now),
        "stable_poor_workers": len(stable_poor),
        "wages_paid_last_12_months": float(paid or 0),
        "average_monthly_wage": round(float(year["s"] / year["n"]), 2) if year["n"] else 0.0,
        "unpaid_pay_runs": PayRun.objects.filter(workshop_id__in=ids, paid_at__isnull=True).count(),
    }


def workshop_overview(*, workshop: Workshop, today: dt.date | None = None) -> dict:
    """What a workshop's page shows at the top: recognition, review, unpaid runs, awaiting records,
    the last month's production."""
    today = today or timezone.localdate()
    last = add_months(month_start(today), -1)
    produced = (WorkRecord.objects.filter(worker__workshop=workshop, cycle=last, status=WorkRecord.Status.CONFIRMED)
                .values("job__name", "job__unit").annotate(q=Sum("quantity")).order_by("job__name"))
    return {
        "recognition": recognition(workshop=workshop, as_of=today),
        "review": review_state(workshop=workshop),
        "unpaid_runs": workshop.pay_runs.filter(paid_at__isnull=True).count(),
        "overdue_runs": workshop.pay_runs.filter(paid_at__isnull=True, due_on__lt=today).count(),
        "awaiting": awaiting_records(workshop_id=workshop.pk, cycle=month_start(today)).count()
        + awaiting_records(workshop_id=workshop.pk, cycle=last).count(),
        "last_month": last, "last_month_end": month_end(last), "produced": list(produced),
    }


# The county office's checks live in checks.py; the same names here for the pages.
from .checks import (  # noqa: E402
    CHECKS,
    Finding,
    check_double_counted,
    check_idle_workshops,
    check_no_pay,
    check_subsidies_for_leavers,
    check_wages_below_pieces,
    county_checks,
)

__all__ = ["CHECKS", "Finding", "check_double_counted", "check_idle_workshops", "check_no_pay",
           "check_subsidies_for_leavers", "check_wages_below_pieces", "county_checks"]
