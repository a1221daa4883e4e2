"""Pages of the elderly canteen. Thin: reads through selectors (out of scope = 404), writes through
services; every page showing diners' personal data writes an access-log row."""

import datetime as dt

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from linli.core.audit import audit_access
from linli.core.forms import apply_errors
from linli.core.models import AccessLog
from linli.core.paging import page_of
from linli.jobs.views import export_start
from linli.people import selectors as people_selectors
from linli.people.models import Person
from linli.volunteers.models import Volunteer

from . import selectors, services
from .eligibility import eligibility
from .forms import DinerForm, DishForm, HealthCheckForm, OrderForm, PurchaseForm, SampleForm, TierForm
from .models import (
    Delivery,
    DeliveryRun,
    Diner,
    HealthCheck,
    Meal,
    Order,
    Purchase,
    Sample,
    Slot,
)

A = AccessLog.Action
DINER = "canteen.Diner"
CARD_SALT = "linli.canteen.card"


def _error_text(exc: ValidationError) -> str:
    return " ".join(exc.messages)


def _day(value: str, default: dt.date) -> dt.date:
    try:
        return dt.date.fromisoformat(value) if value else default
    except ValueError:
        return default


def card_code(diner: Diner) -> str:
    """The signed token on a diner's card: the diner and the card's current token (a new card voids it)."""
    return signing.dumps([diner.pk, diner.card_token], salt=CARD_SALT, compress=True)


def diner_from_code(code: str) -> Diner | None:
    try:
        pk, token = signing.loads(code, salt=CARD_SALT)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    return Diner.objects.filter(pk=pk, card_token=token).select_related("person", "canteen__site__division").first()


# Home ---------------------------------------------------------------------------------------------

@login_required
def home(request):
    """One page, blocks by role: the elder's (or family's) orders, the volunteer's rounds today, the
    canteens staff run."""
    user, today = request.user, timezone.localdate()
    mine = list(selectors.my_diners(user=user))
    findings = list(selectors.settlements_with_findings(user=user))
    for s in findings:
        s.shown = selectors.labelled(s.findings)
    return render(request, "canteen/home.html", {
        "mine": mine,
        "orders": Order.objects.filter(diner__in=mine, date__gte=today, status=Order.Status.PLACED)
        .select_related("diner__person", "dish").order_by("date", "slot"),
        "runs": selectors.my_runs(user=user, day=today),
        "canteens": selectors.staff_canteens(user=user),
        "findings": findings,
        "public": selectors.canteen_list(user=user)[:20],
        "is_county": services.can_set_tiers(user, _county(user)) if _county(user) else False,
    })


def _county(user):
    from linli.divisions.models import Division

    return Division.objects.visible_to(user).filter(level=Division.Level.COUNTY).first()


# Staff page ---------------------------------------------------------------------------------------

@login_required
def canteen_detail(request, pk):
    canteen = selectors.canteen_get(user=request.user, pk=pk)
    today = timezone.localdate()
    since = today - dt.timedelta(days=30)
    gaps = selectors.food_safety_gaps(canteen=canteen, first=since, last=today)
    missed = list(selectors.missed_deliveries(canteen=canteen, since=since))
    refused = list(selectors.refused_meals(canteen=canteen, since=timezone.now() - dt.timedelta(days=7)))
    if missed:
        audit_access(request=request, action=A.LIST, model=DINER, object_ids=[m.diner_id for m in missed],
                     fields=["name"])
    served = Meal.objects.filter(canteen=canteen, date=today)
    return render(request, "canteen/canteen.html", {
        "canteen": canteen, "today": today, "counts": selectors.kitchen_counts(canteen=canteen, day=today),
        "gaps": [{"date": g["date"], "missing": [selectors.GAP_LABELS[m] for m in g["missing"]]} for g in gaps],
        "missed": missed, "refused": refused,
        "served_today": served.filter(reverses__isnull=True).count() - served.filter(reverses__isnull=False).count(),
        "permit_warning": canteen.permit_expires is None or canteen.permit_expires <= today + dt.timedelta(days=30),
        "diners": Diner.objects.filter(canteen=canteen).count(),
    })


