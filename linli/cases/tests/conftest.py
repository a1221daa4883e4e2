"""Fixtures for cases: community A's staff, a resident of A with a person record, a volunteer of A in the
Party-member team, the county administrator, and staff of community B (out of scope for A's cases)."""

import datetime as dt

import pytest
from django.utils import timezone, translation

from linli.accounts.models import Role
from linli.cases import services
from linli.cases.models import Kind, NightTalk, ServiceItem
from linli.core.testing import PersonFactory, SiteFactory, UserFactory, grant
from linli.volunteers.models import Team, Volunteer


@pytest.fixture(autouse=True)
def english():
    """Messages are asserted in English (the source language); the pages' Chinese is tested in e2e."""
    with translation.override("en"):
        yield


def _reseed():
    """Transactional tests flush the tables, taking the migrations' seed data with them: put it back."""
    import importlib

    from django.apps import apps

    for module in ("linli.activities.migrations.0003_seed_taxonomy",
                   "linli.volunteers.migrations.0002_seed_teams_and_rules", "linli.cases.migrations.0002_seed_catalogue"):
        importlib.import_module(module).seed(apps, None)


@pytest.fixture
def world(county):
    if not ServiceItem.objects.exists():
        _reseed()
    A, B = county["A"], county["B"]
    # Communities with a boundary each (a hexagon around a site), so locations can be placed.
    for com, lat, lng in ((A, 25.79, 114.54), (B, 25.80, 114.56)):
        d = 0.004
        com.boundary = {"type": "Polygon", "coordinates": [[[lng - d, lat - d], [lng + d, lat - d], [lng + d, lat + d],
                                                            [lng - d, lat + d], [lng - d, lat - d]]]}
        com.save()
        SiteFactory(division=com, lat=lat, lng=lng)
    staff = grant(UserFactory(username="staff_a"), Role.Kind.COMMUNITY_STAFF, A)
    staff2 = grant(UserFactory(username="staff_a2"), Role.Kind.COMMUNITY_STAFF, A)
    staff_b = grant(UserFactory(username="staff_b"), Role.Kind.COMMUNITY_STAFF, B)
    county_admin = grant(UserFactory(username="county_admin"), Role.Kind.COUNTY_ADMIN, county["county"])
    resident = grant(UserFactory(username="resident_a"), Role.Kind.RESIDENT, county["A1"])
    PersonFactory(division=county["A1"], user=resident)
    resident_b = grant(UserFactory(username="resident_b"), Role.Kind.RESIDENT, county["B1"])
    PersonFactory(division=county["B1"], user=resident_b)
    vol_user = grant(UserFactory(username="volunteer_a"), Role.Kind.VOLUNTEER, A)
    volunteer = Volunteer.objects.create(person=PersonFactory(division=county["A2"], user=vol_user), division=A,
                                         number="SY-T-1")
    team = Team.objects.get(code="party_member")
    volunteer.teams.add(team)
    other_user = grant(UserFactory(username="volunteer_b"), Role.Kind.VOLUNTEER, B)
    other_vol = Volunteer.objects.create(person=PersonFactory(division=county["B1"], user=other_user), division=B,
                                         number="SY-T-2")
    other_vol.teams.add(team)
    return {"A": A, "B": B, "county": county["county"], "staff": staff, "staff2": staff2, "staff_b": staff_b,
            "county_admin": county_admin, "resident": resident, "resident_b": resident_b, "vol_user": vol_user,
            "volunteer": volunteer, "team": team, "other_vol_user": other_user}


def item(code):
    return ServiceItem.objects.get(code=code)


def new_case(world, kind=Kind.ORDER, **kw):
    if kind == Kind.ORDER:
        return services.case_create(by=world["resident"], kind=kind, service=item("errand"),
                                    description=kw.pop("description", "买米和油"), **kw)
    if kind == Kind.CONCERN:
        return services.case_create(by=world["resident"], kind=kind, service=item("environment"),
                                    description=kw.pop("description", "楼道垃圾没人清"), **kw)
    person = world["resident"].person
    if kind == Kind.DISPUTE:
        return services.case_create(by=world["staff"], kind=kind, service=item("neighbour_dispute"),
                                    division=world["A"], person=person, description="楼上漏水到楼下",
                                    parties=[{"role": "applicant", "name": "张三"},
                                             {"role": "respondent", "name": "李四"}], **kw)
    talk = NightTalk.objects.filter(division=world["A"]).first() or services.night_talk_record(
        by=world["staff"], occurrence=held_night_talk(world))
    return services.case_create(by=world["staff"], kind=kind, service=item("opinion_traffic"),
                                division=world["A"], person=person, description="希望增设公交站", night_talk=talk,
                                **kw)


def held_night_talk(world, *, hours_ago: float = 3):
    """A city night talk of community A, scheduled as an activity (in its room) and held `hours_ago`."""
    from linli.activities.models import Activity
    from linli.activities.testing import activity, shift_to
    from linli.core.testing import RoomFactory
    from linli.places.models import Room, Site

    site = Site.objects.filter(division=world["A"]).first()
    room = RoomFactory(site=site, function=Room.Function.NIGHT_TALK, name="夜话室")
    talk = activity(by=world["staff"], site=site, room=room, kind=Activity.Kind.NIGHT_TALK, capacity=20)
    occ = talk.occurrences.get()
    start = timezone.now() - dt.timedelta(hours=hours_ago)
    return shift_to(occ, start=start, end=start + dt.timedelta(minutes=90))


def _past():
    return timezone.now() - dt.timedelta(hours=3)
