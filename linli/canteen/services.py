"""Writes for the elderly canteen.

THE RULES
- A canteen is a site's room of function canteen; its staff (community staff, site manager, county
  office above) run it. Subsidy tiers are the county office's data; two rules of one tier never
  overlap in time (the county's Division row is locked while checking).
- A diner is a person on the register, registered once with their consent.
- Orders: for a slot the canteen serves, from today up to the set days ahead, and for today only
  until the cut-off (LINLI_CANTEEN_ORDER_CUTOFF); cancelled only before the cut-off; by the elder, a
  family member of the elder's household, staff, or a grid worker over the elder's grid.
- Meals: ONE subsidised meal per diner per slot and at most the tier's subsidised meals per day,
  within its daily cap, even at two counters at once (the Diner row is locked while counting). A
  subsidy only for a diner whose tier covers the day and slot. A refused subsidy records nothing but a
  RefusedMeal row for staff. Meal records are never edited or deleted: a reversal is a new record.
  Nothing is booked into a settled period; a reversal of a settled meal goes to the current period.
- Deliveries: a round lists the route's delivery diners; only a stop on the list is confirmed, once,
  with delivered / nobody home / declined; delivered makes the meal record; "looks unwell" raises a
  concern through the cases services; the round's start and finish make the volunteer's pending
  service record through volunteers.services.service_record_from.
- Food safety: any symptom at the morning check means not on duty; a sample weighs at least the set
  grams and may be discarded only after the set hours.
- A settlement equals the meal records booked in its period and is issued once, then frozen.
"""

import datetime as dt
import logging
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from linli.core.scoping import has_role_over
from linli.divisions.models import Division
from linli.people.models import Person
from linli.places.models import Room

from . import eligibility as elig
from .models import (
    STAFF_ROLES,
    ZERO,
    Canteen,
    Delivery,
    DeliveryRoute,
    DeliveryRun,
    DietOption,
    Diner,
    HealthCheck,
    Meal,
    MenuDish,
    Order,
    Purchase,
    RefusedMeal,
    Sample,
    Settlement,
    Slot,
    TierRule,
)

log = logging.getLogger(__name__)
CONSENT_VERSION = "2026-1"


def _setting(name, default):
    return getattr(settings, name, default)


def order_cutoff() -> dt.time:
    return dt.time.fromisoformat(_setting("LINLI_CANTEEN_ORDER_CUTOFF", "09:30"))


def order_days_ahead() -> int:
    return int(_setting("LINLI_CANTEEN_ORDER_DAYS_AHEAD", 7))


def late_entry_hours() -> int:
    return int(_setting("LINLI_CANTEEN_LATE_ENTRY_HOURS", 24))


def sample_min_grams() -> int:
    return int(_setting("LINLI_CANTEEN_SAMPLE_MIN_GRAMS", 125))


def sample_keep_hours() -> int:
    return int(_setting("LINLI_CANTEEN_SAMPLE_KEEP_HOURS", 48))


def settlement_period() -> str:
    return _setting("LINLI_CANTEEN_SETTLEMENT_PERIOD", "month")


def _aware(day: dt.date, time: dt.time) -> dt.datetime:
    return dt.datetime.combine(day, time, tzinfo=timezone.get_current_timezone())


def _invalid(field: str, message: str, code: str) -> ValidationError:
    """A field error that keeps its code (tests and the API tell refusals apart by it)."""
    return ValidationError({field: ValidationError(message, code=code)})


def _require(ok: bool, message: str) -> None:
    if not ok:
        raise PermissionDenied(message)


# Who may do what ----------------------------------------------------------------------------------

def can_run(user, canteen: Canteen) -> bool:
    return has_role_over(user, STAFF_ROLES, canteen.site.division)


def can_set_tiers(user, county: Division) -> bool:
    return has_role_over(user, ("county_admin",), county)


def order_channel(user, diner: Diner) -> str | None:
    """How `user` may order for `diner`: themself, family, staff or grid worker; None if not at all."""
    if not getattr(user, "is_authenticated", False):
        return None
    if diner.person.user_id == user.pk:
        return Order.Channel.SELF
    if can_run(user, diner.canteen):
        return Order.Channel.STAFF
    if has_role_over(user, ("grid_worker",), diner.person.division):
        return Order.Channel.GRID
    if Diner.objects.filter(Diner.scope_own(user), pk=diner.pk).exists():
        return Order.Channel.FAMILY
    return None


