"""Browser: an elder orders a meal on the phone; staff serve a diner at the counter by the card's QR
code (the phone camera opens the card's link); a volunteer confirms a delivery at the door and notes
that the elder looks unwell (a concern is raised). Both viewports (phone 390 px and desktop)."""

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from linli.canteen import services
from linli.canteen.models import Meal, Order
from linli.canteen.testing import canteen, county_user, diner, elder, staff_user, tiers, volunteer
from linli.canteen.views import card_code
from linli.cases.models import Case, ServiceItem
from linli.core.testing import UserFactory
from tests.e2e.conftest import login, shot


def _world(county):
    office = county_user(county["county"])
    staff = staff_user(county["A"], username="wang")
    c = canteen(county["A"], by=staff, name="东门孝老食堂")
    tiers(county["county"], by=office)
    return staff, c


def test_an_elder_orders_a_meal(page, county):
    staff, c = _world(county)
    user = UserFactory(username="grandma")
    d = diner(c, elder(county["A1"], age=81, user=user, tags=["dibao"]), by=staff)
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    services.dish_add(by=staff, canteen=c, date=tomorrow, slot="lunch", name="清蒸鲈鱼", options=["soft"])

    login(page, "grandma")
    page.goto("/canteen/")
    page.click("[data-testid=order-link]")
    page.fill("input[name=date]", tomorrow.isoformat())
    page.select_option("select[name=slot]", "lunch")
    shot(page, "canteen-order")
    page.click("[data-testid=order-submit]")
    page.wait_for_selector("[data-testid=my-meals]")
    assert Order.objects.get().diner == d
    assert "午餐" in page.inner_text("[data-testid=my-meals]")
    shot(page, "canteen-ordered")


def test_serving_at_the_counter_by_card(page, county):
    staff, c = _world(county)
    d = diner(c, elder(county["A1"], age=82, tags=["dibao"]), by=staff)
    login(page, "wang")
    page.goto(f"/canteen/card/{card_code(d)}/?slot=lunch")
    page.wait_for_selector("[data-testid=card-diner]")
    assert "60岁以上" in page.inner_text("[data-testid=tier]")
    shot(page, "canteen-card-scan")
    page.click("[data-testid=serve]")
    page.wait_for_selector(".messages")
    meal = Meal.objects.get()
    assert meal.diner == d and meal.subsidy == Decimal("15") and meal.method == "card"
    # A second tap for the same slot is refused and nothing more is recorded.
    page.goto(f"/canteen/card/{card_code(d)}/?slot=lunch")
    page.click("[data-testid=serve]")
    page.wait_for_selector(".messages")
    assert Meal.objects.count() == 1
    shot(page, "canteen-counter-refused")


def test_a_delivery_confirmed_at_the_door(page, county):
    staff, c = _world(county)
    vuser, vol = volunteer(county["A"], username="xiaoli")
    route = services.route_create(by=staff, canteen=c, name="一号线", volunteer=vol)
    d = diner(c, elder(county["A1"], age=86), by=staff, delivery=True, route=route)
    ServiceItem.objects.get_or_create(code="elderly-care", defaults={"name": "养老关怀", "kind": "concern"})
    run = services.run_plan(by=staff, route=route, date=timezone.localdate())

    login(page, "xiaoli")
    page.goto("/canteen/")
    page.click("[data-testid=my-round]")
    page.wait_for_selector(f"[data-testid=stop-{d.pk}]")
    page.check(f"[data-testid=stop-{d.pk}] input[name=unwell]")
    page.fill(f"[data-testid=stop-{d.pk}] input[name=note]", "说头晕，饭吃了一半")
    shot(page, "canteen-door")
    page.click(f"[data-testid=stop-{d.pk}] [data-testid=delivered]")
    page.wait_for_selector(f"[data-testid=stop-{d.pk}] [data-testid=status]")
    stop = run.stops.get()
    assert stop.status == "delivered" and stop.meal is not None and stop.unwell
    assert Case.objects.get().person == d.person
    shot(page, "canteen-delivered")
