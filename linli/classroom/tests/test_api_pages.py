"""API authorisation matrix, pages (404 out of scope, audited), ledger, and bounded query counts."""

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook
from rest_framework.test import APIClient

from linli.accounts.models import Role
from linli.classroom import services
from linli.classroom.models import Attendance, Enrollment, ReleaseAttempt
from linli.classroom.testing import (
    classroom_site,
    enrol,
    guardian,
    program,
    running_session,
    staff_user,
    tutor,
)
from linli.core.models import AccessLog
from linli.core.testing import UserFactory, grant
from linli.jobs.models import Export
from linli.jobs.testing import export_via_job, run_queued


@pytest.fixture
def w(county):
    staff = staff_user(county["A"], username="staff_a")
    site = classroom_site(county["A"], name="东门邻里中心")
    prog = program(site=site, by=staff)
    mum = guardian(county["A1"], phone="13912345678", username="mum")
    e = enrol(program=prog, by=mum, child_name="王小明")
    other_mum = guardian(county["A2"], phone="13912340000", username="other_mum")
    e2 = enrol(program=prog, by=other_mum, child_name="李小红")
    tutor_user, volunteer = tutor(county["A"], by=staff, username="tutor_a")
    session = running_session(prog)
    services.roster_add(session=session, volunteer=volunteer, by=staff)
    users = {
        "staff_a": staff, "tutor_a": tutor_user, "mum": mum, "other_mum": other_mum,
        "staff_b": staff_user(county["B"], username="staff_b"),
        "tutor_b": grant(UserFactory(username="tutor_b"), Role.Kind.TUTOR, county["B"]),
        "county": grant(UserFactory(username="county"), Role.Kind.COUNTY_ADMIN, county["county"]),
    }
    return {"users": users, "program": prog, "e": e, "e2": e2, "session": session, "site": site}


def _client(user):
    c = APIClient()
    c.force_authenticate(user)
    return c


# (who, can see e (mum's child), can see the session, can check in)
MATRIX = [
    ("staff_a", True, True, True),
    ("county", True, True, True),
    ("tutor_a", False, True, True),
    ("mum", True, False, False),
    ("other_mum", False, False, False),
    ("staff_b", False, False, False),
    ("tutor_b", False, False, False),
]


@pytest.mark.parametrize("who,sees_child,sees_session,checks_in", MATRIX)
def test_api_authorisation_matrix(w, who, sees_child, sees_session, checks_in):
    c = _client(w["users"][who])
    e, session = w["e"], w["session"]
    assert c.get(f"/api/classroom/enrollments/{e.pk}/").status_code == (200 if sees_child else 404)
    assert c.get(f"/api/classroom/sessions/{session.pk}/roster/").status_code == (200 if sees_session else 404)
    r = c.post(f"/api/classroom/sessions/{session.pk}/check-in/", {"enrollment": e.pk}, format="json")
    assert r.status_code == (201 if checks_in else 404)
    assert Attendance.objects.filter(enrollment=e).exists() == checks_in
    # Programs are public within the county's scope.
    assert c.get(f"/api/classroom/programs/{w['program'].pk}/").status_code == (
        404 if who in ("staff_b", "tutor_b") else 200)


def test_api_guardian_lists_only_their_own_child(w):
    r = _client(w["users"]["mum"]).get("/api/classroom/enrollments/")
    assert [row["id"] for row in r.json()["results"]] == [w["e"].pk]
    assert AccessLog.objects.filter(model="classroom.Enrollment", object_ids=[w["e"].pk]).exists()
    staff_ids = {row["id"] for row in _client(w["users"]["staff_a"]).get("/api/classroom/enrollments/").json()["results"]}
    assert staff_ids == {w["e"].pk, w["e2"].pk}