# Canteens and tiers -------------------------------------------------------------------------------

@transaction.atomic
def canteen_create(*, by, room: Room, name: str = "", slot_hours: dict | None = None,
                   meal_price: Decimal = Decimal("15.00"), permit_number: str = "",
                   permit_expires: dt.date | None = None, delivers: bool = True, is_demo: bool = False) -> Canteen:
    """Staff of the site's community open a canteen in one of its canteen rooms."""
    _require(has_role_over(by, STAFF_ROLES, room.site.division), _("Only the community's staff may open a canteen here."))
    if room.function != Room.Function.CANTEEN:
        raise ValidationError({"room": _("Choose a room of function canteen.")})
    if Canteen.objects.filter(room=room).exists():
        raise ValidationError({"room": _("This room already has a canteen.")})
    canteen = Canteen(room=room, site=room.site, name=(name or room.site.name).strip()[:100],
                      slot_hours=slot_hours or {"lunch": ["11:00", "13:00"], "dinner": ["17:00", "18:30"]},
                      meal_price=meal_price, permit_number=permit_number, permit_expires=permit_expires,
                      delivers=delivers, is_demo=is_demo)
    _check_slot_hours(canteen.slot_hours)
    canteen.full_clean()
    canteen.save()
    return canteen


def _check_slot_hours(hours: dict) -> None:
    try:
        ok = bool(hours) and all(k in Slot.values and dt.time.fromisoformat(v[0]) < dt.time.fromisoformat(v[1])
                                 for k, v in hours.items())
    except (TypeError, ValueError, IndexError):
        ok = False
    if not ok:
        raise ValidationError({"slot_hours": _("Give each meal slot a start and an end time, e.g. 11:00–13:00.")})


def canteen_update_permit(*, by, canteen: Canteen, permit_number: str, permit_expires: dt.date | None) -> Canteen:
    _require(can_run(by, canteen), _("Only the canteen's staff may do this."))
    canteen.permit_number, canteen.permit_expires = permit_number.strip()[:40], permit_expires
    canteen.save(update_fields=["permit_number", "permit_expires"])
    return canteen


def _overlapping(county, code: str, valid_from: dt.date, valid_to: dt.date | None, exclude_pk=None):
    qs = TierRule.objects.filter(county=county, code=code).filter(Q(valid_to__isnull=True) | Q(valid_to__gte=valid_from))
    if valid_to is not None:
        qs = qs.filter(valid_from__lte=valid_to)
    return qs.exclude(pk=exclude_pk) if exclude_pk else qs


def _tier_fields(*, valid_from, valid_to, slots, amount_per_meal, max_per_day, meals_per_day) -> dict:
    errors = {}
    if valid_to is not None and valid_to < valid_from:
        errors["valid_to"] = _("A tier must end after it starts.")
    slots = list(dict.fromkeys(slots or []))
    if not slots or set(slots) - set(Slot.values):
        errors["slots"] = _("Choose at least one meal slot.")
    if amount_per_meal is None or Decimal(amount_per_meal) <= 0:
        errors["amount_per_meal"] = _("Give a subsidy of more than zero.")
    if max_per_day is not None and Decimal(max_per_day) < Decimal(amount_per_meal or 0):
        errors["max_per_day"] = _("The daily cap cannot be below the subsidy of one meal.")
    if meals_per_day is not None and int(meals_per_day) < 1:
        errors["meals_per_day"] = _("At least one meal a day.")
    if errors:
        raise ValidationError(errors)
    return {"slots": slots}


