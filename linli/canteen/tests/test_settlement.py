"""A settlement equals its meal records and is frozen once issued; each anti-fraud check finds what
it should and nothing else; the figures come from the records."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db.models import Sum
from django.utils import timezone

from linli.canteen import selectors, services
from linli.canteen.models import Meal, Settlement
from linli.canteen.testing import canteen, diner, elder
from linli.core.stats import figures
from linli.people import services as people_services

TZ = timezone.get_current_timezone


def at(day, hh=12, mm=0):
    return dt.datetime.combine(day, dt.time(hh, mm), tzinfo=TZ())


def last_month():
    end = timezone.localdate().replace(day=1) - dt.timedelta(days=1)
    return end.replace(day=1), end


def bare(*, canteen, diner, day, slot="lunch", subsidy=Decimal("5"), served=None, recorded=None, tier=None):
    """A meal record written by other means than the counter (what the checks are for)."""
    served = served or at(day)
    return Meal.objects.create(canteen=canteen, diner=diner, date=day, slot=slot, served_at=served,
                               recorded_at=recorded or served, method="card", price=Decimal("15"), subsidy=subsidy,
                               paid=Decimal("15") - subsidy, tier=tier, booked_on=day)


def test_settlement_totals_equal_the_meal_records_and_it_is_issued_once(world):
    c, staff = world["canteen"], world["staff"]
    first, last = last_month()
    d1 = diner(c, elder(world["A1"], age=80, tags=["dibao"]), by=staff)
    d2 = diner(c, elder(world["A1"], age=75), by=staff)
    m1 = services.meal_serve(by=staff, canteen=c, slot="lunch", diner=d1, served_at=at(first))
    services.meal_serve(by=staff, canteen=c, slot="lunch", diner=d2, served_at=at(first))
    services.meal_serve(by=staff, canteen=c, slot="lunch", diner=d2, served_at=at(first + dt.timedelta(days=1)))
    services.meal_serve(by=staff, canteen=c, slot="dinner", served_at=at(last))  # walk-in
    services.meal_reverse(by=staff, meal=m1, reason="重复刷卡")
    s = services.settlement_issue(by=staff, canteen=c, period_start=first)
    records = Meal.objects.filter(canteen=c, booked_on__range=(first, last))
    assert s.subsidy == records.aggregate(x=Sum("subsidy"))["x"] == Decimal("10")
    assert s.paid == records.aggregate(x=Sum("paid"))["x"] == Decimal("35")
    assert (s.meals, s.subsidised_meals) == (3, 2)
    tiers = {r["tier"]: r["meals"] for r in s.by_tier}
    assert tiers["一类"] == 0 and tiers["70岁以上"] == 2 and sum(tiers.values()) == 3
    with pytest.raises(ValidationError) as err:
        services.settlement_issue(by=staff, canteen=c, period_start=first)
    assert err.value.error_dict["period_start"][0].code == "reissue"
    assert Settlement.objects.count() == 1


def test_an_issued_period_is_frozen_and_later_reversals_go_to_the_next(world):
    c, staff = world["canteen"], world["staff"]
    first, last = last_month()
    d = diner(c, elder(world["A1"], age=80), by=staff)
    meal = services.meal_serve(by=staff, canteen=c, slot="lunch", diner=d, served_at=at(last))
    services.settlement_issue(by=staff, canteen=c, period_start=first)
    with pytest.raises(ValidationError):
        services.meal_serve(by=staff, canteen=c, slot="lunch", served_at=at(last - dt.timedelta(days=1)))
    rev = services.meal_reverse(by=staff, meal=meal, reason="补录错误")
    assert rev.booked_on == timezone.localdate()
    this_first, this_last = services.period_bounds(timezone.localdate())
    totals = selectors.settlement_totals(canteen=c, first=this_first, last=this_last)
    assert [x["reverses"] for x in totals["carried"]] == [meal.pk] and totals["subsidy"] == Decimal("-5")
    assert Settlement.objects.get().subsidy == Decimal("5")


def test_a_period_is_settled_after_it_ends(world):
    with pytest.raises(ValidationError):
        services.settlement_issue(by=world["staff"], canteen=world["canteen"], period_start=timezone.localdate())


# Anti-fraud: each check on a month with exactly one kind of problem --------------------------------

@pytest.fixture
def month(world):
    """A clean week of subsidised lunches served in hours and entered at once, for two diners."""
    c = canteen(world["A"], by=world["staff"], slot_hours={"lunch": ["11:00", "13:00"], "dinner": ["17:00", "18:30"]},
                name="东门孝老食堂")
    first, _ = last_month()
    diners = [diner(c, elder(world["A1"], age=80), by=world["staff"]) for _ in range(2)]
    for i in range(7):
        for d in diners:
            bare(canteen=c, diner=d, day=first + dt.timedelta(days=i), tier=world["age70"])
    return {"canteen": c, "first": first, "diners": diners}


def checks(month):
    first, last = last_month()
    return {f["check"]: f["meals"] for f in selectors.fraud_checks(canteen=month["canteen"], first=first, last=last)}


def test_a_clean_month_has_no_findings(world, month):
    assert checks(month) == {}


def test_meals_after_moving_out_or_death_are_found(world, month):
    d = month["diners"][0]
    people_services.membership_end(by=world["staff"], membership=d.person.memberships.get(),
                                   end_date=month["first"] + dt.timedelta(days=5))
    late = list(Meal.objects.filter(diner=d, date__gte=month["first"] + dt.timedelta(days=5)).values_list("pk", flat=True))
    assert checks(month) == {"after_exit": sorted(late)}


def test_more_subsidised_meals_than_slots_are_found(world, month):
    d, day = month["diners"][0], month["first"] + dt.timedelta(days=2)
    extra = bare(canteen=month["canteen"], diner=d, day=day, tier=world["age70"])
    both = sorted(Meal.objects.filter(diner=d, date=day).values_list("pk", flat=True))
    assert extra.pk in both and checks(month) == {"over_slots": both}


def test_meals_outside_opening_hours_are_found(world, month):
    odd = bare(canteen=month["canteen"], diner=None, day=month["first"] + dt.timedelta(days=10), subsidy=Decimal("0"),
               served=at(month["first"] + dt.timedelta(days=10), 15, 30))
    assert checks(month) == {"outside_hours": [odd.pk]}


def test_subsidised_meals_above_portions_cooked_are_found(world, month):
    day = month["first"] + dt.timedelta(days=3)
    dish = services.dish_add(by=world["staff"], canteen=month["canteen"], date=day, slot="lunch", name="土豆烧鸡")
    services.dish_portions(by=world["staff"], dish=dish, portions=1)
    ok_day = month["first"] + dt.timedelta(days=4)
    services.dish_portions(by=world["staff"], portions=5, dish=services.dish_add(
        by=world["staff"], canteen=month["canteen"], date=ok_day, slot="lunch", name="青菜"))
    assert checks(month) == {"over_portions": sorted(Meal.objects.filter(date=day).values_list("pk", flat=True))}


def test_one_diner_at_two_canteens_in_one_slot_is_found(world, month):
    d, day = month["diners"][1], month["first"] + dt.timedelta(days=1)
    bare(canteen=world["canteen"], diner=d, day=day, tier=world["age70"])
    here = Meal.objects.get(canteen=month["canteen"], diner=d, date=day)
    assert checks(month) == {"two_canteens": [here.pk]}


def test_records_entered_long_after_serving_are_found(world, month):
    day = month["first"] + dt.timedelta(days=12)
    late = bare(canteen=month["canteen"], diner=None, day=day, subsidy=Decimal("0"), served=at(day),
                recorded=at(day) + dt.timedelta(days=3))
    assert checks(month) == {"late_entry": [late.pk]}


def test_findings_are_kept_on_the_issued_settlement(world, month):
    day = month["first"] + dt.timedelta(days=12)
    bare(canteen=month["canteen"], diner=None, day=day, subsidy=Decimal("0"), recorded=at(day) + dt.timedelta(days=3))
    s = services.settlement_issue(by=world["staff"], canteen=month["canteen"], period_start=month["first"])
    assert [f["check"] for f in s.findings] == ["late_entry"]


# Figures ------------------------------------------------------------------------------------------

def test_figures_come_from_the_records(world):
    c, staff = world["canteen"], world["staff"]
    d = diner(c, elder(world["A1"], age=80), by=staff)
    elder(world["A2"], age=90)  # eligible, not a diner
    elder(world["A2"], age=50)  # not eligible
    elder(world["B1"], age=90)  # another community without a canteen
    services.meal_serve(by=staff, canteen=c, slot="lunch", diner=d)
    services.meal_serve(by=staff, canteen=c, slot="lunch")
    out = figures()["canteen"]
    assert out["canteens"] == 1 and out["diners"] == 1
    assert out["eligible_elders"] == 2 and out["diner_coverage_share"] == 0.5
    assert out["meals_last_30_days"] == 2 and out["subsidised_meals_share"] == 0.5
    assert out["food_safety_gaps_last_30_days"] == 1


def test_quarterly_settlement_periods(settings):
    settings.LINLI_CANTEEN_SETTLEMENT_PERIOD = "quarter"
    assert services.period_bounds(dt.date(2026, 5, 17)) == (dt.date(2026, 4, 1), dt.date(2026, 6, 30))
    assert services.period_bounds(dt.date(2026, 12, 31)) == (dt.date(2026, 10, 1), dt.date(2026, 12, 31))
    settings.LINLI_CANTEEN_SETTLEMENT_PERIOD = "month"
    assert services.period_bounds(dt.date(2026, 2, 3)) == (dt.date(2026, 2, 1), dt.date(2026, 2, 28))
