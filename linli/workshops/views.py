"""Pages of the employment-assistance workshops. Thin: reads through selectors and `visible_to`
(out of scope = 404), writes through services (their errors shown under the field they name); every
page showing workers' personal data writes an access-log row."""

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_POST

from linli.core import rollups
from linli.core.audit import audit_access
from linli.core.forms import apply_errors
from linli.core.masking import mask_phone
from linli.core.models import AccessLog
from linli.core.paging import page_of, search_text
from linli.core.scoping import role_kinds
from linli.jobs.views import export_start, export_view
from linli.people import selectors as people_selectors
from linli.people.models import Person

from . import exports, page_rollups, selectors, services
from .forms import WORKSHOP_EDIT as WORKSHOP_EDIT_FIELDS
from .forms import (
    ConcernForm,
    ContractForm,
    PaymentForm,
    PayRunForm,
    RecordForm,
    ReverseForm,
    RosterForm,
    SubsidyForm,
    WorkerEndForm,
    WorkerForm,
    WorkshopForm,
)
from .models import (
    STAFF_ROLES,
    Job,
    LedgerRow,
    PayRun,
    Review,
    SubsidyApplication,
    Worker,
    WorkRecord,
    Workshop,
)

A = AccessLog.Action
WORKER = "workshops.Worker"
LEDGER = "workshops.LedgerRow"
WARN_DAYS = 30  # a contract or insurance policy ending within a month is shown as a warning


def _errors(exc: ValidationError) -> str:
    return " ".join(exc.messages)


def _workshop(request, pk) -> Workshop:
    ws = (Workshop.objects.visible_to(request.user).filter(pk=pk)
          .select_related("operator", "site", "room", "division", "kind").first())
    if ws is None:
        raise Http404
    return ws


def _runs(request, ws) -> bool:
    """Whether the user enters and confirms records here (community staff over it, or its managers)."""
    return services.can_record(request.user, ws)


# Home ---------------------------------------------------------------------------------------------

@login_required
def home(request):
    """Staff: the workshops they see (a page of them). A worker: their own pay slips first."""
    user = request.user
    mine = list(Worker.objects.filter(person__user=user).select_related("workshop"))
    rows = Workshop.objects.visible_to(user).select_related("operator", "division", "kind").order_by(
        "division__path", "name")
    q = search_text(request)
    if q:
        rows = rows.filter(name__icontains=q)
    page = page_of(request, rows)
    return render(request, "workshops/home.html", {
        "mine": mine, "page": page, "q": q, "is_county": _is_county(user), "may_register": _may_register(user)})


# A workshop ---------------------------------------------------------------------------------------

@login_required
def workshop_detail(request, pk):
    ws = _workshop(request, pk)
    today = timezone.localdate()
    soon = today + dt.timedelta(days=WARN_DAYS)
    jobs = list(ws.jobs.filter(active=True).prefetch_related("rates"))
    for job in jobs:
        job.rate_now = next((r for r in job.rates.all() if r.in_force(today)), None)
        job.rate_shown = _plain(job.rate_now.amount) if job.rate_now else ""
    return render(request, "workshops/workshop.html", {
        "ws": ws, "today": today, "jobs": jobs, "runs": _runs(request, ws),
        "manage": services.can_manage(request.user, ws),
        "status": selectors.recognition(workshop=ws, as_of=today),
        "review": Review.objects.filter(workshop=ws).first(),
        "contract_warning": ws.contract_end is not None and ws.contract_end <= soon,
        "contract_missing": ws.contract_end is None and ws.contract_start is None,
        "insurance_warning": ws.insurance_expires is None or ws.insurance_expires <= soon,
        "insurance_expired": ws.insurance_expires is not None and ws.insurance_expires < today,
        "workers": ws.workers.filter(ended_on__isnull=True).count(),
        "waiting": WorkRecord.objects.filter(worker__workshop=ws, status=WorkRecord.Status.SUBMITTED).count(),
        "unpaid": PayRun.objects.filter(workshop=ws, paid_at__isnull=True).count(),
    })