@transaction.atomic
def tier_rule_create(*, by, county: Division, code: str, name: str, amount_per_meal: Decimal, valid_from: dt.date,
                     valid_to: dt.date | None = None, min_age: int | None = None, care_tags=(),
                     age_or_tag: bool = False, residence: str = TierRule.Residence.RESIDENT,
                     max_per_day: Decimal | None = None, meals_per_day: int = 1,
                     slots: list[str] | None = None) -> TierRule:
    """The county office adds a dated subsidy tier; it may not overlap another rule of the same tier."""
    _require(can_set_tiers(by, county), _("Only the county office may set subsidy tiers."))
    extra = _tier_fields(valid_from=valid_from, valid_to=valid_to, slots=slots or [Slot.LUNCH],
                         amount_per_meal=amount_per_meal, max_per_day=max_per_day, meals_per_day=meals_per_day)
    if residence not in TierRule.Residence.values:
        raise ValidationError({"residence": _("Unknown residence rule.")})
    Division.objects.select_for_update().get(pk=county.pk)  # one writer of a county's tiers at a time
    if _overlapping(county, code, valid_from, valid_to).exists():
        raise _invalid("valid_from", _("Another rule of this tier is in force in these dates; end it first."), "overlap")
    rule = TierRule(county=county, code=code, name=name.strip()[:60], amount_per_meal=amount_per_meal,
                    valid_from=valid_from, valid_to=valid_to, min_age=min_age, age_or_tag=age_or_tag,
                    residence=residence, max_per_day=max_per_day, meals_per_day=meals_per_day,
                    created_by=by, **extra)
    rule.full_clean()
    rule.save()
    rule.care_tags.set(care_tags)
    return rule


@transaction.atomic
def tier_rule_end(*, by, rule: TierRule, valid_to: dt.date) -> TierRule:
    """End a tier on a day (to replace it with a new rule from the next day)."""
    _require(can_set_tiers(by, rule.county), _("Only the county office may set subsidy tiers."))
    if valid_to < rule.valid_from:
        raise ValidationError({"valid_to": _("A tier must end after it starts.")})
    rule.valid_to = valid_to
    rule.save(update_fields=["valid_to"])
    return rule


# Diners -------------------------------------------------------------------------------------------

@transaction.atomic
def diner_register(*, by, canteen: Canteen, person: Person, consent: bool, hukou_local: bool = False,
                   diet: list[str] | None = None, allergies: str = "", delivery: bool = False,
                   route: DeliveryRoute | None = None, is_demo: bool = False) -> Diner:
    """Staff register a person of the register as a diner, with the person's consent."""
    _require(can_run(by, canteen), _("Only the canteen's staff may register diners."))
    if not Person.objects.visible_to(by).filter(pk=person.pk).exists() and not by.is_superuser:
        raise PermissionDenied(_("This person is not on a register you keep."))
    if not consent:
        raise ValidationError({"consent": _("The diner's consent is needed to register.")})
    if Diner.objects.filter(person=person).exists():
        raise ValidationError({"person": _("This person is already a diner.")})
    unknown = set(diet or []) - set(DietOption.values)
    if unknown:
        raise ValidationError({"diet": _("Unknown diet option.")})
    if route is not None and route.canteen_id != canteen.pk:
        raise ValidationError({"route": _("Choose a route of this canteen.")})
    diner = Diner.objects.create(person=person, canteen=canteen, hukou_local=hukou_local, diet=list(diet or []),
                                 allergies=allergies.strip()[:200], delivery=delivery, route=route,
                                 consent_at=timezone.now(), consent_by=by, consent_version=CONSENT_VERSION,
                                 is_demo=is_demo)
    return diner


def diner_new_card(*, by, diner: Diner) -> Diner:
    """A new card: the old QR code stops working."""
    _require(can_run(by, diner.canteen), _("Only the canteen's staff may do this."))
    from .models import card_token

    diner.card_token = card_token()
    diner.save(update_fields=["card_token"])
    return diner


# Menus and orders ---------------------------------------------------------------------------------

def dish_add(*, by, canteen: Canteen, date: dt.date, slot: str, name: str, price: Decimal | None = None,
             allergens: str = "", options: list[str] | None = None) -> MenuDish:
    _require(can_run(by, canteen), _("Only the canteen's staff may set the menu."))
    if slot not in canteen.slots:
        raise ValidationError({"slot": _("This canteen does not serve that meal.")})
    if set(options or []) - set(DietOption.values):
        raise ValidationError({"options": _("Unknown diet option.")})
    if not name.strip():
        raise ValidationError({"name": _("Name the dish.")})
    return MenuDish.objects.create(canteen=canteen, date=date, slot=slot, name=name.strip()[:60],
                                   price=canteen.meal_price if price is None else price,
                                   allergens=allergens.strip()[:100], options=list(options or []))


