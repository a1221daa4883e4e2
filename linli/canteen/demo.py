"""The demo county's elderly canteens: a canteen at five of the centers' canteen rooms (a third of the
centers), the county's subsidy tiers as data (figures from the local examples in REFERENCES), several
hundred diners across tiers, this week's and next week's menus, a year of weekday meals, home
deliveries with their volunteers' hours, morning checks and samples with a few gaps, two settled
months, and two anti-fraud findings to show (a diner who moved out but kept eating subsidised; one
diner at two canteens in the same slot).

Through the services: the tiers, the canteens, the demo diners of the logins, the menus, the routes,
today's rounds, the settlements and the move-out. With bulk_create (the volume needs it, and the
services refuse the past where they should): the other diners and the year's meals, rounds, stops,
service records, checks and samples — the same records the services would write, with the subsidy
each diner's tier gives. Deterministic with the generator's rng.
"""

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from linli.accounts.models import User
from linli.divisions.models import Division
from linli.people import services as people_services
from linli.people.models import CareTag, Membership, Person
from linli.places.models import Room
from linli.volunteers.models import ServiceRecord, Volunteer

from . import services
from .eligibility import eligibility, rules_for
from .models import (
    Delivery,
    DeliveryRun,
    Diner,
    HealthCheck,
    Meal,
    Order,
    Purchase,
    Sample,
)

CANTEENS = 5
DINERS_PER_CANTEEN = 80
DISHES = [("红烧肉", ""), ("清蒸鲈鱼", "鱼"), ("番茄炒蛋", "蛋"), ("香菇炖鸡", ""), ("肉末豆腐", "大豆"),
          ("清炒时蔬", ""), ("冬瓜排骨汤", ""), ("小米南瓜粥", ""), ("土豆烧牛肉", ""), ("凉拌木耳", "")]
WORKERS = ["张师傅", "李阿姨", "王师傅"]
SUPPLIERS = [("上犹县城南农贸市场", "JY13607240001"), ("赣州绿源食品配送有限公司", "JY13607240088")]


def _at(day, hh, mm, tz):
    return dt.datetime.combine(day, dt.time(hh, mm), tzinfo=tz)


