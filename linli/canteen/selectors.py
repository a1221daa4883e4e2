"""Reads for the elderly canteen: scoped lists, the kitchen's counts, food-safety gaps, the settlement
totals, the anti-fraud checks and the figures. Every figure is computed from records."""

import datetime as dt
from collections import Counter, defaultdict
from decimal import Decimal

from django.db.models import Count, Q, Sum
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from linli.people import selectors as people_selectors

from . import eligibility as elig
from .models import (
    STAFF_ROLES,
    ZERO,
    Canteen,
    Delivery,
    DeliveryRun,
    Diner,
    HealthCheck,
    Meal,
    MenuDish,
    Order,
    RefusedMeal,
    Sample,
    Settlement,
    Slot,
)
from .services import late_entry_hours, period_bounds, subsidised_in_force


def canteen_list(*, user):
    return Canteen.objects.visible_to(user).select_related("site__division")


def staff_canteens(*, user):
    return Canteen.objects.visible_to(user, roles=STAFF_ROLES).select_related("site__division")


def canteen_get(*, user, pk: int, staff: bool = True) -> Canteen:
    qs = staff_canteens(user=user) if staff else canteen_list(user=user)
    canteen = qs.filter(pk=pk).first()
    if canteen is None:
        raise Http404
    return canteen


def diner_get(*, user, pk: int) -> Diner:
    diner = Diner.objects.visible_to(user).select_related("person__division", "canteen__site__division").filter(
        pk=pk).first()
    if diner is None:
        raise Http404
    return diner


def diners_of(*, user, canteen: Canteen):
    return (Diner.objects.visible_to(user).filter(canteen=canteen)
            .select_related("person__division", "canteen__site__division", "route").order_by("person__name"))


def diner_search(*, user, canteen: Canteen, q: str) -> list:
    """Diners of the canteen's county found by name, or by the last four ID digits
    (people.selectors.with_last4: the masked copy narrows, a few numbers are decrypted); at most 20."""
    q = (q or "").strip()
    if not q:
        return []
    qs = (Diner.objects.visible_to(user).filter(canteen__site__division__path__startswith=_county_path(canteen))
          .select_related("person__division", "canteen__site__division").order_by("person__name"))
    if people_selectors.is_last4(q):
        return people_selectors.with_last4(qs, q)
    return list(qs.filter(person__name__icontains=q)[:20])


def _county_path(canteen: Canteen) -> str:
    ids = canteen.site.division.ancestor_ids()
    return f"/{ids[0]}/" if ids else "/"


def with_tiers(diners, day: dt.date) -> list[tuple[Diner, "elig.Eligibility"]]:
    """Each diner with their tier on `day`, reading the rules, tags and memberships once for all."""
    from linli.people.models import Membership

    diners = list(diners)
    if not diners:
        return []
    tags, memberships = defaultdict(set), defaultdict(list)
    for pid, code in Diner.person.field.related_model.care_tags.through.objects.filter(
            person_id__in=[d.person_id for d in diners]).values_list("person_id", "caretag__code"):
        tags[pid].add(code)
    for m in Membership.objects.filter(person_id__in=[d.person_id for d in diners]).select_related(
            "household__division").order_by("start_date", "pk"):
        memberships[m.person_id].append(m)
    rules = {}
    out = []
    for d in diners:
        d.person._canteen_tags = tags[d.person_id]
        d.person._canteen_memberships = memberships[d.person_id]
        key = d.canteen.site.division_id
        if key not in rules:
            rules[key] = elig.rules_for(d.canteen.site.division, day)
        out.append((d, elig.eligibility(diner=d, day=day, rules=rules[key])))
    return out


def my_diners(*, user):
    """The diners a user may order for as themself or family."""
    if not getattr(user, "is_authenticated", False):
        return Diner.objects.none()
    return Diner.objects.filter(Diner.scope_own(user)).select_related("person", "canteen__site__division")