def test_api_enrol_needs_consent_and_returns_field_errors(w):
    c = _client(w["users"]["mum"])
    body = {"program": w["program"].pk, "child_name": "王小亮", "birth_date": "2017-05-01", "consent": False}
    r = c.post("/api/classroom/enrollments/", body, format="json")
    assert r.status_code == 400 and "consent" in r.json()
    body["consent"] = True
    r = c.post("/api/classroom/enrollments/", body, format="json")
    assert r.status_code == 201 and r.json()["status"] == "active"


def test_api_release_refusals_are_400_and_logged(w):
    c = _client(w["users"]["tutor_a"])
    session, e = w["session"], w["e"]
    r = c.post(f"/api/classroom/sessions/{session.pk}/release/", {"enrollment": e.pk}, format="json")
    assert r.status_code == 400  # not checked in
    c.post(f"/api/classroom/sessions/{session.pk}/check-in/", {"enrollment": e.pk}, format="json")
    mum_pickup = e.pickups.get(is_guardian=True)
    r = c.post(f"/api/classroom/sessions/{session.pk}/release/",
               {"enrollment": e.pk, "pickup": mum_pickup.pk, "phone_last4": "0000"}, format="json")
    assert r.status_code == 400 and "phone_last4" in r.json()
    assert ReleaseAttempt.objects.count() == 1
    r = c.post(f"/api/classroom/sessions/{session.pk}/release/",
               {"enrollment": e.pk, "pickup": mum_pickup.pk, "phone_last4": "5678"}, format="json")
    assert r.status_code == 200 and r.json()["released_to"] == mum_pickup.pk
    assert _client(w["users"]["staff_a"]).get("/api/classroom/refused-releases/").json()["count"] == 1
    assert _client(w["users"]["staff_b"]).get("/api/classroom/refused-releases/").json()["count"] == 0


def test_api_roster_never_shows_phone_digits(w):
    r = _client(w["users"]["tutor_a"]).get(f"/api/classroom/sessions/{w['session'].pk}/roster/")
    assert "5678" not in r.content.decode()


def test_api_unauthenticated_is_401(w):
    assert APIClient().get("/api/classroom/enrollments/").status_code == 401


# Pages --------------------------------------------------------------------------------------------

def test_pages_for_each_role(client, w):
    e, session = w["e"], w["session"]
    client.force_login(w["users"]["mum"])
    assert client.get("/classroom/").status_code == 200
    assert client.get(f"/classroom/children/{e.pk}/").status_code == 200
    assert client.get(f"/classroom/children/{w['e2'].pk}/").status_code == 404
    assert client.get(f"/classroom/sessions/{session.pk}/").status_code == 404
    assert client.get("/classroom/alerts/").status_code == 404
    client.force_login(w["users"]["tutor_a"])
    page = client.get(f"/classroom/sessions/{session.pk}/")
    assert page.status_code == 200 and "王小明" in page.content.decode() and "5678" not in page.content.decode()
    assert AccessLog.objects.filter(user=w["users"]["tutor_a"], model="classroom.Enrollment").exists()
    assert client.get("/classroom/today/").status_code == 200
    client.force_login(w["users"]["staff_b"])
    assert client.get(f"/classroom/sessions/{session.pk}/").status_code == 404
    assert client.get(f"/classroom/children/{e.pk}/").status_code == 404
    client.force_login(w["users"]["staff_a"])
    for url in ("/classroom/", "/classroom/alerts/", "/classroom/checks/", "/classroom/ledger/",
                "/classroom/programs/", f"/classroom/programs/{w['program'].pk}/", "/classroom/programs/new/",
                f"/classroom/self-study/{w['site'].pk}/"):
        assert client.get(url).status_code == 200, url


def test_enroll_page_keeps_input_and_shows_the_consent_error(client, w):
    client.force_login(w["users"]["mum"])
    r = client.post(f"/classroom/programs/{w['program'].pk}/enroll/",
                    {"child": "new", "child_name": "王小亮", "birth_date": "2017-05-01", "school": "东门小学"})
    body = r.content.decode()
    assert r.status_code == 200 and "王小亮" in body and "东门小学" in body and 'data-field="consent"' in body
    assert not Enrollment.objects.filter(child_name="王小亮").exists()


