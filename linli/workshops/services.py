"""Writes for the employment-assistance workshops.

THE RULES
- Rules (thresholds) are dated RuleSets of a county (or the default); two of one county never
  overlap (the county's Division row is locked while checking). Only the county office sets them.
- A workshop is opened by the community's staff (or the county office) at a site of that community,
  run by an organisation whose unified social credit code passes its GB 32100 check.
- A job's rates are dated and never overlap: a new rate ends the open one the day before.
- A worker is a person on the register with a valid ID number (the age comes from it), at least the
  minimum working age on the first day of work, under a labour contract or a contract for work; not
  twice at the same workshop at a time. Whether they are 脱贫/监测 comes from the register's care tags.
- Work records: only for a worker under contract and at work that day, on a job of their workshop,
  not in the future, not in a cycle already paid (its pay run closes it). The workshop's entries are
  confirmed at once; a worker's own entries await the workshop's confirmation. The same worker, job,
  day and quantity again within the duplicate interval is refused, even from two phones at once (the
  Worker row is locked while checking). Records are never edited or deleted: a reversal is a new
  record; a reversal of a paid cycle's record counts in the next open cycle.
- A pay run per workshop and monthly cycle, after the cycle ends and once only: each worker's gross
  from the cycle's confirmed records at the rate in force on each record's date, minus deductions
  (never more than the gross); it writes the wage ledger rows. A row is marked paid once, with the
  pay date and a bank transfer reference or the worker's signature — never without either.
- Unpaid rows past the due day are flagged to the community staff and the county office once
  (pay_overdue_notify, on the job schedule); ledger rows past the retention period (≥ 3 years) are anonymised nightly.
- Quarterly review: the state follows the recognition figures and the previous review's grace.
- Subsidy applications carry their evidence generated from records; submitted, they are frozen.
"""

import datetime as dt
import logging
from collections import defaultdict
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from linli.core import crypto, idcard
from linli.core.scoping import has_role_over
from linli.divisions.models import Division
from linli.orgs.models import Organization
from linli.people.models import Person
from linli.places.models import Room, Site

from . import creditcode
from .models import (
    MIN_RETENTION_YEARS,
    STAFF_ROLES,
    ZERO,
    Job,
    LedgerRow,
    PayRun,
    Rate,
    Review,
    RuleSet,
    SubsidyApplication,
    Worker,
    WorkRecord,
    Workshop,
    WorkshopKind,
)
from .rules import Rules, overlapping, rules_for

log = logging.getLogger(__name__)
ANONYMISED = "已匿名"
CENT = Decimal("0.01")


def _invalid(field: str, message: str, code: str) -> ValidationError:
    """A field error that keeps its code (tests and the API tell refusals apart by it)."""
    return ValidationError({field: ValidationError(message, code=code)})


def _require(ok: bool, message: str) -> None:
    if not ok:
        raise PermissionDenied(message)


# Months and cycles --------------------------------------------------------------------------------

def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def add_months(day: dt.date, months: int) -> dt.date:
    """The first day of the month `months` after the month of `day`."""
    y, m = divmod(day.month - 1 + months, 12)
    return dt.date(day.year + y, m + 1, 1)


def month_end(day: dt.date) -> dt.date:
    return add_months(day, 1) - dt.timedelta(days=1)


def quarter_start(day: dt.date) -> dt.date:
    return dt.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def cycle_closed(workshop_id: int, cycle: dt.date) -> bool:
    return PayRun.objects.filter(workshop_id=workshop_id, cycle=month_start(cycle)).exists()


def first_open_cycle(workshop_id: int, cycle: dt.date) -> dt.date:
    """The first monthly cycle from `cycle` on without a pay run."""
    closed = set(PayRun.objects.filter(workshop_id=workshop_id, cycle__gte=month_start(cycle))
                 .values_list("cycle", flat=True))
    c = month_start(cycle)
    while c in closed:
        c = add_months(c, 1)
    return c


def workshop_rules(workshop: Workshop, day: dt.date | None = None) -> Rules:
    return rules_for(workshop.division, day)


# Who may do what ----------------------------------------------------------------------------------

def can_manage(user, workshop: Workshop) -> bool:
    """The community's staff and the county office: open, change, pay runs, reviews, subsidies."""
    return has_role_over(user, STAFF_ROLES, workshop.division)


def is_manager(user, workshop: Workshop) -> bool:
    return bool(getattr(user, "pk", None)) and workshop.managers.filter(pk=user.pk).exists()


def can_record(user, workshop: Workshop) -> bool:
    """Who enters and confirms work records for the workshop: its staff above and its own managers."""
    return can_manage(user, workshop) or is_manager(user, workshop)


def can_set_rules(user, county: Division | None) -> bool:
    if county is None:
        return bool(getattr(user, "is_superuser", False))
    return has_role_over(user, ("county_admin",), county)


# Rules --------------------------------------------------------------------------------------------

RULE_FIELDS = ("min_poor_workers", "insurance_min_per_worker_month", "count_after_days", "count_after_income",
               "stable_months", "review_grace_months", "year_start_month", "pay_due_days", "duplicate_minutes",
               "sharp_drop_share", "drop_lookback_months", "ledger_retention_years", "min_age")


@transaction.atomic
def rule_set_create(*, by, county: Division | None, valid_from: dt.date, valid_to: dt.date | None = None,
                    source: str = "", **thresholds) -> RuleSet:
    """The county office sets its thresholds from a day (the fields of RuleSet; those not given take
    the defaults). It may not overlap another rule set of the county; the wage ledger is kept at least
    3 years and nobody under 16 works, whatever is asked."""
    _require(can_set_rules(by, county), _("Only the county office may set the workshop rules."))
    unknown = set(thresholds) - set(RULE_FIELDS)
    if unknown:
        raise ValidationError({"rules": _("Unknown threshold: %(names)s") % {"names": ", ".join(sorted(unknown))}})
    if valid_to is not None and valid_to < valid_from:
        raise ValidationError({"valid_to": _("Rules must end after they start.")})
    if county is not None:
        Division.objects.select_for_update().get(pk=county.pk)  # one writer of a county's rules at a time
    if overlapping(county=county, valid_from=valid_from, valid_to=valid_to).exists():
        raise _invalid("valid_from", _("Other rules of this county are in force in these dates; end them first."),
                       "overlap")
    row = RuleSet(county=county, valid_from=valid_from, valid_to=valid_to, source=source.strip()[:200],
                  created_by=by if getattr(by, "pk", None) else None, **thresholds)
    row.full_clean()
    row.save()
    return row


