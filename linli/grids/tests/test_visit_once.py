"""A visit is entered once: someone met on a home visit also reaches the running campaigns that allow
home visits; "nobody at home" is an outcome of its own and reaches none; a need found at the door becomes a
case of any kind on the same form; the household page shows visits, campaigns and a visit button, and no
move-out button beside each member."""

import datetime as dt
import uuid

import pytest
from django.urls import reverse
from django.utils import timezone

from linli.cases.models import Case, Kind, ServiceItem
from linli.grids import services
from linli.grids.models import Campaign, Reach, Visit
from linli.grids.tests.test_pages import client_for

M = Campaign.Method


@pytest.fixture
def campaign(users, county):
    return services.campaign_create(by=users["county_admin"], title="防诈骗宣传", content="请下载反诈App",
                                    division=county["county"], starts_on=timezone.localdate() - dt.timedelta(days=1),
                                    deadline=timezone.localdate() + dt.timedelta(days=10), methods=[M.VISIT, M.PHONE])


def _post(client, household, **data):
    base = {"submission_key": uuid.uuid4(), "visited_on": timezone.localdate().isoformat(), "notes": ""}
    return client.post(reverse("grids:visit_create", args=[household.pk]), {**base, **data}, HTTP_ACCEPT_LANGUAGE="en")


def test_a_home_visit_reaches_the_running_campaign(users, homes, campaign):
    household, person = homes["A1"]
    c = client_for(users["grid_worker"])
    assert "防诈骗宣传" in c.get(reverse("grids:visit_create", args=[household.pk])).content.decode()
    _post(c, household, met=person.pk, campaigns=[campaign.pk])
    reach = Reach.objects.get(campaign=campaign, household=household)
    assert reach.method == M.VISIT
    c.get("/")  # the flash message naming the campaign goes
    assert 'name="campaigns"' not in c.get(reverse("grids:visit_create", args=[household.pk])).content.decode()


def test_nobody_at_home_is_an_outcome_and_reaches_nobody(users, homes, campaign):
    household, _ = homes["A1"]
    c = client_for(users["grid_worker"])
    page = c.get(reverse("grids:visit_create", args=[household.pk]), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert 'type="radio"' in page and "家中无人" in page
    _post(c, household, met=-1)
    assert Visit.objects.get(household=household).nobody_home
    assert not Reach.objects.filter(household=household).exists()


@pytest.mark.parametrize("kind", [Kind.ORDER, Kind.CONCERN, Kind.DISPUTE])
def test_a_need_found_on_the_visit_becomes_a_case_of_any_kind(users, homes, kind):
    household, person = homes["A1"]
    item = ServiceItem.objects.filter(kind=kind, active=True).first()
    r = _post(client_for(users["grid_worker"]), household, met=person.pk, needs="灯坏了", need_service=item.pk)
    assert r.status_code == 302
    case = Case.objects.get(visit__household=household)
    assert case.kind == kind and case.description == "灯坏了"


def test_a_category_without_a_need_is_refused_and_keeps_the_form(users, homes):
    household, person = homes["A1"]
    item = ServiceItem.objects.filter(kind=Kind.CONCERN, active=True).first()
    r = _post(client_for(users["grid_worker"]), household, met=person.pk, notes="记下的话", need_service=item.pk)
    assert r.status_code == 200 and "记下的话" in r.content.decode()
    assert not Visit.objects.exists()


def test_the_household_page_shows_visits_campaigns_and_a_visit_button(users, homes, campaign):
    household, person = homes["A1"]
    services.visit_record(by=users["grid_worker"], household=household, met=person, notes="身体好")
    html = client_for(users["grid_worker"]).get(reverse("people:household_detail", args=[household.pk]),
                                                HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert 'data-testid="visit-history"' in html and "身体好" in html
    assert "防诈骗宣传" in html and "尚未触达" in html
    assert reverse("grids:visit_create", args=[household.pk]) in html
    assert "member_end" not in html and "/end/" not in html


def test_the_move_out_is_on_the_members_page(users, homes):
    household, person = homes["A1"]
    html = client_for(users["community_staff"]).get(reverse("people:person_detail", args=[person.pk]),
                                                    HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert 'data-testid="move-out"' in html
