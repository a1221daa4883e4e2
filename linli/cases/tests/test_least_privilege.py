"""Least privilege for volunteers: an order is theirs to see while it is offered to them (to them, or
to their team while nobody has taken it) and once they took it; not a team order another volunteer
took or closed."""

from django.urls import reverse
from rest_framework.test import APIClient

from linli.accounts.models import Role
from linli.cases import services
from linli.cases.models import Case
from linli.cases.tests.conftest import new_case
from linli.core.testing import PersonFactory, UserFactory, grant
from linli.volunteers.models import Volunteer


def _teammate(world, county):
    user = grant(UserFactory(username="volunteer_a2"), Role.Kind.VOLUNTEER, world["A"])
    vol = Volunteer.objects.create(person=PersonFactory(division=county["A1"], user=user), division=world["A"],
                                   number="SY-T-3")
    vol.teams.add(world["team"])
    return user


def _sees(user, case) -> bool:
    api = APIClient()
    api.force_authenticate(user)
    return api.get(f"/api/cases/{case.pk}/").status_code == 200


def test_a_team_order_is_seen_while_offered(world):
    case = services.case_dispatch(case=new_case(world), by=world["staff"], team=world["team"])
    assert Case.objects.visible_to(world["vol_user"]).filter(pk=case.pk).exists()
    assert _sees(world["vol_user"], case)


def test_a_team_order_taken_by_another_volunteer_is_no_longer_seen(world, county):
    mate = _teammate(world, county)
    case = services.case_dispatch(case=new_case(world), by=world["staff"], team=world["team"])
    services.case_accept(case=case, by=mate)
    assert _sees(mate, case)
    assert not _sees(world["vol_user"], case)
    services.case_complete(case=case, by=mate, report="买好了")
    assert not Case.objects.visible_to(world["vol_user"]).filter(pk=case.pk).exists()


def test_the_volunteer_keeps_seeing_the_order_they_took_and_closed(world, client):
    case = services.case_dispatch(case=new_case(world), by=world["staff"], team=world["team"])
    services.case_accept(case=case, by=world["vol_user"])
    services.case_complete(case=case, by=world["vol_user"], report="送到了")
    assert _sees(world["vol_user"], case)
    client.force_login(world["vol_user"])
    assert client.get(reverse("cases:detail", args=[case.pk])).status_code == 200