@transaction.atomic
def rule_set_end(*, by, rule_set: RuleSet, valid_to: dt.date) -> RuleSet:
    """End a rule set on a day (to replace it with a new one from the next day)."""
    _require(can_set_rules(by, rule_set.county), _("Only the county office may set the workshop rules."))
    if valid_to < rule_set.valid_from:
        raise ValidationError({"valid_to": _("Rules must end after they start.")})
    rule_set.valid_to = valid_to
    rule_set.save(update_fields=["valid_to"])
    return rule_set


# Workshops and jobs -------------------------------------------------------------------------------

WORKSHOP_FIELDS = ("name", "products", "hours", "room", "kind", "contract_start", "contract_end", "contract_scan",
                   "licence_scan", "insurer", "insurance_policy", "insurance_expires", "insurance_per_worker_month",
                   "contact_name", "contact_phone", "credit_code")


def _check_workshop(w: Workshop) -> None:
    errors = {}
    try:
        w.credit_code = creditcode.validate(w.credit_code)
    except ValidationError as e:
        errors["credit_code"] = e.messages
    if w.room_id is not None and w.room.site_id != w.site_id:
        errors["room"] = _("Choose a room of the workshop's site.")
    if w.contract_start and w.contract_end and w.contract_end < w.contract_start:
        errors["contract_end"] = _("The contract must end after it starts.")
    if not (w.products or "").strip():
        errors["products"] = _("Say what the workshop makes.")
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def workshop_create(*, by, name: str, operator: Organization, credit_code: str, site: Site, kind: WorkshopKind,
                    products: str, opened_on: dt.date, room: Room | None = None, hours: str = "",
                    contract_start: dt.date | None = None, contract_end: dt.date | None = None,
                    contract_scan=None, licence_scan=None, insurer: str = "", insurance_policy: str = "",
                    insurance_expires: dt.date | None = None, insurance_per_worker_month: Decimal = ZERO,
                    contact_name: str = "", contact_phone: str = "", is_demo: bool = False) -> Workshop:
    """The community's staff register a workshop at a site of their community, run by `operator`
    (licence: its unified social credit code, checked). Its scope is the site's community."""
    division = site.division.community() or site.division
    _require(has_role_over(by, STAFF_ROLES, division), _("Only the community's staff may register a workshop here."))
    w = Workshop(name=name.strip()[:100], operator=operator, credit_code=credit_code, site=site, room=room,
                 division=division, kind=kind, products=products.strip()[:200], hours=hours.strip()[:100],
                 opened_on=opened_on, contract_start=contract_start, contract_end=contract_end,
                 insurer=insurer.strip()[:100], insurance_policy=insurance_policy.strip()[:60],
                 insurance_expires=insurance_expires, insurance_per_worker_month=insurance_per_worker_month,
                 contact_name=contact_name.strip()[:50], contact_phone=contact_phone.strip()[:30], is_demo=is_demo)
    if contract_scan:
        w.contract_scan = contract_scan
    if licence_scan:
        w.licence_scan = licence_scan
    if not w.name:
        raise ValidationError({"name": _("Name the workshop.")})
    _check_workshop(w)
    w.full_clean(exclude=["contract_scan", "licence_scan"])
    w.save()
    return w


@transaction.atomic
def workshop_update(*, by, workshop: Workshop, **changes) -> Workshop:
    """Change what the staff keep about a workshop (WORKSHOP_FIELDS: licence, contract, insurance,
    products, hours, room, kind); the site, community and opening day stay."""
    _require(can_manage(by, workshop), _("Only the community's staff may change this workshop."))
    unknown = set(changes) - set(WORKSHOP_FIELDS)
    if unknown:
        raise ValidationError({"workshop": _("These fields cannot be changed here: %(names)s") % {
            "names": ", ".join(sorted(unknown))}})
    for k, v in changes.items():
        setattr(workshop, k, v.strip() if isinstance(v, str) else v)
    _check_workshop(workshop)
    workshop.full_clean(exclude=["contract_scan", "licence_scan"])
    workshop.save()
    return workshop


@transaction.atomic
def workshop_close(*, by, workshop: Workshop, closed_on: dt.date) -> Workshop:
    """Close a workshop; its workers still at work stop on that day."""
    _require(can_manage(by, workshop), _("Only the community's staff may close this workshop."))
    if closed_on < workshop.opened_on:
        raise ValidationError({"closed_on": _("A workshop closes after it opened.")})
    workshop.status, workshop.closed_on = Workshop.Status.CLOSED, closed_on
    workshop.save(update_fields=["status", "closed_on"])
    for w in workshop.workers.filter(ended_on__isnull=True):
        w.ended_on, w.end_reason = max(closed_on, w.started_on), _("The workshop closed.")
        w.save(update_fields=["ended_on", "end_reason"])
    return workshop


def workshop_manager_add(*, by, workshop: Workshop, user) -> Workshop:
    """Name a user of the operator as a workshop manager: they enter and confirm its work records."""
    _require(can_manage(by, workshop), _("Only the community's staff may name workshop managers."))
    workshop.managers.add(user)
    return workshop


def workshop_manager_remove(*, by, workshop: Workshop, user) -> Workshop:
    _require(can_manage(by, workshop), _("Only the community's staff may name workshop managers."))
    workshop.managers.remove(user)
    return workshop


