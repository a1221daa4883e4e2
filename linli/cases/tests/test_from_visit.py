"""A need found on a grid worker's visit becomes a case without retyping."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from linli.accounts.models import Role
from linli.cases import services
from linli.cases.models import Case, Kind, ServiceItem
from linli.core.testing import HouseholdFactory, PersonFactory
from linli.grids.services import visit_record
from linli.people.models import Membership


@pytest.fixture
def visit(county, make_user):
    household = HouseholdFactory(division=county["A1"], address="东门路1号", lat=25.79, lng=114.54)
    person = PersonFactory(division=county["A1"])
    Membership.objects.create(household=household, person=person, relation="head", start_date=dt.date(2020, 1, 1))
    worker = make_user(Role.Kind.GRID_WORKER, county["A1"])
    v, _ = visit_record(by=worker, household=household, met=person, needs="楼道灯坏了，老人晚上看不见")
    return v, worker


@pytest.fixture
def concern():
    return ServiceItem.objects.filter(kind=Kind.CONCERN, active=True).first()


def test_the_visit_becomes_a_concern_with_its_facts(visit, concern):
    v, worker = visit
    case = services.case_from_visit(visit=v, by=worker, service=concern)
    assert case.kind == Kind.CONCERN and case.channel == Case.Channel.VISIT
    assert case.description == v.needs and case.person == v.met and case.address == "东门路1号"
    assert case.division == v.division.parent  # the grid's community
    assert Case.objects.visible_to(worker).filter(pk=case.pk).exists()  # the raiser follows it


def test_a_visit_raises_one_case_only(visit, concern):
    v, worker = visit
    services.case_from_visit(visit=v, by=worker, service=concern)
    with pytest.raises(ValidationError):
        services.case_from_visit(visit=v, by=worker, service=concern)
    assert Case.objects.count() == 1


def test_a_grid_worker_elsewhere_cannot_raise_it(visit, concern, county, make_user):
    v, _ = visit
    with pytest.raises(PermissionDenied):
        services.case_from_visit(visit=v, by=make_user(Role.Kind.GRID_WORKER, county["B1"]), service=concern)
    assert not Case.objects.exists()


def test_a_night_talk_opinion_category_is_refused(visit):
    v, worker = visit
    opinion_item = ServiceItem.objects.filter(kind=Kind.OPINION).first()
    with pytest.raises(ValidationError):
        services.case_from_visit(visit=v, by=worker, service=opinion_item)


def test_a_need_can_become_a_service_order(visit):
    v, worker = visit
    order_item = ServiceItem.objects.filter(kind=Kind.ORDER, active=True).first()
    case = services.case_from_visit(visit=v, by=worker, service=order_item)
    assert case.kind == Kind.ORDER and case.visit == v


def test_one_tap_on_the_visit_page(client, visit, concern):
    v, worker = visit
    client.force_login(worker)
    page = client.get(f"/grids/households/{v.household_id}/visit/")
    assert b'data-testid="raise-case"' in page.content
    r = client.post(f"/cases/from-visit/{v.pk}/", {"service": concern.pk})
    case = Case.objects.get(visit=v)
    assert r.status_code == 302 and r["Location"] == f"/cases/{case.pk}/"