@login_required
@require_POST
def delivery_seen(request, pk):
    delivery = Delivery.objects.visible_to(request.user).filter(pk=pk).select_related("run__route__canteen").first()
    if delivery is None:
        raise Http404
    services.delivery_seen(by=request.user, delivery=delivery)
    return redirect("canteen:detail", delivery.run.route.canteen_id)


# Public weekly menu -------------------------------------------------------------------------------

def menu(request, pk):
    """The canteen's weekly menu: public, no login, no personal data; printable for the notice board."""
    from .models import Canteen

    canteen = Canteen.objects.filter(pk=pk).select_related("site").first()
    if canteen is None:
        raise Http404
    day = _day(request.GET.get("week", ""), timezone.localdate())
    monday = day - dt.timedelta(days=day.weekday())
    return render(request, "canteen/menu.html", {
        "canteen": canteen, "week": selectors.week_menu(canteen=canteen, monday=monday), "monday": monday,
        "prev": monday - dt.timedelta(days=7), "next": monday + dt.timedelta(days=7),
        "hours": [(Slot(s).label, *canteen.slot_hours[s]) for s in canteen.slots],
    })


@login_required
def menu_edit(request, pk):
    canteen = selectors.canteen_get(user=request.user, pk=pk)
    form = DishForm(request.POST or None, initial={"date": timezone.localdate() + dt.timedelta(days=1),
                                                   "slot": "lunch", "price": canteen.meal_price})
    if request.method == "POST" and request.POST.get("portions_for"):
        dish = canteen.dishes.filter(pk=request.POST["portions_for"]).first()
        if dish is None:
            raise Http404
        try:
            services.dish_portions(by=request.user, dish=dish, portions=int(request.POST.get("portions") or 0))
            messages.success(request, _("Portions recorded."))
        except (ValidationError, ValueError) as exc:
            messages.error(request, _error_text(exc) if isinstance(exc, ValidationError) else _("Give a number."))
        return redirect("canteen:menu_edit", pk)
    if request.method == "POST" and form.is_valid():
        try:
            services.dish_add(by=request.user, canteen=canteen, **form.cleaned_data)
            messages.success(request, _("Dish added to the menu."))
            return redirect("canteen:menu_edit", pk)
        except ValidationError as exc:
            apply_errors(form, exc)
    today = timezone.localdate()
    return render(request, "canteen/menu_edit.html", {
        "canteen": canteen, "form": form,
        "dishes": canteen.dishes.filter(date__gte=today - dt.timedelta(days=1), date__lte=today + dt.timedelta(days=7)),
    })


# Counter ------------------------------------------------------------------------------------------

@login_required
def counter(request, pk):
    """Serving at the counter (phone or tablet): scan the card, or search a name or the last four ID
    digits; one tap serves the meal with the subsidy the diner's tier gives."""
    canteen = selectors.canteen_get(user=request.user, pk=pk)
    slot = request.POST.get("slot") or request.GET.get("slot") or _current_slot(canteen)
    if request.method == "POST":
        return _serve(request, canteen, slot)
    q = request.GET.get("q", "").strip()[:40]
    code = request.GET.get("code", "").strip()
    found = []
    if code:
        code = code.rsplit("/card/", 1)[-1].strip("/")
        diner = diner_from_code(code)
        if diner is None:
            messages.error(request, _("Unknown or replaced card."))
        else:
            return redirect(f"{reverse('canteen:card', args=[code])}?canteen={canteen.pk}&slot={slot}")
    elif q:
        found = list(selectors.diner_search(user=request.user, canteen=canteen, q=q))
        audit_access(request=request, action=A.SEARCH, model=DINER, object_ids=[d.pk for d in found],
                     fields=["name", "id_number_masked"], query=q if not q.isdigit() else "****")
    today = timezone.localdate()
    rows = selectors.with_tiers(found, today)
    recent = Meal.objects.filter(canteen=canteen, date=today).select_related("diner__person")[:10]
    return render(request, "canteen/counter.html", {
        "canteen": canteen, "slot": slot, "slots": [(s, Slot(s).label) for s in canteen.slots], "q": q,
        "rows": rows, "recent": recent})


def _current_slot(canteen) -> str:
    now = timezone.localtime().time()
    for s in canteen.slots:
        start, end = canteen.hours_of(s)
        if now <= end:
            return s
    return canteen.slots[-1] if canteen.slots else Slot.LUNCH