def dish_portions(*, by, dish: MenuDish, portions: int) -> MenuDish:
    """The kitchen records how many portions it cooked (checked against subsidised meals)."""
    _require(can_run(by, dish.canteen), _("Only the canteen's staff may do this."))
    if portions < 0:
        raise ValidationError({"portions_cooked": _("Give a number of zero or more.")})
    dish.portions_cooked = portions
    dish.save(update_fields=["portions_cooked"])
    return dish


def _before_cutoff(day: dt.date, now: dt.datetime) -> bool:
    return now < _aware(day, order_cutoff())


@transaction.atomic
def order_place(*, by, diner: Diner, date: dt.date, slot: str, dish: MenuDish | None = None,
                delivery: bool = False, now: dt.datetime | None = None) -> Order:
    """Order a meal: a day ahead, or on the day until the cut-off."""
    now = now or timezone.now()
    channel = order_channel(by, diner)
    _require(channel is not None, _("You may not order for this diner."))
    canteen = diner.canteen
    if slot not in canteen.slots:
        raise ValidationError({"slot": _("This canteen does not serve that meal.")})
    today = timezone.localtime(now).date()
    if date < today or not _before_cutoff(date, now):
        raise _invalid("date", _("Orders for %(d)s closed at %(t)s.") % {
            "d": date, "t": order_cutoff().strftime("%H:%M")}, "cutoff")
    if date > today + dt.timedelta(days=order_days_ahead()):
        raise ValidationError({"date": _("Orders open %(n)s days ahead.") % {"n": order_days_ahead()}})
    if dish is not None and (dish.canteen_id != canteen.pk or dish.date != date or dish.slot != slot):
        raise ValidationError({"dish": _("Choose a dish of this meal's menu.")})
    if delivery and not (diner.delivery and canteen.delivers):
        raise ValidationError({"delivery": _("This diner is not on a delivery list.")})
    try:
        with transaction.atomic():
            return Order.objects.create(diner=diner, canteen=canteen, date=date, slot=slot, dish=dish,
                                        delivery=delivery, channel=channel, placed_by=by)
    except IntegrityError:
        raise _invalid("slot", _("This meal is already ordered."), "duplicate") from None


@transaction.atomic
def order_cancel(*, by, order: Order, now: dt.datetime | None = None) -> Order:
    now = now or timezone.now()
    _require(order_channel(by, order.diner) is not None, _("You may not cancel this order."))
    order = Order.objects.select_for_update().get(pk=order.pk)
    if order.status != Order.Status.PLACED:
        raise ValidationError({"status": _("This order is already cancelled.")})
    if not _before_cutoff(order.date, now):
        raise _invalid("date", _("Orders for %(d)s closed at %(t)s; call the canteen.") % {
            "d": order.date, "t": order_cutoff().strftime("%H:%M")}, "cutoff")
    order.status, order.cancelled_at, order.cancelled_by = Order.Status.CANCELLED, now, by
    order.save(update_fields=["status", "cancelled_at", "cancelled_by"])
    return order


# Meals --------------------------------------------------------------------------------------------

class Refused(Exception):
    def __init__(self, message: str, code: str):
        super().__init__(message)
        self.message, self.code = message, code


def period_bounds(day: dt.date) -> tuple[dt.date, dt.date]:
    """The settlement period (month or quarter, LINLI_CANTEEN_SETTLEMENT_PERIOD) holding `day`."""
    if settlement_period() == "quarter":
        first = dt.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
        months = 3
    else:
        first, months = day.replace(day=1), 1
    y, m = divmod(first.month - 1 + months, 12)
    return first, dt.date(first.year + y, m + 1, 1) - dt.timedelta(days=1)


def is_settled(canteen_id: int, day: dt.date) -> bool:
    return Settlement.objects.filter(canteen_id=canteen_id, period_start__lte=day, period_end__gte=day).exists()


def subsidised_in_force(qs):
    """Subsidised meals that stand: not reversals, not reversed."""
    return qs.filter(subsidy__gt=0, reverses__isnull=True, reversed_by__isnull=True)