def week_menu(*, canteen: Canteen, monday: dt.date):
    days = [monday + dt.timedelta(days=i) for i in range(7)]
    dishes = MenuDish.objects.filter(canteen=canteen, date__range=(days[0], days[-1])).order_by("date", "slot", "pk")
    by_day = defaultdict(list)
    for d in dishes:
        by_day[d.date].append(d)
    return [{"date": d, "dishes": by_day.get(d, [])} for d in days]


def kitchen_counts(*, canteen: Canteen, day: dt.date, weeks: int = 4) -> list[dict]:
    """Per slot: orders per dish, orders without a dish, deliveries among them, and a forecast of
    walk-ins: the average, over the last `weeks` same weekdays, of meals served beyond the orders."""
    orders = Order.objects.filter(canteen=canteen, date=day, status=Order.Status.PLACED)
    per_dish = Counter(orders.values_list("slot", "dish__name"))
    deliveries = Counter(orders.filter(delivery=True).values_list("slot", flat=True))
    past = [day - dt.timedelta(days=7 * i) for i in range(1, weeks + 1)]
    served = Counter()
    for slot, date, n in (Meal.objects.filter(canteen=canteen, date__in=past, reverses__isnull=True)
                          .values_list("slot", "date").annotate(n=Count("pk")).values_list("slot", "date", "n")):
        served[(slot, date)] += n
    ordered = Counter()
    for slot, date, n in (Order.objects.filter(canteen=canteen, date__in=past, status=Order.Status.PLACED)
                          .values_list("slot", "date").annotate(n=Count("pk")).values_list("slot", "date", "n")):
        ordered[(slot, date)] += n
    out = []
    for slot in canteen.slots:
        extra = [max(0, served[(slot, d)] - ordered[(slot, d)]) for d in past]
        forecast = round(sum(extra) / len(extra)) if extra else 0
        dishes = sorted(((name or _("Any dish"), n) for (s, name), n in per_dish.items() if s == slot),
                        key=lambda x: (-x[1], x[0]))
        total = sum(n for _, n in dishes)
        out.append({"slot": slot, "label": Slot(slot).label, "dishes": dishes, "ordered": total,
                    "deliveries": deliveries.get(slot, 0), "walk_in_forecast": forecast, "cook": total + forecast})
    return out


def food_safety_gaps(*, canteen: Canteen, first: dt.date, last: dt.date) -> list[dict]:
    """Days the canteen served meals without a morning check or without a retained sample."""
    served = set(Meal.objects.filter(canteen=canteen, date__range=(first, last), reverses__isnull=True)
                 .exclude(method=Meal.Method.REVERSAL).values_list("date", flat=True).distinct())
    checked = set(HealthCheck.objects.filter(canteen=canteen, date__range=(first, last))
                  .values_list("date", flat=True).distinct())
    sampled = set(Sample.objects.filter(canteen=canteen, date__range=(first, last)).values_list("date", flat=True)
                  .distinct())
    out = []
    for day in sorted(served):
        missing = [k for k, have in (("health_check", checked), ("sample", sampled)) if day not in have]
        if missing:
            out.append({"date": day, "missing": missing})
    return out


GAP_LABELS = {"health_check": gettext_lazy("no morning health check"), "sample": gettext_lazy("no retained sample")}
CHECK_LABELS = {
    "after_exit": gettext_lazy("Meals for a diner who had moved out or died"),
    "over_slots": gettext_lazy("More subsidised meals than slots"),
    "outside_hours": gettext_lazy("Meals served outside opening hours"),
    "over_portions": gettext_lazy("Subsidised meals above the portions cooked"),
    "two_canteens": gettext_lazy("One diner at two canteens in the same slot"),
    "late_entry": gettext_lazy("Meal records entered long after serving"),
}


def labelled(findings: list[dict]) -> list[dict]:
    """Findings with their label in the reader's language (the stored label is the issuer's)."""
    return [{**f, "label": str(CHECK_LABELS.get(f["check"], f["label"]))} for f in findings]