@transaction.atomic
def job_create(*, by, workshop: Workshop, name: str, pay_kind: str, rate: Decimal, valid_from: dt.date,
               unit: str = "") -> Job:
    """A job or process with its first rate (yuan per piece, or per day for day work)."""
    _require(can_manage(by, workshop), _("Only the community's staff may set the workshop's jobs."))
    name = name.strip()[:60]
    if not name:
        raise ValidationError({"name": _("Name the job or process.")})
    if pay_kind not in Job.PayKind.values:
        raise ValidationError({"pay_kind": _("Choose by the piece or by the day.")})
    if Job.objects.filter(workshop=workshop, name=name).exists():
        raise ValidationError({"name": _("This workshop already has a job of this name.")})
    unit = (unit or ("天" if pay_kind == Job.PayKind.DAY else "件")).strip()[:10]
    job = Job.objects.create(workshop=workshop, name=name, pay_kind=pay_kind, unit=unit)
    rate_set(by=by, job=job, amount=rate, valid_from=valid_from)
    return job


@transaction.atomic
def rate_set(*, by, job: Job, amount: Decimal, valid_from: dt.date) -> Rate:
    """A new rate from a day: the rate in force until then ends the day before. A rate that starts on
    or after `valid_from` already exists → refused (rates never overlap, nor are rewritten)."""
    _require(can_manage(by, job.workshop), _("Only the community's staff may set the workshop's jobs."))
    amount = Decimal(amount)
    if amount <= 0:
        raise ValidationError({"amount": _("Give a rate of more than zero.")})
    Job.objects.select_for_update().get(pk=job.pk)
    if job.rates.filter(valid_from__gte=valid_from).exists():
        raise _invalid("valid_from", _("A rate of this job starts on or after that day already."), "overlap")
    if PayRun.objects.filter(workshop_id=job.workshop_id, cycle_end__gte=valid_from).exists():
        # A paid cycle keeps the rates it was paid at (the ledger and the checks recompute from them).
        raise _invalid("valid_from", _("Wages up to that day are already paid; a new rate starts after the last "
                                       "pay run's cycle."), "paid")
    job.rates.filter(valid_from__lt=valid_from).filter(
        Q(valid_to__isnull=True) | Q(valid_to__gte=valid_from)).update(valid_to=valid_from - dt.timedelta(days=1))
    return Rate.objects.create(job=job, amount=amount, valid_from=valid_from,
                               created_by=by if getattr(by, "pk", None) else None)


def rate_on(job: Job, day: dt.date, rates: list[Rate] | None = None) -> Rate | None:
    """The rate of `job` in force on `day` (from the given rows when the caller prefetched them)."""
    rows = rates if rates is not None else list(job.rates.all())
    for r in rows:
        if r.job_id == job.pk and r.in_force(day):
            return r
    return None


# Workers ------------------------------------------------------------------------------------------

def age_on(number: str, day: dt.date) -> int:
    born = idcard.birth_date(number)
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


@transaction.atomic
def worker_add(*, by, workshop: Workshop, person: Person, contract_kind: str, contract_start: dt.date,
               started_on: dt.date, contract_end: dt.date | None = None, contract_scan=None,
               bank_account_masked: str = "", is_demo: bool = False) -> Worker:
    """Take a person of the register on at a workshop under a contract. Refused: no valid ID number on
    the register, under the minimum working age (from the ID number) on the first day, already at
    work there, or a contract that does not cover the first day."""
    _require(can_record(by, workshop), _("Only the workshop's staff may take workers on."))
    if not by.is_superuser and not Person.objects.visible_to(by).filter(pk=person.pk).exists() \
            and not can_manage(by, workshop):
        raise PermissionDenied(_("This person is not on a register you keep."))
    if contract_kind not in Worker.ContractKind.values:
        raise ValidationError({"contract_kind": _("Choose a labour contract or a contract for work.")})
    number = person.id_number
    if not number:
        raise _invalid("person", _("%(name)s has no ID-card number on the register; the wage ledger needs it.") % {
            "name": person.name}, "no_id")
    rules = workshop_rules(workshop, started_on)
    if age_on(number, started_on) < max(rules.min_age, 16):
        raise _invalid("person", _("%(name)s is under %(age)s on %(day)s and may not be employed.") % {
            "name": person.name, "age": max(rules.min_age, 16), "day": started_on}, "under_age")
    errors = {}
    if contract_end is not None and contract_end < contract_start:
        errors["contract_end"] = _("The contract must end after it starts.")
    if not (contract_start <= started_on and (contract_end is None or started_on <= contract_end)):
        errors["started_on"] = _("Work starts within the contract's dates.")
    if started_on < workshop.opened_on or workshop.status != Workshop.Status.OPEN:
        errors["started_on"] = _("The workshop was not running on that day.")
    if errors:
        raise ValidationError(errors)
    if Worker.objects.filter(workshop=workshop, person=person).filter(
            Q(ended_on__isnull=True) | Q(ended_on__gte=started_on)).exists():
        raise _invalid("person", _("%(name)s already works here in that period.") % {"name": person.name},
                       "duplicate")
    w = Worker(person=person, workshop=workshop, contract_kind=contract_kind, contract_start=contract_start,
               contract_end=contract_end, started_on=started_on, bank_account_masked=bank_account_masked.strip()[:30],
               created_by=by if getattr(by, "pk", None) else None, is_demo=is_demo)
    if contract_scan:
        w.contract_scan = contract_scan
    try:
        with transaction.atomic():
            w.save()
    except IntegrityError:
        raise _invalid("person", _("%(name)s already works here in that period.") % {"name": person.name},
                       "duplicate") from None
    return w


@transaction.atomic
def worker_contract_update(*, by, worker: Worker, contract_end: dt.date | None, contract_scan=None,
                           contract_kind: str | None = None) -> Worker:
    """Extend (or end) the contract, with the new scan; the start of the contract and of work stay."""
    _require(can_record(by, worker.workshop), _("Only the workshop's staff may change contracts."))
    if contract_end is not None and contract_end < worker.contract_start:
        raise ValidationError({"contract_end": _("The contract must end after it starts.")})
    if contract_kind is not None:
        if contract_kind not in Worker.ContractKind.values:
            raise ValidationError({"contract_kind": _("Choose a labour contract or a contract for work.")})
        worker.contract_kind = contract_kind
    worker.contract_end = contract_end
    if contract_scan:
        worker.contract_scan = contract_scan
    worker.save()
    return worker


