"""A home-service order shows the volunteer who accepted it where to go and whom to call (and nobody
else, and not after it closes; each view logged); dispute parties' phones are masked; every action's
message says what was done; the rating asks about the service; the withdraw block starts folded."""

import pytest

from linli.cases import services
from linli.cases.models import Kind
from linli.cases.tests.conftest import item, new_case
from linli.core.models import AccessLog


@pytest.fixture
def accepted(world):
    case = new_case(world, address="东门路8号3栋201", contact_phone="13812345678")
    services.case_dispatch(case=case, by=world["staff"], volunteer=world["volunteer"])
    services.case_accept(case=case, by=world["vol_user"])
    return case


def test_the_accepting_volunteer_sees_the_address_and_the_phone(client, world, accepted):
    client.force_login(world["vol_user"])
    html = client.get(f"/cases/{accepted.pk}/").content.decode()
    assert 'data-testid="doorstep"' in html and "东门路8号3栋201" in html and 'href="tel:13812345678"' in html
    assert AccessLog.objects.filter(user=world["vol_user"], model="cases.Case", object_ids=[accepted.pk],
                                    fields=["address", "contact_phone"]).exists()


def test_another_volunteer_of_the_team_does_not(client, world, accepted, county):
    from linli.core.testing import PersonFactory, UserFactory, grant
    from linli.volunteers.models import Volunteer

    user = grant(UserFactory(username="volunteer_a2"), "volunteer", world["A"])
    other = Volunteer.objects.create(person=PersonFactory(division=county["A1"], user=user), division=world["A"],
                                     number="SY-T-9")
    other.teams.add(world["team"])
    client.force_login(user)
    response = client.get(f"/cases/{accepted.pk}/")
    assert response.status_code == 404 or "13812345678" not in response.content.decode()


def test_not_before_accepting_nor_after_closing(client, world):
    case = new_case(world, contact_phone="13812345678")
    services.case_dispatch(case=case, by=world["staff"], volunteer=world["volunteer"])
    client.force_login(world["vol_user"])
    assert "13812345678" not in client.get(f"/cases/{case.pk}/").content.decode()
    services.case_accept(case=case, by=world["vol_user"])
    services.case_complete(case=case, by=world["vol_user"], report="已送到")
    services.case_close(case=case, by=world["staff"], answer="已办结", resolution="resolved")
    assert "13812345678" not in client.get(f"/cases/{case.pk}/").content.decode()


def test_dispute_parties_phones_are_masked(client, world):
    case = services.case_create(by=world["staff"], kind=Kind.DISPUTE, service=item("neighbour_dispute"),
                                division=world["A"], description="楼上漏水",
                                parties=[{"role": "applicant", "name": "张三", "phone": "13912345678"},
                                         {"role": "respondent", "name": "李四", "phone": "13787654321"}])
    client.force_login(world["staff"])
    html = client.get(f"/cases/{case.pk}/").content.decode()
    assert "13912345678" not in html and "139****5678" in html


def test_an_action_says_what_was_done(client, world):
    case = new_case(world)
    client.force_login(world["staff"])
    response = client.post(f"/cases/{case.pk}/dispatch/", {"volunteer": world["volunteer"].pk}, follow=True,
                           HTTP_ACCEPT_LANGUAGE="en")
    text = response.content.decode()
    assert "Dispatched: the handler has been told." in text and "Done." not in text


def test_the_rating_asks_about_the_service_and_withdraw_starts_folded(client, world):
    case = new_case(world)
    client.force_login(world["resident"])
    html = client.get(f"/cases/{case.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert '<details  data-action="withdraw">' in html or '<details data-action="withdraw">' in html
    services.case_dispatch(case=case, by=world["staff"], volunteer=world["volunteer"])
    services.case_accept(case=case, by=world["vol_user"])
    services.case_complete(case=case, by=world["vol_user"], report="已送到")
    html = client.get(f"/cases/{case.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "服务怎么样？" in html and "活动怎么样？" not in html
