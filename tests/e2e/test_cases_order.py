"""A resident orders a service from their phone, follows it, and rates it when it is done."""

import pytest

from linli.accounts.models import Role
from linli.cases import services
from linli.cases.models import Case
from linli.cases.tests.conftest import _reseed
from linli.core.testing import PersonFactory, UserFactory, grant
from linli.volunteers.models import Team, Volunteer
from tests.e2e.conftest import login, shot


@pytest.fixture
def people(county):
    _reseed()
    resident = grant(UserFactory(username="jumin"), Role.Kind.RESIDENT, county["A1"])
    PersonFactory(division=county["A1"], user=resident)
    staff = grant(UserFactory(username="shegong"), Role.Kind.COMMUNITY_STAFF, county["A"])
    vol_user = grant(UserFactory(username="zhiyuanzhe"), Role.Kind.VOLUNTEER, county["A"])
    vol = Volunteer.objects.create(person=PersonFactory(division=county["A2"], user=vol_user), division=county["A"],
                                   number="SY-E2E")
    team = Team.objects.get(code="party_member")
    vol.teams.add(team)
    return {"resident": resident, "staff": staff, "vol_user": vol_user, "team": team}


def test_resident_orders_follows_and_rates(page, people):
    login(page, "jumin")
    page.goto("/cases/")
    page.click("[data-testid=order-service]")                      # tap 1
    page.click("label:has-text('代购代办')")                          # tap 2
    with page.expect_navigation():
        page.click("[data-testid=case-form] button[type=submit]")  # tap 3
    assert "/cases/" in page.url and page.locator("[data-testid=timeline]").is_visible()
    case = Case.objects.get()
    assert (case.kind, case.service.code, case.status) == ("order", "errand", "new")

    services.case_dispatch(case=case, by=people["staff"], team=people["team"])
    services.case_accept(case=case, by=people["vol_user"])
    services.case_complete(case=case, by=people["vol_user"], report="米和油已送到家")

    page.reload()
    assert page.locator("text=米和油已送到家").first.is_visible()
    page.check("input[name=rating][value='5']")
    page.fill("input[name=comment]", "很及时，谢谢志愿者")
    with page.expect_navigation():
        page.click("[data-testid=do-rate]")
    assert page.locator("[data-testid=rating]").inner_text().startswith("★★★★★")
    shot(page, "case-order")
    case.refresh_from_db()
    assert (case.status, case.rating) == ("closed", 5)