@transaction.atomic
def worker_end(*, by, worker: Worker, ended_on: dt.date, reason: str = "") -> Worker:
    """The worker stopped working at the workshop (the grid worker's next visit lists the household)."""
    _require(can_record(by, worker.workshop), _("Only the workshop's staff may do this."))
    worker = Worker.objects.select_for_update().get(pk=worker.pk)
    if worker.ended_on is not None:
        raise ValidationError({"ended_on": _("This worker has already stopped.")})
    if ended_on < worker.started_on:
        raise ValidationError({"ended_on": _("Work stops after it started.")})
    later = worker.records.filter(date__gt=ended_on, reverses__isnull=True, reversed_by__isnull=True)
    if later.exists():
        raise ValidationError({"ended_on": _("There are work records after that day; reverse them first.")})
    worker.ended_on, worker.end_reason = ended_on, reason.strip()[:200]
    worker.save(update_fields=["ended_on", "end_reason"])
    return worker


def worker_concern_raise(*, by, worker: Worker, description: str):
    """A worker raises a concern about their pay or work (a concern case in their own community,
    through the cases services, as any resident files one). Only the worker themself."""
    from linli.cases.models import Kind, ServiceItem
    from linli.cases.services import case_create

    _require(worker.person.user_id is not None and worker.person.user_id == by.pk,
             _("Only the worker may raise a concern about their own work."))
    service = ServiceItem.objects.filter(kind=Kind.CONCERN, active=True).order_by("order", "code").first()
    if service is None:
        raise ValidationError({"service": _("Choose a category of concern.")}, code="service")
    text = (description or "").strip()
    if not text:
        raise ValidationError({"description": _("Describe the matter in a few words.")})
    prefix = _("Workshop %(workshop)s:") % {"workshop": worker.workshop.name}
    return case_create(by=by, kind=Kind.CONCERN, service=service, description=f"{prefix} {text}"[:4000],
                       person=worker.person)


# Work records -------------------------------------------------------------------------------------

def _check_record(*, worker: Worker, job: Job, date: dt.date, quantity: Decimal, today: dt.date) -> None:
    if job.workshop_id != worker.workshop_id or not job.active:
        raise ValidationError({"job": _("Choose a job of this workshop.")})
    if quantity <= 0:
        raise _invalid("quantity", _("Give a quantity of more than zero."), "quantity")
    if job.pay_kind == Job.PayKind.DAY and quantity > 1:
        raise _invalid("quantity", _("Day work is recorded as one day or half a day."), "quantity")
    if date > today:
        raise _invalid("date", _("Work is recorded on or after the day it was done."), "future")
    if not worker.under_contract(date):
        raise _invalid("worker", _("%(name)s has no contract covering %(day)s; nothing was recorded.") % {
            "name": worker.person.name, "day": date}, "no_contract")
    if rate_on(job, date) is None:
        raise _invalid("job", _("This job has no rate on %(day)s.") % {"day": date}, "no_rate")
    if cycle_closed(worker.workshop_id, date):
        raise _invalid("date", _("The pay cycle of %(month)s is closed (its pay run is done); nothing can be "
                                 "added to it.") % {"month": f"{date:%Y-%m}"}, "closed")


def record_add(*, by, worker: Worker, job: Job, date: dt.date, quantity, hours=None,
               now: dt.datetime | None = None, is_demo: bool = False) -> WorkRecord:
    """Record a day's work: pieces of a piece job, or a day (1 or 0.5) of a day job. Entered by the
    workshop it is confirmed at once; entered by the worker it awaits the workshop's confirmation.
    Refused (nothing recorded): no contract that day, a closed cycle, and the same worker, job, day
    and quantity again within the duplicate interval (the Worker row is locked while checking, so two
    simultaneous submissions cannot both pass)."""
    own = worker.person.user_id is not None and worker.person.user_id == getattr(by, "pk", None)
    staff = can_record(by, worker.workshop)
    _require(own or staff, _("Only the workshop or the worker may record this work."))
    now = now or timezone.now()
    quantity = Decimal(str(quantity))
    hours = None if hours in (None, "") else Decimal(str(hours))
    if hours is not None and not (0 < hours <= 24):
        raise _invalid("hours", _("Give the hours worked that day (at most 24)."), "hours")
    rules = workshop_rules(worker.workshop, date)
    with transaction.atomic():
        worker = Worker.objects.select_for_update().select_related("person", "workshop__division").get(pk=worker.pk)
        _check_record(worker=worker, job=job, date=date, quantity=quantity, today=timezone.localtime(now).date())
        standing = WorkRecord.objects.filter(worker=worker, job=job, date=date, reverses__isnull=True,
                                             reversed_by__isnull=True)
        since = now - dt.timedelta(minutes=rules.duplicate_minutes)
        if standing.filter(quantity=quantity, entered_at__gt=since).exists():
            raise _invalid("quantity", _("The same record (%(job)s, %(qty)s on %(day)s) was entered %(min)s minutes "
                                         "ago or less; a duplicate is not recorded.") % {
                "job": job.name, "qty": f"{quantity.normalize():f}", "day": date, "min": rules.duplicate_minutes}, "duplicate")
        if job.pay_kind == Job.PayKind.DAY:
            days = WorkRecord.objects.filter(worker=worker, date=date, job__pay_kind=Job.PayKind.DAY,
                                             reverses__isnull=True, reversed_by__isnull=True)
            if sum((r.quantity for r in days), ZERO) + quantity > 1:
                raise _invalid("quantity", _("%(name)s already has a full day recorded on %(day)s.") % {
                    "name": worker.person.name, "day": date}, "day_full")
        confirmed = staff and not own  # a manager's own work is confirmed by someone else
        return WorkRecord.objects.create(
            worker=worker, job=job, date=date, quantity=quantity, hours=hours, cycle=month_start(date),
            status=WorkRecord.Status.CONFIRMED if confirmed else WorkRecord.Status.SUBMITTED,
            source=WorkRecord.Source.WORKSHOP if confirmed else WorkRecord.Source.WORKER,
            entered_by=by, entered_at=now, confirmed_by=by if confirmed else None,
            confirmed_at=now if confirmed else None, is_demo=is_demo)