def _subsidy_for(diner: Diner, day: dt.date, slot: str, price: Decimal) -> tuple[Decimal, TierRule, str]:
    """The subsidy for this meal, with the Diner row locked by the caller; Refused if none is due."""
    found = elig.eligibility(diner=diner, day=day)
    if not found.eligible:
        raise Refused(_("%(name)s is not eligible for a subsidy: %(why)s") % {
            "name": diner.person.name, "why": " ".join(found.notes)}, "not_eligible")
    tier = found.tier
    if slot not in tier.slots:
        raise Refused(_("The tier “%(tier)s” does not subsidise this meal.") % {"tier": tier.name}, "slot")
    that_day = subsidised_in_force(Meal.objects.filter(diner=diner, date=day))
    if that_day.filter(slot=slot).exists():
        raise Refused(_("%(name)s has already had a subsidised meal at this slot today.") % {
            "name": diner.person.name}, "second_meal")
    if that_day.count() >= tier.meals_per_day:
        raise Refused(_("%(name)s has had today's subsidised meals (%(n)s).") % {
            "name": diner.person.name, "n": tier.meals_per_day}, "per_day")
    amount = min(tier.amount_per_meal, price)
    if tier.max_per_day is not None:
        used = that_day.aggregate(s=Sum("subsidy"))["s"] or ZERO
        amount = min(amount, tier.max_per_day - used)
    if amount <= 0:
        raise Refused(_("%(name)s has reached today's subsidy cap.") % {"name": diner.person.name}, "cap")
    return amount, tier, found.reason


def _record(*, canteen, diner, slot, served_at, by, method, price, subsidise, is_demo=False) -> Meal:
    day = timezone.localtime(served_at).date()
    if is_settled(canteen.pk, day):
        raise Refused(_("The period of %(d)s is settled; no meal can be added to it.") % {"d": day}, "settled")
    subsidy, tier, reason = ZERO, None, ""
    if diner is not None and subsidise:
        Diner.objects.select_for_update().order_by().get(pk=diner.pk)  # two counters at once: one waits
        subsidy, tier, reason = _subsidy_for(diner, day, slot, price)
    return Meal.objects.create(canteen=canteen, diner=diner, date=day, slot=slot, served_at=served_at,
                               recorded_at=timezone.now(), recorded_by=by, method=method, price=price,
                               subsidy=subsidy, paid=price - subsidy, tier=tier, tier_reason=reason,
                               booked_on=day, is_demo=is_demo)


def meal_serve(*, by, canteen: Canteen, slot: str, diner: Diner | None = None, subsidise: bool = True,
               method: str = Meal.Method.CARD, price: Decimal | None = None,
               served_at: dt.datetime | None = None) -> Meal:
    """Record a meal served at the counter; a diner's subsidy by their tier, at most one per slot. A
    walk-in (no diner, or subsidise=False) pays the full price. A refused subsidy leaves only a
    RefusedMeal row."""
    _require(can_run(by, canteen), _("Only the canteen's staff may serve meals here."))
    if slot not in canteen.slots:
        raise ValidationError({"slot": _("This canteen does not serve that meal.")})
    if method not in (Meal.Method.CARD, Meal.Method.SEARCH, Meal.Method.WALK_IN):
        raise ValidationError({"method": _("Unknown way of serving.")})
    if diner is None:
        method, subsidise = Meal.Method.WALK_IN, False
    price = canteen.meal_price if price is None else Decimal(price)
    if price < 0:
        raise ValidationError({"price": _("A price cannot be negative.")})
    served_at = served_at or timezone.now()
    try:
        with transaction.atomic():
            return _record(canteen=canteen, diner=diner, slot=slot, served_at=served_at, by=by, method=method,
                           price=price, subsidise=subsidise)
    except Refused as refused:
        RefusedMeal.objects.create(canteen=canteen, diner=diner, slot=slot, reason=refused.message[:200], by=by)
        raise _invalid("diner", refused.message, refused.code) from None