def missed_deliveries(*, canteen: Canteen, since: dt.date):
    return (Delivery.objects.filter(run__route__canteen=canteen, run__date__gte=since, status__in=Delivery.MISSED,
                                    seen_by_staff_at__isnull=True)
            .select_related("diner__person", "run__route").order_by("-run__date", "stop"))


def refused_meals(*, canteen: Canteen, since: dt.datetime):
    return RefusedMeal.objects.filter(canteen=canteen, at__gte=since).select_related("diner__person", "by")[:20]


def settlements_with_findings(*, user):
    """Issued settlements whose checks found something: the county office's list."""
    return (Settlement.objects.visible_to(user).exclude(findings=[]).select_related("canteen")
            .order_by("-period_start", "canteen__name")[:20])


def my_runs(*, user, day: dt.date):
    return (DeliveryRun.objects.filter(volunteer__person__user=user, date=day)
            .select_related("route__canteen").order_by("slot", "route__name"))


# Settlement ---------------------------------------------------------------------------------------

def settlement_totals(*, canteen: Canteen, first: dt.date, last: dt.date) -> dict:
    """What the county owes for a period: the meal records booked in it (reversals subtract), by tier,
    with the reversals of earlier periods listed."""
    qs = Meal.objects.filter(canteen=canteen, booked_on__range=(first, last))
    agg = qs.aggregate(subsidy=Sum("subsidy"), paid=Sum("paid"), price=Sum("price"))
    plus = qs.filter(reverses__isnull=True)
    minus = qs.filter(reverses__isnull=False)
    meals = plus.count() - minus.count()
    subsidised = plus.filter(subsidy__gt=0).count() - minus.filter(subsidy__lt=0).count()
    rows = defaultdict(lambda: {"meals": 0, "subsidy": ZERO, "paid": ZERO})
    for tier, name, rev, n, s, p in (qs.values_list("tier_id", "tier__name", "reverses_id")
                                     .annotate(n=Count("pk"), s=Sum("subsidy"), p=Sum("paid"))
                                     .values_list("tier_id", "tier__name", "reverses_id", "n", "s", "p")):
        row = rows[(tier, name or "")]
        row["meals"] += -n if rev else n
        row["subsidy"] += s or ZERO
        row["paid"] += p or ZERO
    by_tier = [{"tier": name or str(_("No subsidy")), "meals": r["meals"], "subsidy": str(r["subsidy"]),
                "paid": str(r["paid"])} for (tier, name), r in sorted(rows.items(), key=lambda x: (x[0][1] == "", x[0][1]))]
    carried = [{"meal": m.pk, "reverses": m.reverses_id, "date": m.date.isoformat(), "subsidy": str(m.subsidy),
                "paid": str(m.paid), "reason": m.reason}
               for m in minus.filter(date__lt=first).order_by("date", "pk")]
    return {"meals": meals, "subsidised_meals": subsidised, "subsidy": agg["subsidy"] or ZERO,
            "paid": agg["paid"] or ZERO, "price": agg["price"] or ZERO, "by_tier": by_tier, "carried": carried}


def _standing(qs):
    return subsidised_in_force(qs).select_related("diner__person__division", "canteen__site__division")