@transaction.atomic
def record_confirm(*, by, record: WorkRecord, now: dt.datetime | None = None) -> WorkRecord:
    """The workshop confirms a worker's own entry (only confirmed records are paid)."""
    _require(can_record(by, record.worker.workshop), _("Only the workshop may confirm work records."))
    record = WorkRecord.objects.select_for_update().get(pk=record.pk)
    if record.status == WorkRecord.Status.CONFIRMED:
        raise ValidationError({"record": _("This record is already confirmed.")})
    if WorkRecord.objects.filter(reverses=record).exists():
        raise ValidationError({"record": _("This record was reversed; it cannot be confirmed.")})
    if cycle_closed(record.worker.workshop_id, record.cycle):
        raise _invalid("record", _("The pay cycle of %(month)s is closed (its pay run is done); nothing can be "
                                   "added to it.") % {"month": f"{record.cycle:%Y-%m}"}, "closed")
    now = now or timezone.now()
    WorkRecord.objects.filter(pk=record.pk).update(status=WorkRecord.Status.CONFIRMED, confirmed_by=by,
                                                   confirmed_at=now)
    record.refresh_from_db()
    return record


def records_confirm(*, by, records, now: dt.datetime | None = None) -> int:
    """Confirm several awaiting records (the workshop's end-of-day round); returns how many."""
    done = 0
    for r in records:
        record_confirm(by=by, record=r, now=now)
        done += 1
    return done


@transaction.atomic
def record_reverse(*, by, record: WorkRecord, reason: str, now: dt.datetime | None = None) -> WorkRecord:
    """Correct a record by reversing it (a new record: the same day and job, the negative quantity,
    the reason). A record of a paid cycle is reversed in the next open cycle (the next pay run deducts
    it, visibly). A worker may withdraw their own entry while it awaits confirmation."""
    record = WorkRecord.objects.select_for_update().select_related("worker__person", "worker__workshop").get(pk=record.pk)
    own = record.worker.person.user_id == getattr(by, "pk", None) and record.status == WorkRecord.Status.SUBMITTED
    _require(own or can_record(by, record.worker.workshop), _("Only the workshop may reverse work records."))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the record is reversed.")})
    if record.is_reversal:
        raise ValidationError({"record": _("A reversal cannot be reversed; record the work again.")})
    if WorkRecord.objects.filter(reverses=record).exists():
        raise ValidationError({"record": _("This record is already reversed.")})
    now = now or timezone.now()
    cycle = first_open_cycle(record.worker.workshop_id, record.cycle)
    return WorkRecord.objects.create(
        worker=record.worker, job=record.job, date=record.date, quantity=-record.quantity,
        hours=-record.hours if record.hours is not None else None, cycle=cycle, status=WorkRecord.Status.CONFIRMED,
        source=WorkRecord.Source.REVERSAL, entered_by=by, entered_at=now, confirmed_by=by, confirmed_at=now,
        reverses=record, reason=reason[:200], is_demo=record.is_demo)


# Pay runs and the wage ledger ---------------------------------------------------------------------

def payable_records(*, workshop_id: int, cycle: dt.date):
    """The records a pay run of the cycle pays: confirmed originals and the reversals of confirmed
    originals, counted in that cycle."""
    return (WorkRecord.objects.filter(worker__workshop_id=workshop_id, cycle=month_start(cycle),
                                      status=WorkRecord.Status.CONFIRMED)
            .filter(Q(reverses__isnull=True) | Q(reverses__status=WorkRecord.Status.CONFIRMED)))


def awaiting_records(*, workshop_id: int, cycle: dt.date):
    """A worker's entries of the cycle still awaiting confirmation (and not withdrawn)."""
    return WorkRecord.objects.filter(worker__workshop_id=workshop_id, cycle=month_start(cycle),
                                     status=WorkRecord.Status.SUBMITTED, reversed_by__isnull=True)


def _cycle_pay(workshop: Workshop, first: dt.date) -> dict[int, dict]:
    """Each worker's pay of the cycle from its payable records at the rates in force: `gross_items`'s
    figures plus the ledger's item lines (`lines`) and their `gross` — one computation for the pay run
    and its preview."""
    records = list(payable_records(workshop_id=workshop.pk, cycle=first).select_related("job"))
    rates: dict[int, list[Rate]] = defaultdict(list)
    for rate in Rate.objects.filter(job__workshop=workshop):
        rates[rate.job_id].append(rate)
    per_worker = gross_items(records, rates)
    for w in per_worker.values():
        w["lines"] = [{**i, "quantity": f"{i['quantity'].normalize():f}", "amount": str(i["amount"].quantize(CENT))}
                      for i in w["items"].values() if i["quantity"] != 0]
        w["gross"] = sum((Decimal(i["amount"]) for i in w["lines"]), ZERO).quantize(CENT)
    return per_worker


def pay_run_preview(*, workshop: Workshop, cycle: dt.date) -> list[dict]:
    """Who a pay run of the cycle would pay and their gross, before it is computed (so the staff can
    enter each worker's deductions): the same figures as `pay_run_compute`, nothing written. Raises
    ValidationError for a job without a rate."""
    per_worker = _cycle_pay(workshop, month_start(cycle))
    workers = {w.pk: w for w in Worker.objects.filter(pk__in=per_worker).select_related("person")}
    rows = [{"worker": workers[worker_id], "gross": w["gross"]} for worker_id, w in per_worker.items()]
    return sorted(rows, key=lambda r: (r["worker"].person.name, r["worker"].pk))


