"""Least privilege for tutors: the rosters and children's medical notes of the sessions they are on,
not every session of their community."""

import pytest
from rest_framework.test import APIClient

from linli.classroom import selectors, services
from linli.classroom.models import Session
from linli.classroom.testing import (
    classroom_site,
    enrol,
    guardian,
    program,
    running_session,
    staff_user,
    tutor,
)


@pytest.fixture
def w(county):
    staff = staff_user(county["A"], username="staff_a")
    site = classroom_site(county["A"], name="东门邻里中心")
    prog = program(site=site, by=staff)
    mum = guardian(county["A1"], phone="13912345678", username="mum")
    enrol(program=prog, by=mum, child_name="王小明", medical_notes="花生过敏")
    on_user, on_vol = tutor(county["A"], by=staff, username="tutor_on")
    off_user, _ = tutor(county["A"], by=staff, username="tutor_off")
    session = running_session(prog)
    services.roster_add(session=session, volunteer=on_vol, by=staff)
    return {"session": session, "site": site, "on": on_user, "off": off_user}


def _api(user):
    c = APIClient()
    c.force_authenticate(user)
    return c


def test_a_tutor_on_the_session_sees_its_roster_and_medical_notes(client, w):
    assert _api(w["on"]).get(f"/api/classroom/sessions/{w['session'].pk}/roster/").status_code == 200
    client.force_login(w["on"])
    page = client.get(f"/classroom/sessions/{w['session'].pk}/").content.decode()
    assert "花生过敏" in page


def test_a_tutor_of_the_community_not_on_the_session_sees_nothing_of_it(client, w):
    assert not Session.objects.visible_to(w["off"]).exists()
    assert _api(w["off"]).get(f"/api/classroom/sessions/{w['session'].pk}/roster/").status_code == 404
    client.force_login(w["off"])
    assert client.get(f"/classroom/sessions/{w['session'].pk}/").status_code == 404
    assert client.get(f"/classroom/self-study/{w['site'].pk}/").status_code == 404


def test_the_self_study_desk_is_for_tutors_on_a_session_there_today(w):
    assert list(selectors.desk_sites(user=w["on"])) == [w["site"]]
    assert not selectors.desk_sites(user=w["off"]).exists()
    assert services.can_desk(w["on"], w["site"]) and not services.can_desk(w["off"], w["site"])