def _serve(request, canteen, slot):
    diner = None
    if request.POST.get("diner"):
        diner = Diner.objects.visible_to(request.user).filter(pk=request.POST["diner"]).select_related(
            "person", "canteen__site__division").first()
        if diner is None:
            raise Http404
    method = request.POST.get("method") or (Meal.Method.CARD if diner else Meal.Method.WALK_IN)
    try:
        meal = services.meal_serve(by=request.user, canteen=canteen, slot=slot, diner=diner, method=method,
                                   subsidise=request.POST.get("subsidise", "1") == "1")
        who = diner.person.name if diner else _("Walk-in")
        messages.success(request, _("%(who)s: meal recorded, subsidy %(s)s 元, to pay %(p)s 元.") % {
            "who": who, "s": meal.subsidy, "p": meal.paid})
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
    return redirect(f"{reverse('canteen:counter', args=[canteen.pk])}?slot={slot}")


@login_required
def card(request, code):
    """What the phone camera opens from a diner's card: staff see the diner and serve in one tap."""
    diner = diner_from_code(code)
    if diner is None or not Diner.objects.visible_to(request.user).filter(pk=diner.pk).exists():
        raise Http404
    canteens = list(selectors.staff_canteens(user=request.user))
    if not canteens:
        raise Http404
    chosen = next((c for c in canteens if str(c.pk) == request.GET.get("canteen")), None) or \
        next((c for c in canteens if c.pk == diner.canteen_id), canteens[0])
    today = timezone.localdate()
    audit_access(request=request, action=A.VIEW, model=DINER, object_ids=[diner.pk], fields=["name", "care_tags"])
    return render(request, "canteen/card_serve.html", {
        "diner": diner, "canteen": chosen, "canteens": canteens, "found": eligibility(diner=diner, day=today),
        "slot": request.GET.get("slot") or _current_slot(chosen),
        "slots": [(s, Slot(s).label) for s in chosen.slots]})


# Diners -------------------------------------------------------------------------------------------

@login_required
def diner_list(request, pk):
    canteen = selectors.canteen_get(user=request.user, pk=pk)
    page = page_of(request, selectors.diners_of(user=request.user, canteen=canteen), per_page=50)
    diners = list(page)
    today = timezone.localdate()
    rows = selectors.with_tiers(diners, today)
    if diners:
        audit_access(request=request, action=A.LIST, model=DINER, object_ids=[d.pk for d in diners],
                     fields=["name", "tier"])
    return render(request, "canteen/diner_list.html", {"canteen": canteen, "rows": rows, "page": page})


@login_required
def diner_register(request, pk):
    """Register a person of the register: find them (name or last four ID digits), then consent."""
    canteen = selectors.canteen_get(user=request.user, pk=pk)
    q = request.GET.get("q", "").strip()[:40]
    person = None
    if request.GET.get("person") or request.POST.get("person"):
        person = Person.objects.visible_to(request.user).filter(
            pk=request.GET.get("person") or request.POST.get("person")).first()
        if person is None:
            raise Http404
    found = []
    if q and person is None:
        qs = Person.objects.visible_to(request.user).exclude(diner__isnull=False).select_related("division")
        found = (people_selectors.with_last4(qs, q) if people_selectors.is_last4(q)
                 else list(qs.filter(name__icontains=q)[:20]))
        audit_access(request=request, action=A.SEARCH, model="people.Person", object_ids=[p.pk for p in found],
                     fields=["name", "id_number_masked"], query=q if not q.isdigit() else "****")
    form = DinerForm(request.POST or None, routes=canteen.routes.all())
    if request.method == "POST" and person is not None and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            diner = services.diner_register(by=request.user, canteen=canteen, person=person, **data)
            messages.success(request, _("%(name)s is registered; print the card.") % {"name": person.name})
            return redirect("canteen:diner", diner.pk)
        except (ValidationError, PermissionDenied) as exc:
            if isinstance(exc, PermissionDenied):
                raise
            apply_errors(form, exc)
    return render(request, "canteen/diner_register.html", {"canteen": canteen, "q": q, "found": found,
                                                           "person": person, "form": form})