def _may_register(user) -> bool:
    return user.is_superuser or bool(role_kinds(user) & set(STAFF_ROLES))


@login_required
def workshop_new(request):
    """Register a workshop: operator and its licence, site and room, kind, products, the contract with
    the community and the accident insurance. The site's community must be the user's (services)."""
    if not _may_register(request.user):
        raise Http404
    form = WorkshopForm(request.POST or None, request.FILES or None, user=request.user,
                        initial={"opened_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        try:
            ws = services.workshop_create(by=request.user, **form.changes())
            messages.success(request, _("The workshop %(name)s is registered.") % {"name": ws.name})
            return redirect("workshops:detail", ws.pk)
        except PermissionDenied as exc:
            form.add_error("site", str(exc))
        except ValidationError as exc:
            apply_errors(form, exc)
    return render(request, "workshops/workshop_form.html", {"form": form, "ws": None})


@login_required
def workshop_edit(request, pk):
    ws = _workshop(request, pk)
    if not services.can_manage(request.user, ws):
        raise Http404
    initial = {f: getattr(ws, f) for f in WORKSHOP_EDIT_FIELDS}
    form = WorkshopForm(request.POST or None, request.FILES or None, user=request.user, editing=True,
                        initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.workshop_update(by=request.user, workshop=ws, **form.changes())
            messages.success(request, _("The workshop is updated."))
            return redirect("workshops:detail", ws.pk)
        except PermissionDenied:
            raise Http404 from None
        except ValidationError as exc:
            ws.refresh_from_db()
            apply_errors(form, exc)
    return render(request, "workshops/workshop_form.html", {"form": form, "ws": ws})


@login_required
def sign(request, pk):
    """The public sign (公示牌) for printing: operator, products, hours, headcount, poor workers — the
    counts only, no one's name."""
    ws = _workshop(request, pk)
    return render(request, "workshops/sign.html", {"ws": ws, "sign": selectors.public_sign(workshop=ws)})


# Workers ------------------------------------------------------------------------------------------

@login_required
def worker_list(request, pk):
    ws = _workshop(request, pk)
    rows = ws.workers.select_related("person").order_by("ended_on", "person__name", "pk")
    page = page_of(request, rows)
    workers = list(page)
    poor = selectors.poor_person_ids([w.person_id for w in workers])
    for w in workers:
        w.is_poor = w.person_id in poor
    if workers:
        audit_access(request=request, action=A.LIST, model=WORKER, object_ids=[w.pk for w in workers],
                     fields=["name", "id_number_masked", "contract"])
    return render(request, "workshops/workers.html", {"ws": ws, "page": page, "workers": workers,
                                                      "runs": _runs(request, ws)})


@login_required
def worker_add(request, pk):
    """Add a worker: find the person on the register (name or the last four ID digits), then the
    contract and its scan. Whether they count as poor comes from the register, never from here."""
    ws = _workshop(request, pk)
    if not _runs(request, ws):
        raise Http404
    q = search_text(request)[:40]
    person = None
    chosen = request.POST.get("person") or request.GET.get("person")
    if chosen:
        person = Person.objects.visible_to(request.user).filter(pk=chosen if str(chosen).isdigit() else 0).first()
        if person is None:
            raise Http404
    found = []
    if q and person is None:
        qs = Person.objects.visible_to(request.user).select_related("division")
        found = (people_selectors.with_last4(qs, q) if people_selectors.is_last4(q)
                 else list(qs.filter(name__icontains=q)[:20]))
        audit_access(request=request, action=A.SEARCH, model="people.Person", object_ids=[p.pk for p in found],
                     fields=["name", "id_number_masked"], query=people_selectors.search_logged(q))
    form = WorkerForm(request.POST or None, request.FILES or None,
                      initial={"contract_start": timezone.localdate(), "started_on": timezone.localdate(),
                               "contract_kind": Worker.ContractKind.WORK if ws.kind.home_based
                               else Worker.ContractKind.LABOUR})
    if request.method == "POST" and person is not None and form.is_valid():
        try:
            services.worker_add(by=request.user, workshop=ws, person=person, **form.cleaned_data)
            messages.success(request, _("%(name)s is a worker of the workshop.") % {"name": person.name})
            return redirect("workshops:worker_list", ws.pk)
        except PermissionDenied:
            raise Http404 from None
        except ValidationError as exc:
            apply_errors(form, exc, rename={"person": None})
    poor = selectors.poor_person_ids([person.pk]) if person else set()
    return render(request, "workshops/worker_add.html", {"ws": ws, "q": q, "found": found, "person": person,
                                                         "form": form, "is_poor": person is not None and person.pk in poor})


@login_required
def worker_detail(request, pk, worker_pk):
    """One worker: the contract renewed (new end, new scan) or the worker's last day and why. Both
    through the services; the household is then listed for the grid worker's next visit."""
    ws = _workshop(request, pk)
    if not _runs(request, ws):
        raise Http404
    worker = ws.workers.select_related("person").filter(pk=worker_pk).first()
    if worker is None:
        raise Http404
    action = request.POST.get("action") if request.method == "POST" else None
    contract = ContractForm(request.POST if action == "contract" else None,
                            request.FILES if action == "contract" else None,
                            initial={"contract_kind": worker.contract_kind, "contract_end": worker.contract_end},
                            prefix="c")
    end = WorkerEndForm(request.POST if action == "end" else None,
                        initial={"ended_on": timezone.localdate()}, prefix="e")
    try:
        if action == "contract" and contract.is_valid():
            services.worker_contract_update(by=request.user, worker=worker, **contract.cleaned_data)
            messages.success(request, _("The contract of %(name)s is updated.") % {"name": worker.person.name})
            return redirect("workshops:worker", ws.pk, worker.pk)
        if action == "end" and worker.ended_on is None and end.is_valid():
            services.worker_end(by=request.user, worker=worker, **end.cleaned_data)
            messages.success(request, _("%(name)s no longer works at the workshop.") % {"name": worker.person.name})
            return redirect("workshops:worker_list", ws.pk)
    except PermissionDenied:
        raise Http404 from None
    except ValidationError as exc:
        apply_errors(contract if action == "contract" else end, exc)
    audit_access(request=request, action=A.VIEW, model=WORKER, object_ids=[worker.pk],
                 fields=["name", "id_number_masked", "contract"])
    return render(request, "workshops/worker.html", {
        "ws": ws, "worker": worker, "contract": contract, "end": end,
        "is_poor": worker.person_id in selectors.poor_person_ids([worker.person_id])})


@login_required
def roster(request, pk):
    """The roster of the workshop's poor workers (《吸纳脱贫人口就业花名册》) for a period, as .xlsx built
    by a job (owner-only download, audited). A GET shows the period form; its POST queues the export."""
    ws = _workshop(request, pk)
    if not _runs(request, ws):
        raise Http404
    today = timezone.localdate()
    form = RosterForm(request.POST or None, initial={"first": today.replace(month=1, day=1), "last": today})
    if request.method == "POST" and form.is_valid():
        first, last = form.cleaned_data["first"], form.cleaned_data["last"]
        return export_start(request, builder="linli.workshops.exports.poor_roster",
                            title=exports.roster_title(ws, first, last),
                            params={"workshop": ws.pk, "first": first.isoformat(), "last": last.isoformat()},
                            division=ws.division)
    return render(request, "workshops/roster.html", {"ws": ws, "form": form})


# Work records -------------------------------------------------------------------------------------

def _enter_work(request, *, ws, workers, jobs, here: str, recent, own: bool):
    """A day's work on a phone: worker, job, quantity, day → a check screen with the pay → record.
    A duplicate within the interval and a day without a contract are refused under the field they
    concern (the service's codes name it); nothing is recorded."""
    form = RecordForm(request.POST or None, workers=workers, jobs=jobs,
                      initial={"date": timezone.localdate(), "worker": request.GET.get("worker") or None})
    step = request.POST.get("step", "check")
    context = {"ws": ws, "form": form, "here": here, "own": own}
    if request.method == "POST" and step != "edit" and form.is_valid():
        data = form.cleaned_data
        if step == "confirm":
            try:
                record = services.record_add(by=request.user, worker=data["worker"], job=data["job"],
                                             date=data["date"], quantity=data["quantity"], hours=data["hours"])
                messages.success(request, _("Recorded: %(name)s, %(job)s, %(q)s %(unit)s.") % {
                    "name": data["worker"].person.name, "job": data["job"].name, "q": _plain(record.quantity),
                    "unit": data["job"].unit})
                return redirect(f"{here}?worker={data['worker'].pk}")
            except PermissionDenied:
                raise Http404 from None
            except ValidationError as exc:
                apply_errors(form, exc, rename={"cycle": "date", "contract": "worker"})
        else:
            rate = next((r for r in data["job"].rates.all() if r.in_force(data["date"])), None)
            return render(request, "workshops/record_confirm.html", {
                **context, "data": data, "rate": rate, "rate_shown": _plain(rate.amount) if rate else "",
                "amount": (rate.amount * data["quantity"]).quantize(Decimal("0.01")) if rate else None})
    return render(request, "workshops/record_new.html", {**context, "recent": recent[:10]})


@login_required
def record_new(request, pk):
    """The workshop records a worker's day (confirmed at once)."""
    ws = _workshop(request, pk)
    if not _runs(request, ws):
        raise Http404
    return _enter_work(
        request, ws=ws, own=False, here=reverse("workshops:record_new", args=[ws.pk]),
        workers=ws.workers.filter(ended_on__isnull=True).select_related("person").order_by("person__name"),
        jobs=ws.jobs.filter(active=True).order_by("name"),
        recent=WorkRecord.objects.filter(worker__workshop=ws).select_related("worker__person", "job")
        .order_by("-entered_at", "-pk"))


@login_required
def my_record(request):
    """A worker records their own day on their phone; it awaits the workshop's confirmation."""
    mine = Worker.objects.filter(person__user=request.user, ended_on__isnull=True).select_related(
        "person", "workshop")
    worker = mine.first()
    if worker is None:
        raise Http404
    return _enter_work(
        request, ws=worker.workshop, own=True, here=reverse("workshops:my_record"),
        workers=mine, jobs=Job.objects.filter(workshop__in=[w.workshop_id for w in mine], active=True).order_by("name"),
        recent=WorkRecord.objects.filter(worker__in=mine).select_related("worker__person", "job", "reversed_by")
        .order_by("-entered_at", "-pk"))


@login_required
@require_POST
def my_record_withdraw(request, pk):
    """A worker withdraws their own entry while it awaits the workshop (a reversal with the reason;
    nothing is deleted). Another's record, or a confirmed one, is 404."""
    record = WorkRecord.objects.filter(pk=pk, worker__person__user=request.user,
                                       status=WorkRecord.Status.SUBMITTED).select_related("worker").first()
    if record is None:
        raise Http404
    form = ReverseForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say why you withdraw the entry."))
        return redirect("workshops:my_record")
    try:
        services.record_reverse(by=request.user, record=record, reason=form.cleaned_data["reason"])
        messages.success(request, _("Your entry is withdrawn."))
    except PermissionDenied:
        raise Http404 from None
    except ValidationError as exc:
        messages.error(request, _errors(exc))
    return redirect("workshops:my_record")


@login_required
def records(request, pk):
    """The workshop's records: those awaiting confirmation (confirm many at once) and the latest,
    each with a reversal button (a mistake is reversed, never deleted)."""
    ws = _workshop(request, pk)
    runs = _runs(request, ws)
    if request.method == "POST":
        if not runs:
            raise Http404
        return _records_post(request, ws)
    base = WorkRecord.objects.filter(worker__workshop=ws).select_related("worker__person", "job", "reverses")
    waiting = list(base.filter(status=WorkRecord.Status.SUBMITTED).order_by("date", "pk")[:100])
    page = page_of(request, base.order_by("-date", "-entered_at", "-pk"))
    shown = list(page)
    reversed_ids = set(WorkRecord.objects.filter(reverses__in=[r.pk for r in shown]).values_list("reverses_id",
                                                                                                   flat=True))
    for r in shown:
        r.was_reversed = r.pk in reversed_ids
    people = {r.worker_id for r in waiting} | {r.worker_id for r in shown}
    if people:
        audit_access(request=request, action=A.LIST, model=WORKER, object_ids=sorted(people),
                     fields=["name", "work_records"])
    return render(request, "workshops/records.html", {"ws": ws, "waiting": waiting, "page": page, "rows": shown,
                                                      "runs": runs, "reverse_form": ReverseForm()})


def _records_post(request, ws):
    here = reverse("workshops:records", args=[ws.pk])
    if request.POST.get("reverse"):
        record = WorkRecord.objects.filter(worker__workshop=ws, pk=request.POST["reverse"]
                                           if request.POST["reverse"].isdigit() else 0).first()
        if record is None:
            raise Http404
        form = ReverseForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("Give the reason for the reversal."))
            return redirect(here)
        try:
            services.record_reverse(by=request.user, record=record, reason=form.cleaned_data["reason"])
            messages.success(request, _("The record is reversed."))
        except ValidationError as exc:
            messages.error(request, _errors(exc))
        return redirect(here)
    ids = [i for i in request.POST.getlist("record") if i.isdigit()]
    chosen = list(WorkRecord.objects.filter(worker__workshop=ws, pk__in=ids, status=WorkRecord.Status.SUBMITTED))
    if not chosen:
        messages.error(request, _("Choose the records to confirm."))
        return redirect(here)
    try:
        n = services.records_confirm(by=request.user, records=chosen)
        messages.success(request, _("%(n)s records confirmed.") % {"n": n})
    except ValidationError as exc:
        messages.error(request, _errors(exc))
    return redirect(here)


# Pay runs -----------------------------------------------------------------------------------------

@login_required
def pay_runs(request, pk):
    ws = _workshop(request, pk)
    runs = services.can_manage(request.user, ws)
    last_month = (timezone.localdate().replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    form = PayRunForm(request.POST or None, initial={"cycle": last_month})
    if request.method == "POST":
        if not runs:
            raise Http404
        step = request.POST.get("step", "")
        if form.is_valid() and step in ("deductions", "compute"):
            return _pay_run_deductions(request, ws, form, compute=step == "compute")
        if form.is_valid():
            try:
                run = services.pay_run_compute(by=request.user, workshop=ws, cycle=form.cleaned_data["cycle"])
                messages.success(request, _("The pay run is computed; check the rows and record the payments."))
                return redirect("workshops:pay_run", run.pk)
            except PermissionDenied:
                raise Http404 from None
            except ValidationError as exc:
                apply_errors(form, exc)
    page = page_of(request, PayRun.objects.filter(workshop=ws).order_by("-cycle"))
    today = timezone.localdate()
    for run in page:
        run.overdue = run.paid_at is None and run.due_on < today
    return render(request, "workshops/pay_runs.html", {"ws": ws, "form": form, "page": page, "runs": runs})


def _pay_run_deductions(request, ws, form, *, compute: bool):
    """The cycle's workers with their gross, each with a deduction (what and how much, e.g. 代扣个人社保);
    then the pay run computed with them. Errors (over the gross, a closed cycle) shown on the page."""
    cycle = form.cleaned_data["cycle"]
    errors, rows = [], []
    try:
        rows = services.pay_run_preview(workshop=ws, cycle=cycle)
    except ValidationError as exc:
        errors = exc.messages
    deductions = {}
    for row in rows:
        wid = row["worker"].pk
        label = request.POST.get(f"d-{wid}-label", "").strip()[:60]
        amount = request.POST.get(f"d-{wid}-amount", "").strip()
        row["label"], row["amount"] = label, amount
        if not compute or not (label or amount):
            continue
        try:
            value = Decimal(amount or "x")
        except ArithmeticError:
            value = None
        if value is None or not value.is_finite() or value < 0 or not label:
            row["error"] = _("Each deduction has a name and an amount of zero or more.")
        else:
            deductions[wid] = [{"label": label, "amount": str(value)}]
    if compute and not errors and not any(r.get("error") for r in rows):
        try:
            run = services.pay_run_compute(by=request.user, workshop=ws, cycle=cycle, deductions=deductions)
            messages.success(request, _("The pay run is computed; check the rows and record the payments."))
            return redirect("workshops:pay_run", run.pk)
        except PermissionDenied:
            raise Http404 from None
        except ValidationError as exc:
            errors = exc.messages
    return render(request, "workshops/pay_run_deductions.html", {
        "ws": ws, "form": form, "cycle": cycle, "rows": rows, "errors": errors})


def _pay_run(request, pk) -> PayRun:
    run = PayRun.objects.visible_to(request.user).filter(pk=pk).select_related(
        "workshop__operator", "workshop__division", "workshop__kind").first()
    if run is None:
        raise Http404
    return run


@login_required
def pay_run_detail(request, pk):
    """A pay run: the computed rows (the wage ledger, 工资支付台账, ID numbers masked), a payment
    recorded per row with its proof, and the ledger as .xlsx (an audited export)."""
    run = _pay_run(request, pk)
    ws = run.workshop
    runs = _runs(request, ws)
    rows_qs = run.rows.select_related("worker__person").order_by("name", "pk")
    if request.GET.get("format") == "xlsx":
        return export_view(request, builder="linli.workshops.exports.pay_run_ledger",
                           title=exports.ledger_title(run), params={"pay_run": run.pk}, division=ws.division)
    form = None
    if request.method == "POST":
        if not runs:
            raise Http404
        row = run.rows.filter(pk=request.POST.get("row") if (request.POST.get("row") or "").isdigit() else 0).first()
        if row is None:
            raise Http404
        form = PaymentForm(request.POST, request.FILES, prefix=f"r{row.pk}")
        if form.is_valid():
            try:
                services.ledger_row_pay(by=request.user, row=row, **form.cleaned_data)
                messages.success(request, _("%(name)s: payment recorded.") % {"name": row.name})
                return redirect("workshops:pay_run", run.pk)
            except PermissionDenied:
                raise Http404 from None
            except ValidationError as exc:
                apply_errors(form, exc, rename={"proof": None})
        form.row_pk = row.pk
    page = page_of(request, rows_qs, per_page=50)
    rows = list(page)
    today = timezone.localdate()
    for row in rows:
        row.phone_masked = mask_phone(row.phone)
        row.items_shown = _items_shown(row.items)
        row.form = form if form is not None and form.row_pk == row.pk else PaymentForm(
            prefix=f"r{row.pk}", initial={"pay_date": today})
    if rows:
        audit_access(request=request, action=A.LIST, model=LEDGER, object_ids=[r.pk for r in rows],
                     fields=["name", "id_number_masked", "phone", "pay"])
    return render(request, "workshops/pay_run.html", {
        "run": run, "ws": ws, "page": page, "rows": rows, "runs": runs,
        "unpaid": run.rows.filter(pay_date__isnull=True).count(),
        "overdue": run.paid_at is None and run.due_on < today})


def _plain(value) -> str:
    """A stored figure as people write it: 900 (not 9E+2), 0.5, 12.25."""
    try:
        d = Decimal(str(value)).normalize()
    except ArithmeticError:
        return str(value)
    return f"{d:f}"


def _items_shown(items) -> list[dict]:
    return [{**i, "quantity": _plain(i.get("quantity", "")), "rate": _plain(i.get("rate", ""))}
            for i in items or [] if isinstance(i, dict)]


def _xlsx(data: bytes, filename: str) -> HttpResponse:
    resp = HttpResponse(data, content_type=exports.XLSX)
    resp["Content-Disposition"] = f'attachment; filename="{filename}"'
    return resp


# The worker's own pages ---------------------------------------------------------------------------

@login_required
def my_pay(request):
    """A worker on their phone: their pay slips and their recent records; a concern to raise."""
    mine = list(Worker.objects.filter(person__user=request.user).select_related("workshop", "person"))
    if not mine:
        return render(request, "workshops/my_pay.html", {"mine": [], "page": None})
    page = page_of(request, selectors.pay_slips(user=request.user), per_page=12)
    recent = selectors.my_records(user=request.user).order_by("-date", "-pk")[:10]
    return render(request, "workshops/my_pay.html", {"mine": mine, "page": page, "recent": recent,
                                                     "current": any(w.ended_on is None for w in mine)})


@login_required
def my_slip(request, pk):
    row = LedgerRow.objects.filter(pk=pk, worker__person__user=request.user).select_related(
        "pay_run__workshop", "worker").first()
    if row is None:
        raise Http404
    audit_access(request=request, action=A.VIEW, model=LEDGER, object_ids=[row.pk], fields=["own pay slip"])
    return render(request, "workshops/my_slip.html", {"row": row, "items": _items_shown(row.items),
                                                      "deduction_items": row.deduction_items or []})


@login_required
def my_concern(request):
    """A worker raises a concern about their records or wages (a case in their community)."""
    mine = Worker.objects.filter(person__user=request.user).select_related("workshop", "person").first()
    if mine is None:
        raise Http404
    form = ConcernForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            case = services.worker_concern_raise(by=request.user, worker=mine,
                                              description=form.cleaned_data["description"])
            messages.success(request, _("Your concern is received (number %(n)s); the community will answer.")
                             % {"n": case.pk})
            return redirect("workshops:my_pay")
        except ValidationError as exc:
            apply_errors(form, exc)
    return render(request, "workshops/my_concern.html", {"form": form, "worker": mine})


# County office ------------------------------------------------------------------------------------

CHECK_LABELS = {
    "double_counted": _lazy("A poor worker counted at two workshops in the same period"),
    "wages_below_pieces": _lazy("Wages below the pieces confirmed"),
    "no_pay": _lazy("Workers with no pay recorded"),
    "idle_workshops": _lazy("Workshops with no production records for a month"),
    "subsidies_for_leavers": _lazy("Subsidies claimed for workers who left"),
}


def _is_county(user) -> bool:
    return bool(getattr(user, "is_superuser", False)) or "county_admin" in role_kinds(user)


@login_required
def checks(request):
    """The five checks for the county office (and the community staff, over their communities), each
    with what it found, computed from the records when the page opens."""
    if not (_is_county(request.user) or role_kinds(request.user) & set(STAFF_ROLES)):
        raise Http404
    data, as_of = rollups.section(page_rollups.NAME, request.user)
    found = data.get(translation.get_language()) or data.get(settings.LANGUAGE_CODE) or {}
    names = dict(Workshop.objects.visible_to(request.user).filter(
        pk__in={f["workshop_id"] for rows in found.values() for f in rows if f["workshop_id"]}).values_list("pk", "name"))
    shown = [{"code": code, "label": CHECK_LABELS.get(code, code),
              "rows": [{"text": f["text"], "url": reverse("workshops:detail", args=[f["workshop_id"]])
                        if f["workshop_id"] in names else ""} for f in rows]}
             for code, rows in found.items()]
    if any(c["rows"] for c in shown):  # the findings name workers
        audit_access(request=request, action=A.LIST, model=WORKER, object_ids=[], fields=["name", "checks"],
                     query="checks")
    return render(request, "workshops/checks.html", {"checks": shown, "as_of": as_of})


@login_required
def reviews(request, pk):
    """The quarterly reviews of a workshop: record the last quarter's (正常运行 / 监测待处置 / 清理)."""
    ws = _workshop(request, pk)
    can = services.can_manage(request.user, ws)
    if request.method == "POST":
        if not can:
            raise Http404
        try:
            quarter = services.add_months(services.quarter_start(timezone.localdate()), -3)
            review = services.review_record(by=request.user, workshop=ws, quarter=quarter,
                                            note=request.POST.get("note", "")[:300])
            messages.success(request, _("Review recorded: %(state)s.") % {"state": review.get_state_display()})
        except PermissionDenied:
            raise Http404 from None
        except ValidationError as exc:
            messages.error(request, _errors(exc))
        return redirect("workshops:reviews", ws.pk)
    page = page_of(request, Review.objects.filter(workshop=ws).order_by("-quarter"))
    return render(request, "workshops/reviews.html", {
        "ws": ws, "page": page, "can_review": can, "review": Review.objects.filter(workshop=ws).first(),
        "status": selectors.recognition(workshop=ws, as_of=timezone.localdate())})


@login_required
def subsidies(request, pk):
    ws = _workshop(request, pk)
    can = services.can_manage(request.user, ws)
    today = timezone.localdate()
    form = SubsidyForm(request.POST or None, initial={"period_start": today.replace(month=1, day=1),
                                                      "period_end": today})
    if request.method == "POST":
        if not can:
            raise Http404
        if form.is_valid():
            try:
                app = services.subsidy_application_create(by=request.user, workshop=ws, **form.cleaned_data)
                messages.success(request, _("The application is drafted with its evidence; check it, then submit."))
                return redirect("workshops:subsidy", app.pk)
            except PermissionDenied:
                raise Http404 from None
            except ValidationError as exc:
                apply_errors(form, exc)
    page = page_of(request, SubsidyApplication.objects.filter(workshop=ws).order_by("-created_at", "-pk"))
    return render(request, "workshops/subsidies.html", {"ws": ws, "form": form, "page": page, "can": can})


@login_required
def subsidy_detail(request, pk):
    """An application with its evidence: the roster of poor workers (《吸纳脱贫人口就业花名册》), the
    wage ledger extract, the contracts; frozen once submitted."""
    app = SubsidyApplication.objects.visible_to(request.user).filter(pk=pk).select_related(
        "workshop__operator", "workshop__division").first()
    if app is None:
        raise Http404
    can = services.can_manage(request.user, app.workshop)
    if request.method == "POST":
        if not can:
            raise Http404
        try:
            services.subsidy_application_submit(by=request.user, application=app)
            messages.success(request, _("The application is submitted and frozen."))
        except PermissionDenied:
            raise Http404 from None
        except ValidationError as exc:
            messages.error(request, _errors(exc))
        return redirect("workshops:subsidy", app.pk)
    if request.GET.get("format") == "xlsx":
        return _xlsx(exports.application_xlsx(request=request, user=request.user, application=app),
                     f"subsidy-{app.pk}.xlsx")
    ids = [r["worker_id"] for r in app.roster if isinstance(r, dict) and isinstance(r.get("worker_id"), int)]
    audit_access(request=request, action=A.VIEW, model=WORKER, object_ids=ids, fields=["roster", "ledger", "contracts"])
    return render(request, "workshops/subsidy.html", {
        "app": app, "ws": app.workshop, "can": can and app.status == SubsidyApplication.Status.DRAFT,
        "roster": app.roster, "ledger": app.ledger, "contracts": app.contracts})


@login_required
@require_POST
def job_rate(request, pk):
    """Add a job or a new rate for one (from a day on; the old rate ends the day before)."""
    ws = _workshop(request, pk)
    if not services.can_manage(request.user, ws):
        raise Http404
    try:
        amount = Decimal(request.POST.get("amount", "").strip() or "0")
        valid_from = dt.date.fromisoformat(request.POST.get("valid_from", ""))
    except (ArithmeticError, ValueError):
        messages.error(request, _("Give the rate as a number and the day it starts."))
        return redirect("workshops:detail", ws.pk)
    name = request.POST.get("name", "").strip()
    job = ws.jobs.filter(name=name).first()
    try:
        if job is None:
            services.job_create(by=request.user, workshop=ws, name=name, pay_kind=request.POST.get("pay_kind", ""),
                                rate=amount, valid_from=valid_from, unit=request.POST.get("unit", ""))
        else:
            services.rate_set(by=request.user, job=job, amount=amount, valid_from=valid_from)
        messages.success(request, _("Saved."))
    except PermissionDenied:
        raise Http404 from None
    except ValidationError as exc:
        messages.error(request, _errors(exc))
    return redirect("workshops:detail", ws.pk)