def extend(*, rng, logins):
    tz = timezone.get_current_timezone()
    today = timezone.localdate()
    county = Division.objects.get(code="360724")
    office = User.objects.get(username="county")

    # The county's tiers, as data the office can edit (Futian-like class 1, 80+, hukou 70+).
    tags = {t.code: t for t in CareTag.objects.all()}
    start = today.replace(year=today.year - 2, month=1, day=1)
    services.tier_rule_create(by=office, county=county, code="class1", name="一类（低保·独居·残疾）",
                              min_age=60, care_tags=[tags[c] for c in ("dibao", "living_alone_elderly", "disabled")
                                                     if c in tags],
                              amount_per_meal=Decimal("12"), valid_from=start, slots=["lunch", "dinner"],
                              meals_per_day=2, max_per_day=Decimal("20"))
    services.tier_rule_create(by=office, county=county, code="age80", name="80岁以上", min_age=80,
                              amount_per_meal=Decimal("8"), valid_from=start, slots=["lunch"])
    services.tier_rule_create(by=office, county=county, code="hukou70", name="户籍70岁以上", min_age=70,
                              residence="hukou", amount_per_meal=Decimal("5"), valid_from=start, slots=["lunch"])

    rooms = list(Room.objects.filter(function=Room.Function.CANTEEN, site__division__path__startswith=county.path,
                                     site__is_neighborhood_center=True)
                 .select_related("site__division").order_by("site__division__code", "site__name"))[:CANTEENS]
    canteens = []
    for i, room in enumerate(rooms):
        canteens.append(services.canteen_create(
            by=office, room=room, name=f"{room.site.division.name}孝老食堂", meal_price=Decimal("15"),
            slot_hours={"lunch": ["11:00", "13:00"], "dinner": ["17:00", "18:30"]},
            permit_number=f"JY1360724{i:04d}",
            permit_expires=today + dt.timedelta(days=20 if i == 1 else 400 + 30 * i), is_demo=True))

    # Diners: elders (60+) of each canteen's community, through bulk_create; the demo resident's
    # mother through the service (so "resident" orders for her as family).
    staff = User.objects.get(username="staff")
    resident = User.objects.get(username="resident")
    home = resident.person.memberships.filter(end_date__isnull=True).select_related("household").first()
    mother = people_services.person_create(by=staff, name="周桂英", household=home.household,
                                           relation=Membership.Relation.PARENT, sex="F",
                                           birth_date=today.replace(year=today.year - 83) - dt.timedelta(days=40),
                                           care_tags=[])
    first = canteens[0]
    taken = {mother.pk}
    services.diner_register(by=staff, canteen=first, person=mother, consent=True, hukou_local=True,
                            diet=["soft", "low_salt"], is_demo=True)
    rows = []
    now = timezone.now()
    cutoff = today.replace(year=today.year - 60)
    for c in canteens:
        com = c.site.division
        ids = list(Person.objects.filter(division__path__startswith=com.path, birth_date__lte=cutoff,
                                         diner__isnull=True).exclude(pk__in=taken)
                   .order_by("pk").values_list("pk", flat=True))
        rng.shuffle(ids)
        for pk in ids[:DINERS_PER_CANTEEN]:
            taken.add(pk)
            rows.append(Diner(person_id=pk, canteen=c, hukou_local=rng.random() < 0.8,
                              diet=rng.choice([[], [], ["soft"], ["low_salt"], ["diabetic"]]), consent_at=now,
                              consent_by=staff, consent_version=services.CONSENT_VERSION, is_demo=True))
    Diner.objects.bulk_create(rows)
    diners = list(Diner.objects.filter(canteen__in=canteens).select_related("person__division",
                                                                           "canteen__site__division")
                  .prefetch_related("person__care_tags", "person__memberships__household__division"))
    rules = rules_for(county, today)
    tier = {}
    for d in diners:
        d.person._canteen_memberships = sorted(d.person.memberships.all(), key=lambda m: (m.start_date, m.pk))
        found = eligibility(diner=d, day=today, rules=rules)
        tier[d.pk] = (found.tier, found.reason)
    by_canteen = {c.pk: [d for d in diners if d.canteen_id == c.pk] for c in canteens}

    # Routes: the demo volunteer rides the first canteen's route; eight delivery diners per canteen.
    vol = Volunteer.objects.filter(person__user__username="volunteer").first()
    others = list(Volunteer.objects.filter(division__path__startswith=county.path).exclude(
        pk=getattr(vol, "pk", None)).order_by("pk")[:CANTEENS])
    routes = []
    for i, c in enumerate(canteens):
        rider = vol if i == 0 and vol else (others[i] if i < len(others) else None)
        route = services.route_create(by=office, canteen=c, name="送餐一线", volunteer=rider)
        routes.append(route)
        stops = [d for d in by_canteen[c.pk] if d.person_id != mother.pk][:8]
        for n, d in enumerate(stops, start=1):
            d.delivery, d.route, d.route_order = True, route, n
        Diner.objects.bulk_update(stops, ["delivery", "route", "route_order"])

    # Menus for this week and next, through the service.
    monday = today - dt.timedelta(days=today.weekday())
    for c in canteens:
        for i in range(14):
            day = monday + dt.timedelta(days=i)
            for slot in ("lunch", "dinner"):
                for name, allergen in rng.sample(DISHES, 3):
                    services.dish_add(by=office, canteen=c, date=day, slot=slot, name=name, allergens=allergen,
                                      options=rng.choice([[], ["soft"], ["low_salt"], ["soft", "diabetic"]]))

    # A year of weekday meals, deliveries, checks and samples (bulk).
    first_day = today - dt.timedelta(days=365)
    meals, runs, checks, samples, purchases = [], [], [], [], []
    gap_days = {today - dt.timedelta(days=n) for n in (4, 11, 19)}
    sample_gap = {today - dt.timedelta(days=n) for n in (8, 23)}
    day = first_day
    while day < today:
        if day.weekday() < 5:
            for ci, c in enumerate(canteens):
                people = by_canteen[c.pk]
                delivered = {d.pk for d in people if d.delivery}
                for d in people:
                    if d.pk in delivered or rng.random() > 0.3:
                        continue
                    meals.append(_meal(c, d, day, "lunch", _at(day, 11, rng.randint(5, 55), tz), tier[d.pk]))
                    if rng.random() < 0.2:
                        meals.append(_meal(c, d, day, "dinner", _at(day, 17, rng.randint(5, 55), tz), tier[d.pk]))
                for _ in range(rng.randint(1, 4)):
                    meals.append(_meal(c, None, day, "lunch", _at(day, 12, rng.randint(0, 50), tz), (None, "")))
                runs.append((routes[ci], day))
                if not (ci == 2 and day in gap_days):
                    checks += [HealthCheck(canteen=c, date=day, worker=w, checked_by=office) for w in WORKERS]
                if not (ci == 3 and day in sample_gap):
                    kept = _at(day, 11, 40, tz)
                    samples += [Sample(canteen=c, date=day, slot="lunch", dish_name=n, grams=rng.randint(125, 160),
                                       kept_at=kept, keeper=WORKERS[0], discard_after=kept + dt.timedelta(hours=48),
                                       recorded_by=office) for n, _ in rng.sample(DISHES, 2)]
                if day.weekday() == 0:
                    sup, lic = rng.choice(SUPPLIERS)
                    purchases.append(Purchase(canteen=c, date=day, supplier=sup, supplier_licence=lic, item="大米",
                                              quantity=Decimal("50"), unit="kg", amount=Decimal("160"),
                                              invoice=f"NO{day:%Y%m%d}{ci}", recorded_by=office))
        day += dt.timedelta(days=1)
    HealthCheck.objects.bulk_create(checks, batch_size=2000)
    Sample.objects.bulk_create(samples, batch_size=2000)
    Purchase.objects.bulk_create(purchases)
    _rounds(runs, tier, tz, rng, office)
    Meal.objects.bulk_create(meals, batch_size=2000)

    # Two anti-fraud findings in last month: a diner who moved out but kept being served, and one
    # diner served at two canteens in the same slot.
    last_end = today.replace(day=1) - dt.timedelta(days=1)
    last_start = last_end.replace(day=1)
    eligible = [d for d in by_canteen[canteens[1].pk] if tier[d.pk][0] is not None and not d.delivery]
    if eligible:
        mover = eligible[0]
        ms = mover.person.memberships.filter(end_date__isnull=True).first()
        if ms is not None:
            moved = last_start + dt.timedelta(days=9)
            people_services.membership_end(by=office, membership=ms, end_date=moved)
            extra = [_meal(canteens[1], mover, d, "lunch", _at(d, 11, 30, tz), tier[mover.pk])
                     for d in (moved + dt.timedelta(days=k) for k in (1, 2, 3))
                     if not Meal.objects.filter(diner=mover, date=d, slot="lunch").exists()]
            Meal.objects.bulk_create(extra)
    twice = next((d for d in by_canteen[canteens[0].pk] if tier[d.pk][0] is not None and not d.delivery
                  and d.person_id != mother.pk), None)
    if twice is not None:
        day = last_start + dt.timedelta(days=14)
        for c in canteens[:2]:
            if not Meal.objects.filter(diner=twice, date=day, slot="lunch", canteen=c).exists():
                Meal.objects.bulk_create([_meal(c, twice, day, "lunch", _at(day, 11, 45, tz), tier[twice.pk])])

    # Settlements of the two months before this one, through the service (with their checks).
    for c in canteens:
        for period_start in (last_start.replace(day=1) - dt.timedelta(days=1), last_start):
            services.settlement_issue(by=office, canteen=c, period_start=period_start.replace(day=1))

    # Today: orders for tomorrow (the resident orders for her mother), today's round for the volunteer.
    tomorrow = today + dt.timedelta(days=1)
    mother_diner = Diner.objects.get(person=mother)
    services.order_place(by=resident, diner=mother_diner, date=tomorrow, slot="lunch",
                         dish=first.dishes.filter(date=tomorrow, slot="lunch").first())
    orders = [Order(diner=d, canteen=d.canteen, date=tomorrow, slot="lunch", channel=Order.Channel.STAFF,
                    placed_by=staff, delivery=d.delivery)
              for d in diners if d.pk != mother_diner.pk and rng.random() < 0.3]
    Order.objects.bulk_create(orders)
    for route in routes:
        services.run_plan(by=office, route=route, date=today)
    # A refused attempt at the counter today, visible to staff.
    not_eligible = next((d for d in by_canteen[canteens[0].pk] if tier[d.pk][0] is None), None)
    if not_eligible is not None:
        try:
            services.meal_serve(by=staff, canteen=first, slot="lunch", diner=not_eligible,
                                served_at=_at(today, 11, 30, tz) if timezone.localtime().time() > dt.time(11, 30)
                                else timezone.now())
        except Exception:  # noqa: BLE001 - the refusal is the point: it leaves a RefusedMeal row
            pass