@login_required
def diner_detail(request, pk):
    diner = selectors.diner_get(user=request.user, pk=pk)
    staff = services.can_run(request.user, diner.canteen)
    if not staff:
        raise Http404
    if request.method == "POST" and request.POST.get("reverse"):
        meal = diner.meals.filter(pk=request.POST["reverse"]).first()
        if meal is None:
            raise Http404
        try:
            services.meal_reverse(by=request.user, meal=meal, reason=request.POST.get("reason", ""))
            messages.success(request, _("The meal is reversed."))
        except ValidationError as exc:
            messages.error(request, _error_text(exc))
        return redirect("canteen:diner", pk)
    audit_access(request=request, action=A.VIEW, model=DINER, object_ids=[diner.pk],
                 fields=["name", "id_number_masked", "care_tags", "meals"])
    today = timezone.localdate()
    return render(request, "canteen/diner.html", {
        "diner": diner, "found": eligibility(diner=diner, day=today),
        "meals": diner.meals.select_related("canteen", "reverses").prefetch_related("reversed_by")[:30],
        "orders": diner.orders.filter(date__gte=today - dt.timedelta(days=7)).select_related("dish")[:20]})


@login_required
def diner_card(request, pk):
    """The printable card: name, canteen, a QR code with the signed token."""
    diner = selectors.diner_get(user=request.user, pk=pk)
    if not services.can_run(request.user, diner.canteen):
        raise Http404
    if request.method == "POST":
        services.diner_new_card(by=request.user, diner=diner)
        messages.success(request, _("A new card is made; the old one no longer works."))
        return redirect("canteen:diner_card", pk)
    url = request.build_absolute_uri(reverse("canteen:card", args=[card_code(diner)]))
    audit_access(request=request, action=A.VIEW, model=DINER, object_ids=[diner.pk], fields=["name", "card"])
    return render(request, "canteen/diner_card.html", {
        "diner": diner, "qr": segno.make(url, error="m").svg_inline(scale=5, dark="#1f2328"), "url": url})


# Orders -------------------------------------------------------------------------------------------

@login_required
def order(request):
    """The elder (or a family member) orders a meal; staff and grid workers order from the diner's
    page with ?diner=."""
    diners = selectors.my_diners(user=request.user)
    if request.GET.get("diner") or request.POST.get("diner"):
        extra = Diner.objects.visible_to(request.user).filter(pk=request.GET.get("diner") or request.POST.get("diner"))
        diners = (diners | extra).distinct()
    if not diners.exists():
        raise Http404
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    form = OrderForm(request.POST or None, diners=diners,
                     initial={"date": tomorrow, "slot": "lunch", "diner": request.GET.get("diner")})
    chosen = diners.first()
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        dish = data["diner"].canteen.dishes.filter(pk=request.POST.get("dish") or 0).first()
        try:
            services.order_place(by=request.user, diner=data["diner"], date=data["date"], slot=data["slot"],
                                 dish=dish, delivery=data["delivery"])
            messages.success(request, _("Ordered: %(d)s %(slot)s.") % {"d": data["date"], "slot": Slot(data["slot"]).label})
            return redirect("canteen:home")
        except (ValidationError, PermissionDenied) as exc:
            if isinstance(exc, PermissionDenied):
                raise Http404 from None
            apply_errors(form, exc)
        chosen = data["diner"]
    day = _day(request.POST.get("date") or request.GET.get("date", ""), tomorrow)
    dishes = chosen.canteen.dishes.filter(date=day) if chosen else []
    return render(request, "canteen/order.html", {"form": form, "dishes": dishes, "day": day,
                                                  "cutoff": services.order_cutoff()})


@login_required
@require_POST
def order_cancel(request, pk):
    o = Order.objects.visible_to(request.user).filter(pk=pk).select_related("diner__canteen__site__division").first()
    if o is None:
        raise Http404
    try:
        services.order_cancel(by=request.user, order=o)
        messages.success(request, _("The order is cancelled."))
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
    return redirect("canteen:home")