def gross_items(records, rates: dict[int, list[Rate]]) -> dict[int, dict]:
    """Per worker: the gross items (job × rate in force on each record's date), days, hours, pieces."""
    out: dict[int, dict] = {}
    for r in records:
        job = r.job
        rate = rate_on(job, r.date, rates.get(job.pk, []))
        if rate is None:
            raise ValidationError({"cycle": _("The job %(job)s has no rate on %(day)s; set it first.") % {
                "job": job.name, "day": r.date}})
        w = out.setdefault(r.worker_id, {"items": {}, "day_work": defaultdict(Decimal), "piece_work": defaultdict(Decimal),
                                         "hours": ZERO, "pieces": ZERO})
        key = (job.pk, rate.pk)
        item = w["items"].setdefault(key, {"job": job.name, "job_id": job.pk, "pay_kind": job.pay_kind,
                                           "unit": job.unit, "rate": str(rate.amount), "quantity": ZERO, "amount": ZERO})
        item["quantity"] += r.quantity
        item["amount"] += r.quantity * rate.amount
        w["hours"] += r.hours or ZERO
        if job.pay_kind == Job.PayKind.PIECE:
            w["pieces"] += r.quantity
            w["piece_work"][r.date] += r.quantity
        else:
            w["day_work"][r.date] += r.quantity
    for w in out.values():
        # Days worked: a day of day work counts as recorded (1 or 0.5); a day with pieces as one day.
        dates = set(w["day_work"]) | set(w["piece_work"])
        w["days"] = sum((max(w["day_work"].get(d, ZERO), Decimal(1) if w["piece_work"].get(d, ZERO) > 0 else ZERO)
                         for d in dates), ZERO)
    return out


def _deductions(raw) -> tuple[list[dict], Decimal]:
    items, total = [], ZERO
    for d in raw or []:
        label, amount = (d.get("label"), d.get("amount")) if isinstance(d, dict) else d
        amount = Decimal(str(amount)).quantize(CENT)
        if amount < 0 or not str(label or "").strip():
            raise ValidationError({"deductions": _("Each deduction has a name and an amount of zero or more.")})
        items.append({"label": str(label).strip()[:60], "amount": str(amount)})
        total += amount
    return items, total


@transaction.atomic
def pay_run_compute(*, by, workshop: Workshop, cycle: dt.date, deductions: dict | None = None,
                    now: dt.datetime | None = None, is_demo: bool = False) -> PayRun:
    """Compute the pay run of a finished monthly cycle, once: per worker the gross from the cycle's
    confirmed records at the rate in force on each record's date, the deductions given per worker id
    ({worker_id: [{"label": "代扣个人社保", "amount": "52.30"}]}, never more than the gross), the net;
    one wage ledger row each. It closes the cycle. Refused: a second run (the cycle is closed), a cycle
    not yet over, and entries still awaiting confirmation."""
    _require(can_manage(by, workshop), _("Only the community's staff may run the workshop's pay."))
    now = now or timezone.now()
    first = month_start(cycle)
    last = month_end(first)
    Workshop.objects.select_for_update().get(pk=workshop.pk)  # one pay run of a workshop at a time
    if PayRun.objects.filter(workshop=workshop, cycle=first).exists():
        raise _invalid("cycle", _("The pay cycle of %(month)s is closed: its pay run was done and is not "
                                  "run again.") % {"month": f"{first:%Y-%m}"}, "closed")
    if last >= timezone.localtime(now).date():
        raise _invalid("cycle", _("A pay run is computed after its cycle ends (%(day)s).") % {"day": last},
                       "not_over")
    waiting = awaiting_records(workshop_id=workshop.pk, cycle=first).count()
    if waiting:
        raise _invalid("cycle", _("%(n)s work records of this cycle await confirmation; confirm or reverse them "
                                  "first.") % {"n": waiting}, "awaiting")
    per_worker = _cycle_pay(workshop, first)
    rules = workshop_rules(workshop, last)
    deductions = {int(k): v for k, v in (deductions or {}).items()}
    unknown = set(deductions) - set(per_worker)
    if unknown:
        raise ValidationError({"deductions": _("Deductions were given for workers not paid in this cycle.")})
    workers = {w.pk: w for w in Worker.objects.filter(pk__in=per_worker).select_related("person")}
    run = PayRun.objects.create(workshop=workshop, cycle=first, cycle_end=last,
                                due_on=last + dt.timedelta(days=rules.pay_due_days), computed_at=now,
                                computed_by=by if getattr(by, "pk", None) else None, is_demo=is_demo)
    rows = []
    for worker_id, w in sorted(per_worker.items(), key=lambda kv: workers[kv[0]].person.name):
        items, gross = w["lines"], w["gross"]
        d_items, d_total = _deductions(deductions.get(worker_id))
        if d_total > 0 and d_total > gross:
            raise ValidationError({"deductions": _("Deductions for %(name)s exceed the gross pay.") % {
                "name": workers[worker_id].person.name}})
        person = workers[worker_id].person
        number = person.id_number
        days = w["days"]
        rows.append(LedgerRow(
            pay_run=run, worker_id=worker_id, employer=workshop.operator.name, cycle=first, name=person.name,
            id_number_encrypted=crypto.encrypt(number) if number else "", id_number_masked=person.id_number_masked,
            phone=person.phone, days=days, hours=w["hours"], pieces=w["pieces"], items=items, gross=gross,
            deduction_items=d_items, deductions=d_total, net=gross - d_total, is_demo=is_demo))
    LedgerRow.objects.bulk_create(rows)
    run.workers = len(rows)
    run.gross = sum((r.gross for r in rows), ZERO)
    run.deductions = sum((r.deductions for r in rows), ZERO)
    run.net = sum((r.net for r in rows), ZERO)
    if not rows:
        run.paid_at = now  # nothing to pay
    run.save(update_fields=["workers", "gross", "deductions", "net", "paid_at"])
    return run