def _meal(canteen, diner, day, slot, served, tier_reason):
    tier, reason = tier_reason
    price = canteen.meal_price
    subsidy = Decimal(0)
    if tier is not None and slot in tier.slots:
        subsidy = min(tier.amount_per_meal, price)
    return Meal(canteen=canteen, diner=diner, date=day, slot=slot, served_at=served,
                recorded_at=served + dt.timedelta(minutes=1), method="card" if diner else "walk_in", price=price,
                subsidy=subsidy, paid=price - subsidy, tier=tier if subsidy else None,
                tier_reason=reason if subsidy else "", booked_on=day, is_demo=True)


def _rounds(runs, tier, tz, rng, office):
    """The past year's delivery rounds: stops, delivered meals, a few missed ones, the hours."""
    made = DeliveryRun.objects.bulk_create([DeliveryRun(route=r, date=d, slot="lunch", volunteer=r.volunteer,
                                                        started_at=_at(d, 11, 0, tz), finished_at=_at(d, 11, 50, tz))
                                            for r, d in runs], batch_size=2000)
    stops_of = {}
    for d in Diner.objects.filter(delivery=True).select_related("canteen").order_by("route_order"):
        stops_of.setdefault(d.route_id, []).append(d)
    stops, records, with_record = [], [], []
    delivered_meals = []
    for run in made:
        for d in stops_of.get(run.route_id, []):
            status = Delivery.Status.DELIVERED if rng.random() > 0.04 else rng.choice(Delivery.MISSED)
            at = _at(run.date, 11, 5 + 5 * d.route_order, tz)
            meal = _meal(d.canteen, d, run.date, "lunch", at, tier[d.pk]) if status == "delivered" else None
            if meal is not None:
                meal.method = "delivery"
                delivered_meals.append(meal)
            stops.append((Delivery(run=run, diner=d, stop=d.route_order, status=status, confirmed_at=at,
                                   seen_by_staff_at=at), meal))
        if run.volunteer_id:
            records.append(ServiceRecord(volunteer_id=run.volunteer_id, content="送餐上门 · 送餐一线",
                                         start=run.started_at, end=run.finished_at, hours=Decimal("0.83"),
                                         source=ServiceRecord.Source.CANTEEN, status=ServiceRecord.Status.CONFIRMED,
                                         recorded_by=office, verified_by=office,
                                         verified_at=run.finished_at + dt.timedelta(days=1)))
            with_record.append(run)
    Meal.objects.bulk_create(delivered_meals, batch_size=2000)
    for delivery, meal in stops:
        delivery.meal = meal
    Delivery.objects.bulk_create([s for s, _ in stops], batch_size=2000)
    ServiceRecord.objects.bulk_create(records, batch_size=2000)
    for run, record in zip(with_record, records, strict=True):
        run.service_record = record
    DeliveryRun.objects.bulk_update(with_record, ["service_record"], batch_size=2000)
