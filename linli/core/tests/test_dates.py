"""Dates have a sane range for their meaning, in forms, the API and imports: events between 2000 and
2100, birth dates not in the future and at most 120 years ago; out-of-range input is a field error,
never a 500 and never stored."""

import datetime as dt

import pytest
from rest_framework.test import APIClient

from linli.accounts.models import Role
from linli.activities.models import Occurrence
from linli.core.testing import HouseholdFactory, PersonFactory, RoomFactory, SiteFactory
from linli.people.models import Person


@pytest.fixture
def admin(county, make_user):
    return make_user(Role.Kind.COUNTY_ADMIN, county["county"])


@pytest.fixture
def api(admin):
    client = APIClient()
    client.force_authenticate(admin)
    return client


@pytest.fixture
def room(county):
    return RoomFactory(site=SiteFactory(division=county["A"]))


@pytest.mark.parametrize("born", ["2999-01-01", "1800-05-17", (dt.date.today() + dt.timedelta(days=1)).isoformat()])
def test_the_api_refuses_an_impossible_birth_date(api, county, born):
    r = api.post("/api/persons/", {"name": "张三", "division": county["A1"].pk, "birth_date": born}, format="json")
    assert r.status_code == 400 and "birth_date" in r.json(), r.content
    person = PersonFactory(division=county["A1"], with_id=False)
    r = api.patch(f"/api/persons/{person.pk}/", {"birth_date": born}, format="json")
    assert r.status_code == 400 and "birth_date" in r.json()
    assert not Person.objects.filter(birth_date=born).exists()


def test_the_person_form_refuses_a_birth_date_in_2999(client, admin, county):
    client.force_login(admin)
    household = HouseholdFactory(division=county["A1"])
    r = client.post(f"/people/households/{household.pk}/members/new/",
                    {"name": "李四", "relation": "head", "birth_date": "2999-01-01"}, HTTP_ACCEPT_LANGUAGE="en")
    assert r.status_code == 200 and "cannot be in the future" in r.content.decode()
    assert not Person.objects.filter(name="李四").exists()


@pytest.mark.parametrize("week", ["9999-12-31", "0001-01-01", "1999-12-31"])
def test_a_room_week_far_away_is_not_a_server_error(client, admin, room, week):
    client.force_login(admin)
    assert client.get(f"/places/rooms/{room.pk}/", {"week": week}).status_code == 200


@pytest.mark.parametrize("day", ["9999-12-31", "0657-03-01", "2101-01-01"])
def test_the_booking_form_refuses_a_date_out_of_range(client, admin, room, day):
    client.force_login(admin)
    r = client.post(f"/places/rooms/{room.pk}/", {"date": day, "start_time": "10:00", "end_time": "11:00",
                                                  "purpose": "书法"}, HTTP_ACCEPT_LANGUAGE="en")
    assert r.status_code == 200 and "Choose a date between 2000-01-01 and 2100-12-31" in r.content.decode()


@pytest.mark.parametrize("start", ["0657-03-01T10:00:00+08:00", "2150-01-01T10:00:00+08:00"])
def test_the_api_refuses_a_booking_or_occurrence_out_of_range(api, room, start, county):
    end = start.replace("T10", "T11")
    r = api.post("/api/bookings/", {"room": room.pk, "start": start, "end": end, "purpose": "x"}, format="json")
    assert r.status_code == 400, r.content
    from linli.activities.testing import activity

    occ = activity(by=api.handler._force_user, site=room.site).occurrences.first()
    r = api.post(f"/api/occurrences/{occ.pk}/change/", {"start": start, "end": end}, format="json")
    assert r.status_code in (400, 404), r.content
    assert not Occurrence.objects.filter(start__year__lt=2000).exists()


def test_api_times_carry_an_rfc3339_offset(api, room):
    from linli.activities.testing import activity

    activity(by=api.handler._force_user, site=room.site)
    for row in api.get("/api/occurrences/").json()["results"]:
        assert row["start"].endswith("+08:00"), row["start"]