def test_refused_release_on_the_page_shows_an_error_and_reaches_the_staff_page(client, w):
    e, session = w["e"], w["session"]
    client.force_login(w["users"]["tutor_a"])
    client.post(f"/classroom/sessions/{session.pk}/", {"enrollment": e.pk, "action": "check_in"})
    r = client.post(f"/classroom/sessions/{session.pk}/", {"enrollment": e.pk, "action": "release", "pickup": "",
                                                           "claimed_name": "自称舅舅"}, follow=True)
    assert "msg-error" in r.content.decode()
    assert Attendance.objects.get(enrollment=e).released_at is None
    client.force_login(w["users"]["staff_a"])
    assert "自称舅舅" in client.get("/classroom/alerts/").content.decode()


def test_ledger_xlsx_is_built_by_a_job_as_the_asker_and_audited_at_download(client, w):
    tutor_user = w["users"]["tutor_a"]
    services.child_check_in(session=w["session"], enrollment=w["e"], by=tutor_user)
    services.child_release(enrollment=w["e"], by=tutor_user, pickup=w["e"].pickups.get(is_guardian=True),
                           phone_last4="5678")
    client.force_login(w["users"]["staff_a"])
    month = w["session"].date.strftime("%Y-%m")
    url = f"/classroom/ledger/?site={w['site'].pk}&month={month}&format=xlsx"
    assert client.get(url).status_code == 200 and not Export.objects.exists()  # an old GET link builds nothing
    before = AccessLog.objects.filter(action="export", model="classroom.Enrollment").count()
    export, r = export_via_job(client, url)
    assert r.status_code == 200 and export.created_by == w["users"]["staff_a"]
    ws = load_workbook(io.BytesIO(r.body)).active
    cells = [c.value for row in ws.iter_rows() for c in row]
    assert "王小明" in cells and 1 in cells
    log = AccessLog.objects.filter(action="export", model="classroom.Enrollment").order_by("-pk")
    assert log.count() == before + 1 and log[0].object_ids == [w["e"].pk]


def test_the_ledger_export_of_a_site_the_asker_no_longer_keeps_fails_without_a_file(client, w):
    staff = w["users"]["staff_a"]
    client.force_login(staff)
    client.post(f"/classroom/ledger/?site={w['site'].pk}&format=xlsx")
    staff.roles.all().delete()
    (job,) = run_queued()
    assert job.error_key == "export_forbidden" and not Export.objects.get().is_ready
    client.force_login(w["users"]["staff_b"])  # only the asker opens the export
    assert client.get(reverse("jobs:export", args=[Export.objects.get().token])).status_code == 404


# Query counts -------------------------------------------------------------------------------------

def _more_children(w, n):
    for i in range(n):
        g = guardian(w["site"].division, phone=f"1370000{i:04d}")
        e = enrol(program=w["program"], by=g, child_name=f"孩子{i}",
                  pickups=[{"name": f"外婆{i}", "relation": "grandparent", "phone": f"1360000{i:04d}"}])
        services.child_check_in(session=w["session"], enrollment=e, by=w["users"]["tutor_a"])


def test_tutor_roster_queries_are_bounded(client, w, django_assert_max_num_queries):
    _more_children(w, 12)
    client.force_login(w["users"]["tutor_a"])
    with django_assert_max_num_queries(22):
        assert client.get(f"/classroom/sessions/{w['session'].pk}/").status_code == 200
    with django_assert_max_num_queries(16):
        assert client.get("/classroom/today/").status_code == 200


def test_program_list_queries_are_bounded(client, w, county, django_assert_max_num_queries):
    for i in range(8):
        program(site=classroom_site(county["A"]), by=w["users"]["staff_a"], name=f"课堂{i}")
    client.force_login(w["users"]["mum"])
    with django_assert_max_num_queries(12):
        assert client.get("/classroom/programs/").status_code == 200
    with django_assert_max_num_queries(12):
        assert _client(w["users"]["mum"]).get("/api/classroom/programs/").status_code == 200