@login_required
def kitchen(request, pk):
    canteen = selectors.canteen_get(user=request.user, pk=pk)
    day = _day(request.GET.get("date", ""), timezone.localdate() + dt.timedelta(days=1))
    return render(request, "canteen/kitchen.html", {"canteen": canteen, "day": day,
                                                    "counts": selectors.kitchen_counts(canteen=canteen, day=day)})


# Deliveries ---------------------------------------------------------------------------------------

@login_required
def deliveries(request, pk):
    """Staff plan the day's rounds (one per route) and see how they went."""
    canteen = selectors.canteen_get(user=request.user, pk=pk)
    day = _day(request.POST.get("date") or request.GET.get("date", ""), timezone.localdate())
    if request.method == "POST":
        try:
            if request.POST.get("new_route"):
                services.route_create(by=request.user, canteen=canteen, name=request.POST["new_route"])
            else:
                route = canteen.routes.filter(pk=request.POST.get("route") or 0).first()
                if route is None:
                    raise Http404
                vol = Volunteer.objects.filter(pk=request.POST.get("volunteer") or 0).first()
                services.run_plan(by=request.user, route=route, date=day, slot=request.POST.get("slot", "lunch"),
                                  volunteer=vol)
            messages.success(request, _("Saved."))
        except ValidationError as exc:
            messages.error(request, _error_text(exc))
        return redirect(f"{reverse('canteen:deliveries', args=[pk])}?date={day}")
    runs = DeliveryRun.objects.filter(route__canteen=canteen, date=day).select_related(
        "route", "volunteer__person").prefetch_related("stops__diner__person")
    return render(request, "canteen/deliveries.html", {
        "canteen": canteen, "day": day, "runs": runs, "routes": canteen.routes.select_related("volunteer__person"),
        "volunteers": Volunteer.objects.visible_to(request.user).select_related("person")[:100]})


@login_required
def round_detail(request, pk):
    """The volunteer's round at the doors: one tap per stop."""
    run = DeliveryRun.objects.visible_to(request.user).filter(pk=pk).select_related(
        "route__canteen__site__division", "volunteer__person").first()
    if run is None:
        raise Http404
    if request.method == "POST":
        diner = run.stops.filter(diner_id=request.POST.get("diner") or 0).select_related("diner__person").first()
        target = diner.diner if diner else Diner.objects.filter(pk=request.POST.get("diner") or 0).first()
        if target is None:
            raise Http404
        try:
            services.delivery_confirm(by=request.user, run=run, diner=target, status=request.POST.get("status", ""),
                                      unwell=request.POST.get("unwell") == "1", note=request.POST.get("note", ""))
            messages.success(request, _("%(name)s: recorded.") % {"name": target.person.name})
        except ValidationError as exc:
            messages.error(request, _error_text(exc))
        except PermissionDenied:
            raise Http404 from None
        return redirect("canteen:round", pk)
    stops = list(run.stops.select_related("diner__person", "meal"))
    audit_access(request=request, action=A.LIST, model=DINER, object_ids=[s.diner_id for s in stops],
                 fields=["name", "address"])
    addresses = _addresses([s.diner.person_id for s in stops])
    return render(request, "canteen/round.html", {"run": run, "stops": [(s, addresses.get(s.diner.person_id, ""))
                                                                         for s in stops]})


def _addresses(person_ids) -> dict:
    from linli.people.models import Membership

    return dict(Membership.objects.filter(person_id__in=person_ids, end_date__isnull=True)
                .values_list("person_id", "household__address"))


# Food safety --------------------------------------------------------------------------------------