@transaction.atomic
def ledger_row_pay(*, by, row: LedgerRow, pay_date: dt.date, transfer_ref: str = "", signature=None,
                   now: dt.datetime | None = None) -> LedgerRow:
    """Record that a worker's wage was paid: the pay date and the proof — a bank transfer reference or
    the worker's signature (an image). Without proof it is refused and nothing is recorded; once
    recorded it is not recorded again. The pay run is fully paid when its last row is."""
    _require(can_manage(by, row.pay_run.workshop) or is_manager(by, row.pay_run.workshop),
             _("Only the workshop's staff may record payments."))
    row = LedgerRow.objects.select_for_update().select_related("pay_run").get(pk=row.pk)
    transfer_ref = (transfer_ref or "").strip()[:60]
    if row.is_paid:
        raise _invalid("pay_date", _("This wage is already recorded as paid."), "paid")
    if not transfer_ref and not signature:
        raise _invalid("transfer_ref", _("Give the bank transfer reference or the worker's signature; a wage "
                                         "without proof of payment cannot be marked paid."), "no_proof")
    if pay_date < row.pay_run.cycle:
        raise ValidationError({"pay_date": _("The pay date cannot be before the cycle.")})
    now = now or timezone.now()
    if pay_date > timezone.localtime(now).date():
        raise ValidationError({"pay_date": _("The pay date cannot be in the future.")})
    row.pay_date, row.transfer_ref = pay_date, transfer_ref
    if signature:
        row.signature = signature
    row.paid_recorded_by, row.paid_recorded_at = by, now
    row.save(update_fields=["pay_date", "transfer_ref", "signature", "paid_recorded_by", "paid_recorded_at"])
    if not LedgerRow.objects.filter(pay_run=row.pay_run, pay_date__isnull=True).exists():
        PayRun.objects.filter(pk=row.pay_run_id).update(paid_at=now)
    return row


def pay_overdue_notify(*, today: dt.date | None = None) -> int:
    """Tell the community staff of the workshop's community and the county office (county_admin of
    its county) of each pay run past its due day with unpaid rows, once per run (a second run of the
    job sends nothing: the run is marked flagged and the dedup key holds). Returns how many runs were
    flagged now."""
    from linli.accounts.models import Role, User
    from linli.notifications.services import notify_all

    from .rules import _county

    today = today or timezone.localdate()
    runs = (PayRun.objects.filter(paid_at__isnull=True, due_on__lt=today, flagged_at__isnull=True)
            .select_related("workshop__division"))
    flagged = 0
    for run in runs:
        unpaid = LedgerRow.objects.filter(pay_run=run, pay_date__isnull=True)
        if not unpaid.exists():
            continue
        amount = sum((r.net for r in unpaid), ZERO)
        county = _county(run.workshop.division)
        who = Q(roles__kind=Role.Kind.COMMUNITY_STAFF, roles__division=run.workshop.division)
        if county is not None:
            who |= Q(roles__kind=Role.Kind.COUNTY_ADMIN, roles__division=county)
        staff = User.objects.filter(who, is_active=True).distinct().order_by("pk")
        with transaction.atomic():
            if not PayRun.objects.filter(pk=run.pk, flagged_at__isnull=True).update(flagged_at=timezone.now()):
                continue
            notify_all(recipients=staff, key="workshops.pay_overdue", dedup_key=f"workshops.pay_overdue:{run.pk}",
                       obj=f"/workshops/{run.workshop_id}/", params={
                           "workshop": run.workshop.name, "cycle": f"{run.cycle:%Y-%m}", "due": run.due_on.isoformat(),
                           "unpaid": unpaid.count(), "workers": run.workers, "amount": str(amount)})
        flagged += 1
    return flagged


def retention_years() -> int:
    return max(rules_for(None).ledger_retention_years, MIN_RETENTION_YEARS)


def ledger_retention_purge(*, today: dt.date | None = None, dry_run: bool = False) -> int:
    """Anonymise the wage ledger rows whose cycle ended more than the retention period ago (the
    county's rule, never under 3 years): name, ID number, contact and signature go, the figures stay.
    Returns how many rows."""
    today = today or timezone.localdate()
    ids, years_of = [], {}
    for row in (LedgerRow.objects.filter(anonymised_at__isnull=True)
                .values("pk", "pay_run__cycle_end", "pay_run__workshop__division_id")):
        division_id = row["pay_run__workshop__division_id"]
        if division_id not in years_of:
            division = Division.objects.filter(pk=division_id).first()
            years_of[division_id] = max(rules_for(division, today).ledger_retention_years, MIN_RETENTION_YEARS)
        years = years_of[division_id]
        end = row["pay_run__cycle_end"]
        try:
            expires = end.replace(year=end.year + years)
        except ValueError:  # 29 February
            expires = end.replace(year=end.year + years, day=28)
        if expires < today:
            ids.append(row["pk"])
    if dry_run or not ids:
        return len(ids)
    with transaction.atomic():
        for row in LedgerRow.objects.filter(pk__in=ids).exclude(signature=""):
            row.signature.delete(save=False)
        LedgerRow.objects.filter(pk__in=ids).update(
            name=ANONYMISED, id_number_encrypted="", id_number_masked="", phone="", signature="",
            worker=None, anonymised_at=timezone.now())
    return len(ids)


# Reviews ------------------------------------------------------------------------------------------