@transaction.atomic
def meal_reverse(*, by, meal: Meal, reason: str) -> Meal:
    """Reverse a meal record with a new record (negative amounts, the reason). A meal of a settled
    period is reversed in the current period, where the next settlement shows it as carried."""
    _require(can_run(by, meal.canteen), _("Only the canteen's staff may reverse meals."))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the meal is reversed.")})
    meal = Meal.objects.select_for_update().get(pk=meal.pk)
    if meal.is_reversal:
        raise ValidationError({"meal": _("A reversal cannot be reversed; record the meal again.")})
    if Meal.objects.filter(reverses=meal).exists():
        raise ValidationError({"meal": _("This meal is already reversed.")})
    today = timezone.localdate()
    booked = today if is_settled(meal.canteen_id, meal.booked_on) else meal.booked_on
    if is_settled(meal.canteen_id, booked):
        raise ValidationError({"meal": _("The current period is settled too; ask the county office.")})
    return Meal.objects.create(canteen=meal.canteen, diner=meal.diner, date=meal.date, slot=meal.slot,
                               served_at=meal.served_at, recorded_at=timezone.now(), recorded_by=by,
                               method=Meal.Method.REVERSAL, price=-meal.price, subsidy=-meal.subsidy,
                               paid=-meal.paid, tier=meal.tier, tier_reason=meal.tier_reason, reverses=meal,
                               reason=reason[:200], booked_on=booked)


# Home delivery ------------------------------------------------------------------------------------

def route_create(*, by, canteen: Canteen, name: str, volunteer=None) -> DeliveryRoute:
    _require(can_run(by, canteen), _("Only the canteen's staff may plan routes."))
    if not canteen.delivers:
        raise ValidationError({"canteen": _("This canteen does not deliver.")})
    return DeliveryRoute.objects.create(canteen=canteen, name=name.strip()[:60], volunteer=volunteer)


@transaction.atomic
def run_plan(*, by, route: DeliveryRoute, date: dt.date, slot: str = Slot.LUNCH, volunteer=None) -> DeliveryRun:
    """The day's delivery list of a route: its delivery diners in stop order, minus those who
    cancelled that meal; assigned to a volunteer (the route's usual one by default)."""
    _require(can_run(by, route.canteen), _("Only the canteen's staff may plan deliveries."))
    if slot not in route.canteen.slots:
        raise ValidationError({"slot": _("This canteen does not serve that meal.")})
    if DeliveryRun.objects.filter(route=route, date=date, slot=slot).exists():
        raise ValidationError({"date": _("This round is already planned.")})
    run = DeliveryRun.objects.create(route=route, date=date, slot=slot, volunteer=volunteer or route.volunteer)
    cancelled = set(Order.objects.filter(date=date, slot=slot, status=Order.Status.CANCELLED)
                    .exclude(diner__orders__date=date, diner__orders__slot=slot, diner__orders__status="placed")
                    .values_list("diner_id", flat=True))
    diners = route.diners.filter(delivery=True).exclude(pk__in=cancelled).order_by("route_order", "pk")
    Delivery.objects.bulk_create([Delivery(run=run, diner=d, stop=i + 1) for i, d in enumerate(diners)])
    return run


def _may_deliver(user, run: DeliveryRun) -> bool:
    own = run.volunteer_id is not None and run.volunteer.person.user_id == getattr(user, "pk", None)
    return own or can_run(user, run.route.canteen)


@transaction.atomic
def run_start(*, by, run: DeliveryRun, now: dt.datetime | None = None) -> DeliveryRun:
    _require(_may_deliver(by, run), _("This round is someone else's."))
    run = DeliveryRun.objects.select_for_update().get(pk=run.pk)
    if run.started_at is None:
        run.started_at = now or timezone.now()
        run.save(update_fields=["started_at"])
    return run


def on_delivery_missed(delivery: Delivery) -> None:
    """A meal was not handed over (nobody home, declined): the canteen's community staff are told at
    once (an elder who does not open the door may need someone to look in), and they see it on the
    canteen page until they mark it seen."""
    from linli.accounts.models import Role, User
    from linli.notifications.services import notify_all

    canteen = delivery.run.route.canteen
    staff = User.objects.filter(is_active=True, roles__kind=Role.Kind.COMMUNITY_STAFF,
                                roles__division=canteen.site.division).distinct()
    notify_all(recipients=staff, key="canteen.delivery_missed", dedup_key=f"canteen.delivery_missed:{delivery.pk}",
               obj=f"/canteen/{canteen.pk}/", params={
                   "canteen": canteen.name, "diner": delivery.diner.person.name,
                   "status": delivery.status, "round": delivery.run.route.name})


