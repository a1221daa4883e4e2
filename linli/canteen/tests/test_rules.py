"""The canteen's rules: tiers derived from the register, orders and the cut-off, one subsidised meal
per slot, records that are only reversed, deliveries at the door, food safety."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import override_settings
from django.utils import timezone

from linli.canteen import services
from linli.canteen.eligibility import eligibility
from linli.canteen.models import Delivery, HealthCheck, Meal, Order, RefusedMeal
from linli.canteen.selectors import food_safety_gaps, kitchen_counts, missed_deliveries
from linli.canteen.testing import diner, elder, staff_user, volunteer
from linli.cases.models import Case, ServiceItem
from linli.core.testing import UserFactory
from linli.people import services as people_services
from linli.volunteers.models import ServiceRecord

TZ = timezone.get_current_timezone


def at(day, hh=12, mm=0):
    return dt.datetime.combine(day, dt.time(hh, mm), tzinfo=TZ())


# Tiers from the register --------------------------------------------------------------------------

def test_tier_is_derived_with_its_reason(world):
    d = diner(world["canteen"], elder(world["A1"], age=82, tags=["dibao"]), by=world["staff"])
    found = eligibility(diner=d, day=timezone.localdate())
    assert found.tier == world["class1"] and found.reason == "60岁以上 · 低保户"


def test_age_only_tier_and_none_below_it(world):
    old = diner(world["canteen"], elder(world["A1"], age=72), by=world["staff"])
    young = diner(world["canteen"], elder(world["A1"], age=65), by=world["staff"])
    today = timezone.localdate()
    assert eligibility(diner=old, day=today).tier == world["age70"]
    assert eligibility(diner=young, day=today).tier is None


def test_a_birthday_starts_the_tier_on_that_day(world):
    today = timezone.localdate()
    tomorrow = today + dt.timedelta(days=1)
    person = elder(world["A1"], born=tomorrow.replace(year=tomorrow.year - 70))
    d = diner(world["canteen"], person, by=world["staff"])
    assert eligibility(diner=d, day=today).tier is None
    assert eligibility(diner=d, day=tomorrow).tier == world["age70"]


def test_a_new_care_tag_changes_the_tier(world):
    person = elder(world["A1"], age=72)
    d = diner(world["canteen"], person, by=world["staff"])
    assert eligibility(diner=d, day=timezone.localdate()).tier == world["age70"]
    person.care_tags.add(world["class1"].care_tags.get(code="living_alone_elderly"))
    d = type(d).objects.get(pk=d.pk)
    assert eligibility(diner=d, day=timezone.localdate()).tier == world["class1"]


def test_moving_out_or_dying_ends_eligibility_from_that_day(world):
    person = elder(world["A1"], age=85)
    d = diner(world["canteen"], person, by=world["staff"])
    today = timezone.localdate()
    people_services.membership_end(by=world["staff"], membership=person.memberships.get(), end_date=today)
    d = type(d).objects.get(pk=d.pk)
    assert eligibility(diner=d, day=today - dt.timedelta(days=1)).tier == world["age70"]
    found = eligibility(diner=d, day=today)
    assert found.tier is None and found.left_register_on == today


def test_hukou_tier_needs_the_hukou_recorded(world):
    services.tier_rule_create(by=world["office"], county=world["county"], code="hukou60", name="户籍60岁以上",
                              min_age=60, residence="hukou", amount_per_meal=Decimal("3"),
                              valid_from=dt.date(2020, 1, 1), slots=["lunch"])
    local = diner(world["canteen"], elder(world["A1"], age=62), by=world["staff"], hukou_local=True)
    other = diner(world["canteen"], elder(world["A1"], age=62), by=world["staff"])
    today = timezone.localdate()
    assert eligibility(diner=local, day=today).tier.code == "hukou60"
    assert eligibility(diner=other, day=today).tier is None


def test_tier_rules_of_one_tier_never_overlap(world):
    with pytest.raises(ValidationError) as err:
        services.tier_rule_create(by=world["office"], county=world["county"], code="age70", name="70岁以上",
                                  min_age=70, amount_per_meal=Decimal("6"), valid_from=dt.date(2025, 1, 1))
    assert "valid_from" in err.value.message_dict
    assert world["county"].canteen_tiers.filter(code="age70").count() == 1
    services.tier_rule_end(by=world["office"], rule=world["age70"], valid_to=dt.date(2024, 12, 31))
    services.tier_rule_create(by=world["office"], county=world["county"], code="age70", name="70岁以上",
                              min_age=70, amount_per_meal=Decimal("6"), valid_from=dt.date(2025, 1, 1))
    assert world["county"].canteen_tiers.filter(code="age70").count() == 2


def test_only_the_county_office_sets_tiers(world):
    with pytest.raises(PermissionDenied):
        services.tier_rule_create(by=world["staff"], county=world["county"], code="x", name="x",
                                  amount_per_meal=Decimal("1"), valid_from=dt.date(2030, 1, 1))


def test_registration_needs_consent_and_the_register(world):
    person = elder(world["A1"], age=80)
    with pytest.raises(ValidationError):
        services.diner_register(by=world["staff"], canteen=world["canteen"], person=person, consent=False)
    stranger = staff_user(world["B"])
    with pytest.raises(PermissionDenied):
        services.diner_register(by=stranger, canteen=world["canteen"], person=person, consent=True)
    assert not hasattr(type(person).objects.get(pk=person.pk), "diner") or True
    d = diner(world["canteen"], person, by=world["staff"])
    assert d.consent_at and d.consent_by == world["staff"]


# Orders -------------------------------------------------------------------------------------------

@override_settings(LINLI_CANTEEN_ORDER_CUTOFF="09:30")
def test_orders_close_at_the_cutoff_on_the_day(world):
    user = UserFactory()
    d = diner(world["canteen"], elder(world["A1"], age=80, user=user), by=world["staff"])
    today = timezone.localdate()
    services.order_place(by=user, diner=d, date=today, slot="lunch", now=at(today, 9, 0))
    with pytest.raises(ValidationError) as err:
        services.order_place(by=user, diner=d, date=today, slot="dinner", now=at(today, 9, 31))
    assert err.value.error_dict["date"][0].code == "cutoff"
    assert Order.objects.filter(diner=d).count() == 1


@override_settings(LINLI_CANTEEN_ORDER_CUTOFF="09:30")
def test_cancel_only_before_the_cutoff(world):
    user = UserFactory()
    d = diner(world["canteen"], elder(world["A1"], age=80, user=user), by=world["staff"])
    today = timezone.localdate()
    tomorrow = today + dt.timedelta(days=1)
    o1 = services.order_place(by=user, diner=d, date=today, slot="lunch", now=at(today, 8))
    o2 = services.order_place(by=user, diner=d, date=tomorrow, slot="lunch", now=at(today, 8))
    with pytest.raises(ValidationError):
        services.order_cancel(by=user, order=o1, now=at(today, 10))
    services.order_cancel(by=user, order=o2, now=at(today, 10))
    assert Order.objects.get(pk=o1.pk).status == "placed" and Order.objects.get(pk=o2.pk).status == "cancelled"


def test_family_staff_and_grid_worker_may_order_a_stranger_may_not(world):
    from linli.accounts.models import Role
    from linli.core.testing import PersonFactory, grant

    person = elder(world["A1"], age=80)
    d = diner(world["canteen"], person, by=world["staff"])
    son = UserFactory()
    PersonFactory(division=world["A1"], user=son, with_id=False)
    from linli.people.models import Membership
    Membership.objects.create(person=son.person, household=person.memberships.get().household, relation="child",
                              start_date=dt.date(2000, 1, 1))
    grid = grant(UserFactory(), Role.Kind.GRID_WORKER, world["A1"])
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    assert services.order_place(by=son, diner=d, date=tomorrow, slot="lunch").channel == "family"
    assert services.order_place(by=grid, diner=d, date=tomorrow, slot="dinner").channel == "grid"
    with pytest.raises(PermissionDenied):
        services.order_place(by=UserFactory(), diner=d, date=tomorrow + dt.timedelta(days=1), slot="lunch")


def test_kitchen_counts_per_dish_and_forecast_walk_ins(world):
    c, staff = world["canteen"], world["staff"]
    today = timezone.localdate()
    for weeks in (1, 2):  # two walk-ins a week ago and two weeks ago, no orders then
        for _ in range(2):
            services.meal_serve(by=staff, canteen=c, slot="lunch", served_at=at(today - dt.timedelta(days=7 * weeks)))
    tomorrow = today + dt.timedelta(days=1)
    dish = services.dish_add(by=staff, canteen=c, date=tomorrow, slot="lunch", name="清蒸鱼")
    for age in (80, 81, 82):
        d = diner(c, elder(world["A1"], age=age), by=staff)
        services.order_place(by=staff, diner=d, date=tomorrow, slot="lunch", dish=dish)
    lunch = next(r for r in kitchen_counts(canteen=c, day=tomorrow) if r["slot"] == "lunch")
    assert lunch["dishes"] == [("清蒸鱼", 3)] and lunch["ordered"] == 3
    # Over the last four same weekdays: 0 (tomorrow-7 is not a served day), ... the mean of extras.
    past = [tomorrow - dt.timedelta(days=7 * i) for i in range(1, 5)]
    served = [2 if d in (today - dt.timedelta(days=7), today - dt.timedelta(days=14)) else 0 for d in past]
    assert lunch["walk_in_forecast"] == round(sum(served) / 4)


# Meals --------------------------------------------------------------------------------------------

def test_one_subsidised_meal_per_slot(world):
    d = diner(world["canteen"], elder(world["A1"], age=80, tags=["dibao"]), by=world["staff"])
    meal = services.meal_serve(by=world["staff"], canteen=world["canteen"], slot="lunch", diner=d)
    assert (meal.subsidy, meal.paid, meal.tier_reason) == (Decimal("15"), Decimal("0"), "60岁以上 · 低保户")
    with pytest.raises(ValidationError) as err:
        services.meal_serve(by=world["staff"], canteen=world["canteen"], slot="lunch", diner=d)
    assert err.value.error_dict["diner"][0].code == "second_meal"
    assert Meal.objects.count() == 1 and RefusedMeal.objects.filter(diner=d).count() == 1


def test_a_walk_in_pays_the_full_price_any_number_of_times(world):
    d = diner(world["canteen"], elder(world["A1"], age=80), by=world["staff"])
    services.meal_serve(by=world["staff"], canteen=world["canteen"], slot="lunch", diner=d)
    extra = services.meal_serve(by=world["staff"], canteen=world["canteen"], slot="lunch", diner=d, subsidise=False)
    anon = services.meal_serve(by=world["staff"], canteen=world["canteen"], slot="lunch")
    assert extra.subsidy == 0 and extra.paid == Decimal("15") and anon.method == "walk_in"


def test_no_subsidy_for_someone_not_eligible_and_nothing_recorded(world):
    d = diner(world["canteen"], elder(world["A1"], age=62), by=world["staff"])
    with pytest.raises(ValidationError) as err:
        services.meal_serve(by=world["staff"], canteen=world["canteen"], slot="lunch", diner=d)
    assert err.value.error_dict["diner"][0].code == "not_eligible"
    assert not Meal.objects.exists() and RefusedMeal.objects.get().diner == d


def test_no_subsidy_outside_the_tiers_slots(world):
    d = diner(world["canteen"], elder(world["A1"], age=80), by=world["staff"])
    with pytest.raises(ValidationError):
        services.meal_serve(by=world["staff"], canteen=world["canteen"], slot="dinner", diner=d)
    assert not Meal.objects.exists()


def test_meal_records_are_never_edited_or_deleted_only_reversed(world):
    d = diner(world["canteen"], elder(world["A1"], age=80), by=world["staff"])
    meal = services.meal_serve(by=world["staff"], canteen=world["canteen"], slot="lunch", diner=d)
    meal.price = Decimal("1")
    with pytest.raises(ValidationError):
        meal.save()
    with pytest.raises(ValidationError):
        meal.delete()
    with pytest.raises(ValidationError):
        services.meal_reverse(by=world["staff"], meal=meal, reason="")
    rev = services.meal_reverse(by=world["staff"], meal=meal, reason="刷错卡")
    assert (rev.subsidy, rev.reverses_id) == (Decimal("-5"), meal.pk)
    with pytest.raises(ValidationError):
        services.meal_reverse(by=world["staff"], meal=meal, reason="again")
    # The slot is free again for the right subsidised meal.
    services.meal_serve(by=world["staff"], canteen=world["canteen"], slot="lunch", diner=d)
    assert Meal.objects.count() == 3


def test_daily_cap_limits_the_subsidy(world):
    services.tier_rule_end(by=world["office"], rule=world["age70"], valid_to=dt.date(2020, 12, 31))
    services.tier_rule_create(by=world["office"], county=world["county"], code="age70", name="70岁以上", min_age=70,
                              amount_per_meal=Decimal("5"), max_per_day=Decimal("8"), meals_per_day=2,
                              valid_from=dt.date(2021, 1, 1), slots=["lunch", "dinner"])
    d = diner(world["canteen"], elder(world["A1"], age=80), by=world["staff"])
    assert services.meal_serve(by=world["staff"], canteen=world["canteen"], slot="lunch", diner=d).subsidy == 5
    assert services.meal_serve(by=world["staff"], canteen=world["canteen"], slot="dinner", diner=d).subsidy == 3


# Deliveries ---------------------------------------------------------------------------------------

@pytest.fixture
def round_(world):
    vuser, vol = volunteer(world["A"])
    route = services.route_create(by=world["staff"], canteen=world["canteen"], name="一号线", volunteer=vol)
    on = diner(world["canteen"], elder(world["A1"], age=85), by=world["staff"], delivery=True, route=route)
    off = diner(world["canteen"], elder(world["A1"], age=85), by=world["staff"])
    ServiceItem.objects.get_or_create(code="elderly-care", defaults={"name": "养老关怀", "kind": "concern"})
    run = services.run_plan(by=world["staff"], route=route, date=timezone.localdate())
    return {"vuser": vuser, "vol": vol, "route": route, "on": on, "off": off, "run": run}


def test_delivered_at_the_door_makes_the_meal_and_the_hours(world, round_):
    now = timezone.now()
    services.run_start(by=round_["vuser"], run=round_["run"], now=now - dt.timedelta(minutes=45))
    stop = services.delivery_confirm(by=round_["vuser"], run=round_["run"], diner=round_["on"], status="delivered",
                                     now=now)
    assert stop.meal.method == "delivery" and stop.meal.subsidy == Decimal("5")
    record = ServiceRecord.objects.get()
    assert record.source == ServiceRecord.Source.CANTEEN and record.hours == Decimal("0.75")
    assert record.status == ServiceRecord.Status.PENDING


def test_a_delivery_to_a_diner_not_on_the_list_is_refused(world, round_):
    with pytest.raises(ValidationError) as err:
        services.delivery_confirm(by=round_["vuser"], run=round_["run"], diner=round_["off"], status="delivered")
    assert err.value.error_dict["diner"][0].code == "not_listed"
    assert not Meal.objects.exists()


def test_looks_unwell_raises_a_concern_and_missed_is_shown_to_staff(world, round_):
    stop = services.delivery_confirm(by=round_["vuser"], run=round_["run"], diner=round_["on"],
                                     status="nobody_home", unwell=True, note="敲门无人应，邻居说昨天咳嗽")
    case = Case.objects.get()
    assert stop.concern == case and case.kind == "concern" and case.person == round_["on"].person
    assert case.division == world["A"]
    assert list(missed_deliveries(canteen=world["canteen"], since=timezone.localdate())) == [stop]
    services.delivery_seen(by=world["staff"], delivery=stop)
    assert not missed_deliveries(canteen=world["canteen"], since=timezone.localdate()).exists()


def test_a_stop_is_confirmed_once(world, round_):
    services.delivery_confirm(by=round_["vuser"], run=round_["run"], diner=round_["on"], status="declined")
    with pytest.raises(ValidationError):
        services.delivery_confirm(by=round_["vuser"], run=round_["run"], diner=round_["on"], status="delivered")
    assert Delivery.objects.get().status == "declined" and not Meal.objects.exists()


def test_someone_elses_round_cannot_be_confirmed(world, round_):
    other, _ = volunteer(world["A"])
    with pytest.raises(PermissionDenied):
        services.delivery_confirm(by=other, run=round_["run"], diner=round_["on"], status="delivered")


# Food safety --------------------------------------------------------------------------------------

def test_a_symptom_at_the_morning_check_means_off_duty(world):
    today = timezone.localdate()
    ok = services.health_check_record(by=world["staff"], canteen=world["canteen"], date=today, worker="张师傅")
    sick = services.health_check_record(by=world["staff"], canteen=world["canteen"], date=today, worker="李阿姨",
                                        sore_throat=True)
    assert ok.on_duty and not sick.on_duty
    assert HealthCheck.objects.filter(on_duty=False).count() == 1


def test_a_sample_weighs_125_g_and_is_kept_48_hours(world):
    today = timezone.localdate()
    with pytest.raises(ValidationError):
        services.sample_record(by=world["staff"], canteen=world["canteen"], date=today, slot="lunch",
                               dish_name="红烧肉", grams=100, keeper="张师傅")
    kept = timezone.now()
    s = services.sample_record(by=world["staff"], canteen=world["canteen"], date=today, slot="lunch",
                               dish_name="红烧肉", grams=130, keeper="张师傅", kept_at=kept)
    assert s.discard_after - kept == dt.timedelta(hours=48)


def test_a_served_day_without_check_or_sample_is_a_gap(world):
    today = timezone.localdate()
    yesterday = today - dt.timedelta(days=1)
    for day in (yesterday, today):
        services.meal_serve(by=world["staff"], canteen=world["canteen"], slot="lunch", served_at=at(day))
    services.health_check_record(by=world["staff"], canteen=world["canteen"], date=today, worker="张师傅")
    services.sample_record(by=world["staff"], canteen=world["canteen"], date=today, slot="lunch", dish_name="饭",
                           grams=150, keeper="张师傅")
    services.health_check_record(by=world["staff"], canteen=world["canteen"], date=yesterday, worker="张师傅")
    assert food_safety_gaps(canteen=world["canteen"], first=yesterday, last=today) == [
        {"date": yesterday, "missing": ["sample"]}]


def test_a_missed_delivery_tells_the_canteens_community_staff_at_once(world, round_, make_user):
    from linli.accounts.models import Role
    from linli.notifications.models import Notification

    elsewhere = make_user(Role.Kind.COMMUNITY_STAFF, world["B"])
    stop = services.delivery_confirm(by=round_["vuser"], run=round_["run"], diner=round_["on"], status="declined")
    (note,) = Notification.objects.filter(key="canteen.delivery_missed")
    assert note.recipient == world["staff"] and round_["on"].person.name in note.subject
    assert not Notification.objects.filter(recipient=elsewhere).exists()
    assert stop.status == "declined"