@transaction.atomic
def review_record(*, by, workshop: Workshop, quarter: dt.date, note: str = "",
                  now: dt.datetime | None = None, is_demo: bool = False) -> Review:
    """Record the quarterly review of a finished quarter: the recognition figures at its end decide
    the state — criteria met: running normally; not met: under monitoring, with the grace period
    from the first quarter not met; still not met when the grace has run out (or the workshop
    closed): cleared out. Once per quarter."""
    from . import selectors

    _require(can_manage(by, workshop), _("Only the community's staff or the county office may review workshops."))
    now = now or timezone.now()
    first = quarter_start(quarter)
    last = add_months(first, 3) - dt.timedelta(days=1)
    if last >= timezone.localtime(now).date():
        raise ValidationError({"quarter": _("A quarter is reviewed after it ends.")})
    Workshop.objects.select_for_update().get(pk=workshop.pk)
    if Review.objects.filter(workshop=workshop, quarter=first).exists():
        raise _invalid("quarter", _("This quarter is already reviewed."), "duplicate")
    rec = selectors.recognition(workshop=workshop, as_of=last)
    rules = workshop_rules(workshop, last)
    previous = Review.objects.filter(workshop=workshop, quarter__lt=first).order_by("-quarter").first()
    grace_until = None
    if rec.met and workshop.status == Workshop.Status.OPEN:
        state = Review.State.NORMAL
    elif workshop.status == Workshop.Status.CLOSED or (previous and previous.state == Review.State.CLEARED):
        state = Review.State.CLEARED
    elif previous is not None and previous.state == Review.State.MONITOR and previous.grace_until:
        grace_until = previous.grace_until
        state = Review.State.CLEARED if last > grace_until else Review.State.MONITOR
    else:
        state = Review.State.MONITOR
        grace_until = add_months(last, rules.review_grace_months + 1) - dt.timedelta(days=1)
    return Review.objects.create(workshop=workshop, quarter=first, state=state, grace_until=grace_until,
                                 figures=rec.as_dict(), shortfalls=[c.code for c in rec.criteria if not c.met],
                                 note=note.strip()[:300], reviewed_by=by if getattr(by, "pk", None) else None,
                                 reviewed_at=now, is_demo=is_demo)


# Subsidy applications -----------------------------------------------------------------------------

def _evidence(application: SubsidyApplication) -> dict:
    from . import selectors

    workshop = application.workshop
    claimed = list(application.workers.all()) if application.pk else []
    roster = selectors.poor_roster(workshop=workshop, first=application.period_start, last=application.period_end)
    if claimed:
        ids = {w.pk for w in claimed}
        roster = [r for r in roster if r["worker_id"] in ids]
    worker_ids = [r["worker_id"] for r in roster]
    ledger = selectors.ledger_extract(workshop=workshop, first=application.period_start,
                                      last=application.period_end, worker_ids=worker_ids)
    contracts = [{"worker_id": w.pk, "name": w.person.name, "kind": w.contract_kind,
                  "from": w.contract_start.isoformat(), "until": w.contract_end.isoformat() if w.contract_end else "",
                  "scan": w.contract_scan.name if w.contract_scan else ""}
                 for w in Worker.objects.filter(pk__in=worker_ids).select_related("person")]
    rec = selectors.recognition(workshop=workshop, as_of=application.period_end)
    return {"roster": roster, "ledger": ledger, "contracts": contracts, "figures": rec.as_dict()}


@transaction.atomic
def subsidy_application_create(*, by, workshop: Workshop, kind: str, period_start: dt.date, period_end: dt.date,
                               amount: Decimal, workers=None, is_demo: bool = False) -> SubsidyApplication:
    """A draft application with its evidence generated from records: the roster of poor workers of the
    period (all of them, or the `workers` claimed for), their wage ledger extract and contracts, and the
    recognition figures at the period's end."""
    _require(can_manage(by, workshop), _("Only the community's staff may apply for subsidies."))
    if kind not in SubsidyApplication.Kind.values:
        raise ValidationError({"kind": _("Choose a subsidy.")})
    if period_end < period_start:
        raise ValidationError({"period_end": _("The period must end after it starts.")})
    if Decimal(amount) < 0:
        raise ValidationError({"amount": _("Give an amount of zero or more.")})
    workers = list(workers or [])
    if any(w.workshop_id != workshop.pk for w in workers):
        raise ValidationError({"workers": _("Choose workers of this workshop.")})
    app = SubsidyApplication.objects.create(workshop=workshop, kind=kind, period_start=period_start,
                                            period_end=period_end, amount=Decimal(amount),
                                            created_by=by if getattr(by, "pk", None) else None, is_demo=is_demo)
    if workers:
        app.workers.set(workers)
    ev = _evidence(app)
    app.roster, app.ledger, app.contracts, app.figures = ev["roster"], ev["ledger"], ev["contracts"], ev["figures"]
    app.save()
    return app


@transaction.atomic
def subsidy_application_submit(*, by, application: SubsidyApplication,
                               now: dt.datetime | None = None) -> SubsidyApplication:
    """Submit: the evidence is generated once more from the records and frozen with it."""
    _require(can_manage(by, application.workshop), _("Only the community's staff may apply for subsidies."))
    application = SubsidyApplication.objects.select_for_update().get(pk=application.pk)
    if application.status == SubsidyApplication.Status.SUBMITTED:
        raise _invalid("status", _("A submitted subsidy application is frozen; make a new one."), "frozen")
    ev = _evidence(application)
    if not ev["roster"]:
        raise ValidationError({"workers": _("No poor worker counts in this period; there is nothing to apply for.")})
    application.roster, application.ledger, application.contracts = ev["roster"], ev["ledger"], ev["contracts"]
    application.figures = ev["figures"]
    application.status = SubsidyApplication.Status.SUBMITTED
    application.submitted_by, application.submitted_at = by, now or timezone.now()
    application.save()  # the last save: from here the model refuses changes
    return application


def _freeze_claimed_workers(sender, instance, action, **kwargs):
    if action in ("pre_add", "pre_remove", "pre_clear") and isinstance(instance, SubsidyApplication) \
            and instance.pk and SubsidyApplication.objects.filter(
                pk=instance.pk, status=SubsidyApplication.Status.SUBMITTED).exists():
        raise ValidationError(_("A submitted subsidy application is frozen; make a new one."))


def _connect() -> None:
    from django.db.models.signals import m2m_changed

    m2m_changed.connect(_freeze_claimed_workers, sender=SubsidyApplication.workers.through,
                        dispatch_uid="workshops_freeze_claimed_workers")


_connect()