@login_required
def safety(request, pk):
    canteen = selectors.canteen_get(user=request.user, pk=pk)
    day = timezone.localdate()
    forms = {"check": HealthCheckForm(prefix="check"), "sample": SampleForm(prefix="sample"),
             "purchase": PurchaseForm(prefix="purchase")}
    kind = request.POST.get("kind")
    if request.method == "POST" and kind in forms:
        form = {"check": HealthCheckForm, "sample": SampleForm, "purchase": PurchaseForm}[kind](request.POST, prefix=kind)
        forms[kind] = form
        if form.is_valid():
            record = {"check": services.health_check_record, "sample": services.sample_record,
                      "purchase": services.purchase_record}[kind]
            try:
                record(by=request.user, canteen=canteen, date=day, **form.cleaned_data)
                messages.success(request, _("Recorded."))
                return redirect("canteen:safety", pk)
            except ValidationError as exc:
                apply_errors(form, exc)
    if request.method == "POST" and kind == "permit":
        try:
            services.canteen_update_permit(by=request.user, canteen=canteen,
                                           permit_number=request.POST.get("permit_number", ""),
                                           permit_expires=_day(request.POST.get("permit_expires", ""), None))
            messages.success(request, _("Recorded."))
        except ValidationError as exc:
            messages.error(request, _error_text(exc))
        return redirect("canteen:safety", pk)
    return render(request, "canteen/safety.html", {
        "canteen": canteen, "day": day, "forms": forms,
        "checks": HealthCheck.objects.filter(canteen=canteen, date=day),
        "samples": Sample.objects.filter(canteen=canteen, date__gte=day - dt.timedelta(days=2)),
        "purchases": Purchase.objects.filter(canteen=canteen)[:10],
        "gaps": [{"date": g["date"], "missing": [selectors.GAP_LABELS[m] for m in g["missing"]]}
                 for g in selectors.food_safety_gaps(canteen=canteen, first=day - dt.timedelta(days=30), last=day)],
    })


# Settlement ---------------------------------------------------------------------------------------

@login_required
def settlement(request, pk):
    """The period's settlement: totals from the meal records, anti-fraud findings; issue once;
    printable statement and .xlsx ledger."""
    canteen = selectors.canteen_get(user=request.user, pk=pk)
    default = services.period_bounds(timezone.localdate())[0] - dt.timedelta(days=1)
    day = _day(request.POST.get("period") or request.GET.get("period", ""), default)
    if request.method == "POST" and request.GET.get("format") == "xlsx":
        first, last = services.period_bounds(day)
        return export_start(request, builder="linli.canteen.exports.settlement_ledger",
                            title=_("%(canteen)s meal ledger, %(first)s – %(last)s") % {
                                "canteen": canteen.name, "first": first, "last": last},
                            params={"canteen_id": canteen.pk, "period": day.isoformat()},
                            division=canteen.site.division)
    if request.method == "POST":
        try:
            services.settlement_issue(by=request.user, canteen=canteen, period_start=day)
            messages.success(request, _("The settlement is issued and frozen."))
        except ValidationError as exc:
            messages.error(request, _error_text(exc))
        return redirect(f"{reverse('canteen:settlement', args=[pk])}?period={day}")
    data = selectors.settlement_preview(canteen=canteen, day=day)
    issued = data["issued"]
    show = issued if issued else None
    return render(request, "canteen/settlement.html", {
        "canteen": canteen, "data": data, "issued": show, "period": data["first"].isoformat(),
        "prev": (data["first"] - dt.timedelta(days=1)).isoformat(),
        "next": (data["last"] + dt.timedelta(days=1)).isoformat(),
        "settlements": canteen.settlements.all()[:12],
        "can_issue": issued is None and data["last"] < timezone.localdate()})


# Tiers --------------------------------------------------------------------------------------------

@login_required
def tiers(request):
    from .models import TierRule

    county = _county(request.user)
    rules = TierRule.objects.visible_to(request.user).select_related("county").prefetch_related("care_tags")
    can_edit = county is not None and services.can_set_tiers(request.user, county)
    form = TierForm(request.POST or None) if can_edit else None
    if request.method == "POST":
        if not can_edit:
            raise Http404
        if request.POST.get("end"):
            rule = rules.filter(pk=request.POST["end"]).first()
            if rule is None:
                raise Http404
            try:
                services.tier_rule_end(by=request.user, rule=rule,
                                       valid_to=_day(request.POST.get("valid_to", ""), timezone.localdate()))
                messages.success(request, _("Saved."))
            except ValidationError as exc:
                messages.error(request, _error_text(exc))
            return redirect("canteen:tiers")
        if form.is_valid():
            try:
                services.tier_rule_create(by=request.user, county=county, **form.cleaned_data)
                messages.success(request, _("Saved."))
                return redirect("canteen:tiers")
            except ValidationError as exc:
                apply_errors(form, exc)
    return render(request, "canteen/tiers.html", {"rules": rules, "form": form, "county": county,
                                                  "slot_labels": dict(Slot.choices)})