def fraud_checks(*, canteen: Canteen, first: dt.date, last: dt.date) -> list[dict]:
    """The checks run before issuing, each naming the meal records it found:
    after_exit — subsidised meals for a diner who had left the register (moved out or died) by then;
    over_slots — more subsidised meals for a diner on a day than the slots (two in one slot, or above
    the tier's meals per day); outside_hours — meals served outside the slot's serving hours (home
    deliveries excepted); over_portions — a slot's subsidised meals above the portions the kitchen
    recorded cooking; two_canteens — one diner served at two canteens in the same slot; late_entry —
    records entered more than LINLI_CANTEEN_LATE_ENTRY_HOURS after serving."""
    meals = list(_standing(Meal.objects.filter(canteen=canteen, date__range=(first, last))).order_by("date", "pk"))
    out = []

    def finding(check, ids, detail=""):
        if ids:
            out.append({"check": check, "label": str(CHECK_LABELS[check]), "meals": sorted(set(ids)), "detail": detail})

    # after_exit (the diners' memberships read once, not per meal)
    ids, people = [], {}
    from linli.people.models import Membership

    for ms in Membership.objects.filter(person_id__in={m.diner.person_id for m in meals}).select_related(
            "household__division").order_by("start_date", "pk"):
        people.setdefault(ms.person_id, []).append(ms)
    for m in meals:
        m.diner.person._canteen_memberships = people.get(m.diner.person_id, [])
    for m in meals:
        _lives, left = elig.register_state(m.diner.person, m.date)
        if left is not None:
            ids.append(m.pk)
    finding("after_exit", ids)

    # over_slots
    per_day = defaultdict(list)
    for m in meals:
        per_day[(m.diner_id, m.date)].append(m)
    ids = []
    for group in per_day.values():
        slots = Counter(m.slot for m in group)
        allowed = min((m.tier.meals_per_day for m in group if m.tier_id), default=len(group))
        if any(n > 1 for n in slots.values()) or len(group) > allowed:
            ids += [m.pk for m in group]
    finding("over_slots", ids)

    # outside_hours
    ids = []
    for m in (Meal.objects.filter(canteen=canteen, date__range=(first, last), reverses__isnull=True,
                                  reversed_by__isnull=True).exclude(method=Meal.Method.DELIVERY)):
        hours = canteen.hours_of(m.slot)
        t = timezone.localtime(m.served_at).time()
        if hours is None or not (hours[0] <= t <= hours[1]):
            ids.append(m.pk)
    finding("outside_hours", ids)

    # over_portions
    cooked = defaultdict(int)
    recorded = set()
    for date, slot, n in MenuDish.objects.filter(canteen=canteen, date__range=(first, last),
                                                 portions_cooked__isnull=False).values_list(
            "date", "slot", "portions_cooked"):
        cooked[(date, slot)] += n
        recorded.add((date, slot))
    by_slot = defaultdict(list)
    for m in meals:
        by_slot[(m.date, m.slot)].append(m.pk)
    ids, detail = [], []
    for key in sorted(recorded):
        if len(by_slot.get(key, [])) > cooked[key]:
            ids += by_slot[key]
            detail.append(f"{key[0]} {key[1]}: {len(by_slot[key])} > {cooked[key]}")
    finding("over_portions", ids, "; ".join(detail))

    # two_canteens
    mine = {(m.diner_id, m.date, m.slot): m.pk for m in meals}
    ids = []
    if mine:
        others = (Meal.objects.filter(date__range=(first, last), reverses__isnull=True, reversed_by__isnull=True,
                                      diner_id__in={k[0] for k in mine}).exclude(canteen=canteen)
                  .values_list("diner_id", "date", "slot"))
        ids = [mine[k] for k in others if k in mine]
    finding("two_canteens", ids)

    # late_entry
    late = dt.timedelta(hours=late_entry_hours())
    ids = [m.pk for m in Meal.objects.filter(canteen=canteen, date__range=(first, last), reverses__isnull=True)
           .only("pk", "served_at", "recorded_at") if m.recorded_at - m.served_at > late]
    finding("late_entry", ids)
    return out


def settlement_preview(*, canteen: Canteen, day: dt.date) -> dict:
    first, last = period_bounds(day)
    issued = Settlement.objects.filter(canteen=canteen, period_start=first).first()
    totals = settlement_totals(canteen=canteen, first=first, last=last)
    gaps = [{"date": g["date"], "missing": [str(GAP_LABELS[m]) for m in g["missing"]]}
            for g in food_safety_gaps(canteen=canteen, first=first, last=last)]
    return {"first": first, "last": last, "issued": issued, "totals": totals, "gaps": gaps,
            "findings": labelled(issued.findings if issued else fraud_checks(canteen=canteen, first=first, last=last))}


# Figures ------------------------------------------------------------------------------------------

