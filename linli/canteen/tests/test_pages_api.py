"""Pages and API: staff pages render, out of scope is 404, the public menu needs no login and shows no
one, the card serves in one tap, the ledger is formula-safe, the API refuses bad input with 4xx."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.utils import timezone
from openpyxl import load_workbook
from rest_framework.test import APIClient

from linli.canteen import services
from linli.canteen.models import Meal
from linli.canteen.testing import diner, elder, staff_user, volunteer
from linli.canteen.views import card_code
from linli.core.models import AccessLog
from linli.core.testing import UserFactory
from linli.jobs.testing import export_via_job


@pytest.fixture
def setup(world):
    d = diner(world["canteen"], elder(world["A1"], age=80, tags=["dibao"]), by=world["staff"])
    return {**world, "diner": d}


PAGES = ["detail", "menu", "menu_edit", "counter", "diner_list", "diner_register", "kitchen", "deliveries", "safety",
         "settlement"]


def test_staff_pages_render_and_out_of_scope_is_404(client, setup):
    client.force_login(setup["staff"])
    for name in PAGES:
        assert client.get(f"/canteen/{setup['canteen'].pk}/{'' if name == 'detail' else _path(name)}").status_code == 200, name
    for url in ("/canteen/", f"/canteen/diners/{setup['diner'].pk}/", f"/canteen/diners/{setup['diner'].pk}/card/",
                "/canteen/tiers/"):
        assert client.get(url).status_code == 200, url
    client.force_login(staff_user(setup["B"]))
    assert client.get(f"/canteen/{setup['canteen'].pk}/counter/").status_code == 404
    assert client.get(f"/canteen/diners/{setup['diner'].pk}/").status_code == 404


def _path(name):
    return {"menu": "menu/", "menu_edit": "menu/edit/", "counter": "counter/", "diner_list": "diners/",
            "diner_register": "diners/new/", "kitchen": "kitchen/", "deliveries": "deliveries/", "safety": "safety/",
            "settlement": "settlement/"}[name]


def test_public_menu_needs_no_login_and_shows_no_one(client, setup):
    services.dish_add(by=setup["staff"], canteen=setup["canteen"], date=timezone.localdate(), slot="lunch",
                      name="番茄炒蛋", options=["soft"])
    page = client.get(f"/canteen/{setup['canteen'].pk}/menu/").content.decode()
    assert "番茄炒蛋" in page and setup["diner"].person.name not in page


def test_card_scan_serves_with_the_subsidy_in_one_tap(client, setup):
    client.force_login(setup["staff"])
    page = client.get(f"/canteen/card/{card_code(setup['diner'])}/")
    assert page.status_code == 200 and "60岁以上" in page.content.decode()
    client.post(f"/canteen/{setup['canteen'].pk}/counter/", {"diner": setup["diner"].pk, "slot": "lunch",
                                                            "method": "card", "subsidise": "1"})
    assert Meal.objects.get().subsidy == Decimal("15")
    assert AccessLog.objects.filter(model="canteen.Diner", action="view").exists()


def test_a_replaced_card_no_longer_works(client, setup):
    old = card_code(setup["diner"])
    services.diner_new_card(by=setup["staff"], diner=setup["diner"])
    client.force_login(setup["staff"])
    assert client.get(f"/canteen/card/{old}/").status_code == 404


def test_search_by_last_four_id_digits_uses_the_masked_copy(client, setup):
    client.force_login(setup["staff"])
    last4 = setup["diner"].person.id_number[-4:]  # what the elder says at the counter
    page = client.get(f"/canteen/{setup['canteen'].pk}/counter/", {"q": last4})
    assert setup["diner"].person.name in page.content.decode()
    log = AccessLog.objects.filter(action="search").latest("at")
    assert last4 not in log.query


def test_ledger_xlsx_keeps_formulas_as_text(client, setup):
    first = timezone.localdate().replace(day=1) - dt.timedelta(days=1)
    setup["diner"].person.name = "=HYPERLINK(1)"
    setup["diner"].person.save()
    services.meal_serve(by=setup["staff"], canteen=setup["canteen"], slot="lunch", diner=setup["diner"],
                        served_at=dt.datetime.combine(first, dt.time(12), tzinfo=timezone.get_current_timezone()))
    client.force_login(setup["staff"])
    _export, resp = export_via_job(client, f"/canteen/{setup['canteen'].pk}/settlement/",
                                   {"period": first.isoformat(), "format": "xlsx"})
    ws = load_workbook(io.BytesIO(resp.body)).active
    assert ws["D3"].value == "'=HYPERLINK(1)"


def test_elder_orders_from_the_order_page(client, setup):
    user = UserFactory()
    d = diner(setup["canteen"], elder(setup["A1"], age=75, user=user), by=setup["staff"])
    client.force_login(user)
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    resp = client.post("/canteen/order/", {"diner": d.pk, "date": tomorrow.isoformat(), "slot": "lunch"})
    assert resp.status_code == 302 and d.orders.count() == 1


def test_round_page_confirms_at_the_door(client, setup):
    vuser, vol = volunteer(setup["A"])
    route = services.route_create(by=setup["staff"], canteen=setup["canteen"], name="一号线", volunteer=vol)
    d = diner(setup["canteen"], elder(setup["A1"], age=85), by=setup["staff"], delivery=True, route=route)
    run = services.run_plan(by=setup["staff"], route=route, date=timezone.localdate())
    client.force_login(vuser)
    assert client.get(f"/canteen/rounds/{run.pk}/").status_code == 200
    client.post(f"/canteen/rounds/{run.pk}/", {"diner": d.pk, "status": "delivered"})
    assert run.stops.get().status == "delivered"


# API ----------------------------------------------------------------------------------------------

def test_api_serves_refuses_a_second_subsidy_and_never_changes_a_record(setup):
    api = APIClient()
    api.force_authenticate(setup["staff"])
    body = {"canteen": setup["canteen"].pk, "diner": setup["diner"].pk, "slot": "lunch"}
    first = api.post("/api/canteen/meals/", body, format="json")
    assert first.status_code == 201 and first.json()["subsidy"] == "15.00"
    second = api.post("/api/canteen/meals/", body, format="json")
    assert second.status_code == 400 and "diner" in second.json()
    assert api.patch(f"/api/canteen/meals/{first.json()['id']}/", {"price": "1"}, format="json").status_code == 405
    assert api.delete(f"/api/canteen/meals/{first.json()['id']}/").status_code == 405
    rev = api.post(f"/api/canteen/meals/{first.json()['id']}/reverse/", {"reason": "错刷"}, format="json")
    assert rev.status_code == 201 and rev.json()["subsidy"] == "-15.00"


def test_api_overlapping_tier_is_a_400(setup):
    api = APIClient()
    api.force_authenticate(setup["office"])
    resp = api.post("/api/canteen/tiers/", {"county": setup["county"].pk, "code": "age70", "name": "70+",
                                            "min_age": 70, "amount_per_meal": "5", "slots": ["lunch"],
                                            "valid_from": "2026-01-01"}, format="json")
    assert resp.status_code == 400 and "valid_from" in resp.json()


def test_api_diners_are_scoped_and_logged(setup):
    api = APIClient()
    api.force_authenticate(setup["staff"])
    resp = api.get("/api/canteen/diners/")
    assert [r["id"] for r in resp.json()["results"]] == [setup["diner"].pk]
    assert resp.json()["results"][0]["tier"]["code"] == "class1"
    api.force_authenticate(staff_user(setup["B"]))
    assert api.get("/api/canteen/diners/").json()["results"] == []
    assert api.get(f"/api/canteen/diners/{setup['diner'].pk}/").status_code == 404