def delivery_confirm(*, by, run: DeliveryRun, diner: Diner, status: str, unwell: bool = False, note: str = "",
                     now: dt.datetime | None = None) -> Delivery:
    """One tap at the door. Delivered makes the meal record (subsidised by the diner's tier when due,
    else at full price); a missed one is shown to staff; looks unwell raises a concern."""
    _require(_may_deliver(by, run), _("This round is someone else's."))
    if status not in (Delivery.Status.DELIVERED, *Delivery.MISSED):
        raise ValidationError({"status": _("Choose delivered, nobody home or declined.")})
    now = now or timezone.now()
    with transaction.atomic():
        run = DeliveryRun.objects.select_for_update(of=("self",)).select_related("route__canteen", "volunteer").get(
            pk=run.pk)
        stop = Delivery.objects.select_for_update().filter(run=run, diner=diner).first()
        if stop is None:
            raise _invalid("diner", _("%(name)s is not on this round's list.") % {"name": diner.person.name},
                           "not_listed")
        if stop.status != Delivery.Status.PLANNED:
            raise ValidationError({"status": _("This stop is already confirmed.")})
        canteen = run.route.canteen
        if run.started_at is None:
            DeliveryRun.objects.filter(pk=run.pk, started_at__isnull=True).update(started_at=now)
            run.started_at = now
        if status == Delivery.Status.DELIVERED:
            try:
                with transaction.atomic():
                    stop.meal = _record(canteen=canteen, diner=diner, slot=run.slot, served_at=now, by=by,
                                        method=Meal.Method.DELIVERY, price=canteen.meal_price, subsidise=True)
            except Refused:
                stop.meal = _record(canteen=canteen, diner=diner, slot=run.slot, served_at=now, by=by,
                                    method=Meal.Method.DELIVERY, price=canteen.meal_price, subsidise=False)
        stop.status, stop.confirmed_at, stop.confirmed_by = status, now, by
        stop.unwell, stop.note = unwell, note.strip()[:300]
        if unwell:
            from linli.cases.services import concern_from_app

            text = _("Meal delivery %(d)s: %(name)s looks unwell.") % {"d": run.date, "name": diner.person.name}
            stop.concern = concern_from_app(by=by, person=diner.person,
                                            description=f"{text} {stop.note}".strip())
        stop.save()
        if not run.stops.filter(status=Delivery.Status.PLANNED).exists():
            _run_finish(run, by=by, now=now)
    if status in Delivery.MISSED:
        on_delivery_missed(stop)
    return stop


def _run_finish(run: DeliveryRun, *, by, now: dt.datetime) -> None:
    """The last stop confirmed: the round's time becomes the volunteer's pending service record."""
    from linli.volunteers import services as volunteer_services
    from linli.volunteers.models import ServiceRecord

    run.finished_at = now
    fields = ["finished_at"]
    start = run.started_at or now
    if run.volunteer_id is not None and now > start:
        hours = Decimal((now - start).total_seconds() / 3600).quantize(Decimal("0.01"), rounding="ROUND_DOWN")
        if hours > 0:
            run.service_record = volunteer_services.service_record_from(
                source=ServiceRecord.Source.CANTEEN, volunteer=run.volunteer, by=by, start=start, end=now,
                hours=hours, content=_("Meal delivery · %(route)s") % {"route": run.route.name})
            fields.append("service_record")
    run.save(update_fields=fields)


def delivery_seen(*, by, delivery: Delivery) -> Delivery:
    _require(can_run(by, delivery.run.route.canteen), _("Only the canteen's staff may do this."))
    delivery.seen_by_staff_at = timezone.now()
    delivery.save(update_fields=["seen_by_staff_at"])
    return delivery


# Food safety --------------------------------------------------------------------------------------