def eligible_person_ids(*, divisions_q: Q, day: dt.date) -> set[int]:
    """Persons of the register (in the given divisions) who would qualify for a tier in force on
    `day`, whether or not they dine; hukou is unknown for non-diners, so only residence tiers count."""
    from linli.people.models import Person

    from .models import TierRule

    rules = list(TierRule.objects.filter(valid_from__lte=day).filter(Q(valid_to__isnull=True) | Q(valid_to__gte=day))
                 .select_related("county").prefetch_related("care_tags"))
    if not rules:
        return set()
    persons = Person.objects.filter(divisions_q)
    if all(r.min_age is not None or r.care_tags.all() for r in rules):
        # Only someone old enough or carrying one of the tiers' tags can qualify.
        ages = [r.min_age for r in rules if r.min_age is not None]
        tags = {t.pk for r in rules for t in r.care_tags.all()}
        pre = Q(pk__in=[])
        if ages:
            pre |= Q(birth_date__lte=_years_before(day, min(ages)))
        if tags:
            pre |= Q(care_tags__in=tags)
        persons = persons.filter(pre).distinct()
    persons = persons.select_related("division").prefetch_related("care_tags", "memberships__household__division")
    out = set()
    for person in persons:
        person._canteen_memberships = sorted(person.memberships.all(), key=lambda m: (m.start_date, m.pk))
        lives_in, left = elig.register_state(person, day)
        if left is not None:
            continue
        tags = {t.code for t in person.care_tags.all()}
        age = elig.age_on(person.birth_date, day)
        if any(person.division.path.startswith(r.county.path)
               and elig.qualifies(r, age=age, tags=tags, lives_in=lives_in, hukou_local=False) for r in rules):
            out.add(person.pk)
    return out


def _years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def figures(user=None) -> dict:
    """The `canteen` section of `linli stats --json`: from records only."""
    from linli.accounts.models import Role

    def scoped(model):
        return model.objects.all() if user is None else model.objects.visible_to(user, roles=Role.Kind.values)

    today = timezone.localdate()
    since = today - dt.timedelta(days=30)
    canteens = list(scoped(Canteen).select_related("site__division"))
    canteen_ids = [c.pk for c in canteens]
    diners = Diner.objects.filter(canteen_id__in=canteen_ids)
    meals = Meal.objects.filter(canteen_id__in=canteen_ids)
    recent = meals.filter(date__gt=since, date__lte=today)
    served = recent.filter(reverses__isnull=True).count() - recent.filter(reverses__isnull=False).count()
    subsidised = subsidised_in_force(recent).count()
    last_month_end = today.replace(day=1) - dt.timedelta(days=1)
    subsidy_last_month = meals.filter(booked_on__range=(last_month_end.replace(day=1), last_month_end)).aggregate(
        s=Sum("subsidy"))["s"] or Decimal(0)
    # Coverage: the eligible persons of the canteens' communities, and how many of them are diners.
    q = Q(pk__in=[])
    for path in {(c.site.division.community() or c.site.division).path for c in canteens}:
        q |= Q(division__path__startswith=path)
    eligible = eligible_person_ids(divisions_q=q, day=today) if canteens else set()
    dining = set(diners.filter(person_id__in=eligible).values_list("person_id", flat=True)) if eligible else set()
    first = since + dt.timedelta(days=1)
    return {
        "canteens": len(canteen_ids),
        "diners": diners.count(),
        "eligible_elders": len(eligible),
        "diner_coverage_share": round(len(dining) / len(eligible), 4) if eligible else 0.0,
        "meals_last_30_days": served,
        "subsidised_meals_share": round(subsidised / served, 4) if served else 0.0,
        "subsidy_last_month": float(subsidy_last_month),
        "deliveries_last_30_days": Delivery.objects.filter(run__route__canteen_id__in=canteen_ids,
                                                           run__date__gt=since, status=Delivery.Status.DELIVERED).count(),
        "food_safety_gaps_last_30_days": sum(len(food_safety_gaps(canteen=c, first=first, last=today))
                                             for c in canteens),
    }