def health_check_record(*, by, canteen: Canteen, date: dt.date, worker: str, fever=False, diarrhoea=False,
                        sore_throat=False, skin_wound=False) -> HealthCheck:
    """A kitchen worker's morning check; any symptom means not on duty that day."""
    _require(can_run(by, canteen), _("Only the canteen's staff may do this."))
    worker = worker.strip()[:50]
    if not worker:
        raise ValidationError({"worker": _("Name the kitchen worker.")})
    on_duty = not (fever or diarrhoea or sore_throat or skin_wound)
    try:
        with transaction.atomic():
            return HealthCheck.objects.create(canteen=canteen, date=date, worker=worker, fever=fever,
                                              diarrhoea=diarrhoea, sore_throat=sore_throat, skin_wound=skin_wound,
                                              on_duty=on_duty, checked_by=by)
    except IntegrityError:
        raise ValidationError({"worker": _("This worker is already checked today.")}) from None


def sample_record(*, by, canteen: Canteen, date: dt.date, slot: str, dish_name: str, grams: int, keeper: str,
                  kept_at: dt.datetime | None = None, dish: MenuDish | None = None) -> Sample:
    """A retained sample: at least the set grams, kept by a named person, discardable after the set hours."""
    _require(can_run(by, canteen), _("Only the canteen's staff may do this."))
    errors = {}
    if grams < sample_min_grams():
        errors["grams"] = _("A sample weighs at least %(g)s g.") % {"g": sample_min_grams()}
    if not keeper.strip():
        errors["keeper"] = _("Name who kept the sample.")
    if slot not in Slot.values:
        errors["slot"] = _("Choose a meal.")
    if errors:
        raise ValidationError(errors)
    kept_at = kept_at or timezone.now()
    return Sample.objects.create(canteen=canteen, date=date, slot=slot, dish=dish,
                                 dish_name=(dish.name if dish else dish_name).strip()[:60], grams=grams,
                                 keeper=keeper.strip()[:50], kept_at=kept_at,
                                 discard_after=kept_at + dt.timedelta(hours=sample_keep_hours()), recorded_by=by)


def purchase_record(*, by, canteen: Canteen, date: dt.date, supplier: str, item: str, quantity: Decimal,
                    amount: Decimal, unit: str = "kg", supplier_licence: str = "", invoice: str = "") -> Purchase:
    _require(can_run(by, canteen), _("Only the canteen's staff may do this."))
    if not supplier.strip() or not item.strip():
        raise ValidationError({"supplier": _("Name the supplier and the item.")})
    if Decimal(quantity) <= 0 or Decimal(amount) < 0:
        raise ValidationError({"quantity": _("Give a quantity above zero and an amount of zero or more.")})
    return Purchase.objects.create(canteen=canteen, date=date, supplier=supplier.strip()[:100],
                                   supplier_licence=supplier_licence.strip()[:60], item=item.strip()[:100],
                                   quantity=quantity, unit=unit[:10], amount=amount, invoice=invoice.strip()[:60],
                                   recorded_by=by)


# Settlement ---------------------------------------------------------------------------------------

@transaction.atomic
def settlement_issue(*, by, canteen: Canteen, period_start: dt.date, now: dt.datetime | None = None) -> Settlement:
    """Issue the settlement of a finished period: its totals from the meal records booked in it and the
    anti-fraud findings of the moment; once only."""
    from . import selectors

    _require(can_run(by, canteen), _("Only the canteen's staff may issue its settlement."))
    now = now or timezone.now()
    first, last = period_bounds(period_start)
    Canteen.objects.select_for_update().get(pk=canteen.pk)
    if Settlement.objects.filter(canteen=canteen, period_start=first).exists():
        raise _invalid("period_start", _("This period is already settled; a settlement is issued once."), "reissue")
    if last >= timezone.localtime(now).date():
        raise ValidationError({"period_start": _("A period is settled after it ends.")})
    totals = selectors.settlement_totals(canteen=canteen, first=first, last=last)
    findings = selectors.fraud_checks(canteen=canteen, first=first, last=last)
    return Settlement.objects.create(
        canteen=canteen, period_start=first, period_end=last, meals=totals["meals"],
        subsidised_meals=totals["subsidised_meals"], subsidy=totals["subsidy"], paid=totals["paid"],
        by_tier=totals["by_tier"], carried=totals["carried"], findings=findings, issued_at=now, issued_by=by)
