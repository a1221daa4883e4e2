"""Volunteer pages and API: the phone page, the shift QR flow, confirming hours, certificate and its
public verification, the API authorisation matrix, bounded queries, figures."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook
from rest_framework.test import APIClient

from linli.accounts.models import Role
from linli.activities.testing import activity, resident, shift_to
from linli.core import stats
from linli.core.models import AccessLog
from linli.core.testing import SiteFactory
from linli.jobs.models import Export
from linli.jobs.testing import export_via_job
from linli.volunteers import services
from linli.volunteers.models import Certificate, ServiceRecord, Team

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(county, make_user):
    return make_user(Role.Kind.COMMUNITY_STAFF, county["A"])


@pytest.fixture
def occ(staff, county):
    return activity(by=staff, site=SiteFactory(division=county["A"])).occurrences.get()


def volunteer(county, letter="A1"):
    user = resident(county[letter])
    return services.volunteer_register(person=user.person, by=user, teams=Team.objects.filter(code="youth"))


def record(staff, v, hours="3", confirm=True):
    now = timezone.now()
    rec = services.service_record_add(volunteer=v, by=staff, content="清洁家园", start=now - dt.timedelta(hours=float(hours) + 2),
                                      end=now - dt.timedelta(hours=1), hours=Decimal(hours))
    return services.service_record_confirm(record=rec, by=staff) if confirm else rec


def test_resident_joins_from_the_phone_page(client, county):
    user = resident(county["A1"])
    client.force_login(user)
    assert "join" in client.get(reverse("volunteers:home")).content.decode()
    client.post(reverse("volunteers:join"), {"teams": [Team.objects.get(code="women").pk], "skills": "急救"})
    assert user.person.volunteer.teams.get().code == "women"


def test_volunteer_checks_in_and_out_of_a_shift_from_the_door_code(client, staff, occ, county):
    v = volunteer(county)
    shift = services.shift_create(occurrence=occ, by=staff, role="引导员", needed=2)
    signup = services.shift_signup(shift=shift, volunteer=v, by=v.person.user)
    now = timezone.now()
    shift.start, shift.end = now - dt.timedelta(minutes=20), now + dt.timedelta(hours=1)
    shift.save()
    shift_to(occ, start=shift.start, end=shift.end)
    client.force_login(v.person.user)
    page = client.get(reverse("activities:checkin", args=[occ.pk, occ.checkin_token])).content.decode()
    assert "shift-checkin" in page
    client.post(reverse("volunteers:signup_checkin", args=[signup.pk]), {"code": occ.checkin_token})
    client.post(reverse("volunteers:signup_checkout", args=[signup.pk]), {"code": occ.checkin_token})
    rec = ServiceRecord.objects.get(volunteer=v)
    assert rec.status == "pending" and rec.source == "checkin"


def test_organiser_confirms_pending_hours_from_the_list(client, staff, county):
    v = volunteer(county)
    rec = record(staff, v, confirm=False)
    client.force_login(staff)
    assert v.person.name in client.get(reverse("volunteers:records_pending")).content.decode()
    client.post(reverse("volunteers:record_confirm", args=[rec.pk]))
    rec.refresh_from_db()
    assert rec.status == "confirmed" and rec.verified_by == staff


def test_volunteer_page_shows_hours_stars_and_points(client, staff, county):
    v = volunteer(county)
    record(staff, v, "3")
    client.force_login(v.person.user)
    r = client.get(reverse("volunteers:home"))
    assert r.context["summary"]["hours"] == Decimal("3") and r.context["summary"]["points"] == 30


def test_certificate_has_a_qr_that_opens_a_public_verification_page(client, staff, county):
    v = volunteer(county)
    record(staff, v, "3")
    client.force_login(v.person.user)
    r = client.post(reverse("volunteers:certificate_issue", args=[v.pk]), follow=True)
    cert = Certificate.objects.get(volunteer=v)
    body = r.content.decode()
    verify = reverse("volunteers:verify", args=[cert.token])
    assert "<svg" in body and verify in body and cert.number in body
    client.logout()
    public = client.get(verify)
    assert public.status_code == 200 and cert.number in public.content.decode()
    assert v.person.name not in public.content.decode()  # masked on the public page
    assert client.get(reverse("volunteers:verify", args=["forged"])).status_code == 404


def from_app(v, source, hours="2", content="服务订单 FW-1：代买米油"):
    now = timezone.now()
    return services.service_record_from(source=source, volunteer=v, by=v.person.user, content=content,
                                        start=now - dt.timedelta(hours=3), end=now - dt.timedelta(hours=1),
                                        hours=Decimal(hours))


def test_record_list_and_export_say_where_the_hours_came_from(client, staff, county):
    v = volunteer(county)
    record(staff, v, "3")
    from_app(v, ServiceRecord.Source.ORDER)
    from_app(v, ServiceRecord.Source.CLASSROOM, content="四点半课堂 · 东门")
    client.force_login(staff)
    page = client.get(reverse("volunteers:volunteer_detail", args=[v.pk]), HTTP_ACCEPT_LANGUAGE="zh-hans")
    body = page.content.decode()
    assert "居民点单" in body and "四点半课堂辅导" in body and "工作人员补录" in body
    zh = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    zh.force_login(staff)
    export, r = export_via_job(zh, reverse("volunteers:records_export", args=[v.pk]))
    assert r.status_code == 200 and r["Content-Disposition"].endswith('.xlsx"')
    assert AccessLog.objects.filter(action="export", model="volunteers.ServiceRecord").get().object_ids == \
        export.audit_ids and len(export.audit_ids) == 3
    ws = load_workbook(io.BytesIO(r.body)).active
    assert ws.cell(row=2, column=5).value == "来源"
    source_of = {row[3]: row[4] for row in ws.iter_rows(min_row=3, values_only=True)}
    assert source_of == {"清洁家园": "工作人员补录", "服务订单 FW-1：代买米油": "居民点单", "四点半课堂 · 东门": "四点半课堂辅导"}


def test_pending_list_shows_the_source_in_english_too(client, staff, county):
    v = volunteer(county)
    from_app(v, ServiceRecord.Source.ORDER)
    client.force_login(staff)
    body = client.get(reverse("volunteers:records_pending"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Resident&#x27;s order" in body


def test_the_volunteer_downloads_their_own_records_and_others_are_404(client, staff, county, make_user):
    v = volunteer(county)
    from_app(v, ServiceRecord.Source.ORDER)
    client.force_login(v.person.user)
    export, r = export_via_job(client, reverse("volunteers:records_export", args=[v.pk]))
    assert r.status_code == 200 and export.created_by == v.person.user
    client.force_login(make_user(Role.Kind.COMMUNITY_STAFF, county["B"]))
    url = reverse("volunteers:records_export", args=[v.pk])
    assert client.get(url).status_code == 404 and client.post(url).status_code == 404
    assert client.get(reverse("jobs:export_download", args=[export.token])).status_code == 404
    assert Export.objects.count() == 1


def test_certificate_says_where_its_hours_came_from(client, staff, county):
    v = volunteer(county)
    record(staff, v, "3")
    services.service_record_confirm(record=from_app(v, ServiceRecord.Source.CLASSROOM), by=staff)
    cert = services.certificate_issue(volunteer=v, by=v.person.user)
    client.force_login(v.person.user)
    page = client.get(reverse("volunteers:certificate", args=[cert.pk]), HTTP_ACCEPT_LANGUAGE="zh-hans")
    shown = page.content.decode().split('data-testid="hours-by-source">')[1].split("</dd>")[0]
    assert "工作人员补录 3.00" in shown and "四点半课堂辅导 2.00" in shown
    public = client.get(reverse("volunteers:verify", args=[cert.token]), HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert "四点半课堂辅导 2.00" in public.content.decode()


def test_staff_adding_hours_through_the_api_stays_added_by_staff(staff, county):
    v = volunteer(county)
    now = timezone.now()
    r = api(staff).post("/api/service-records/", {
        "volunteer": v.pk, "content": "入户走访", "start": (now - dt.timedelta(hours=3)).isoformat(),
        "end": (now - dt.timedelta(hours=1)).isoformat(), "hours": "2"}, format="json")
    assert r.status_code == 201 and r.json()["source"] == "admin"
    assert ServiceRecord.objects.get(pk=r.json()["id"]).source == ServiceRecord.Source.ADMIN


def test_other_communitys_volunteer_is_404(client, staff, county, make_user):
    v = volunteer(county)
    client.force_login(make_user(Role.Kind.COMMUNITY_STAFF, county["B"]))
    assert client.get(reverse("volunteers:volunteer_detail", args=[v.pk])).status_code == 404


def api(user):
    c = APIClient()
    c.force_authenticate(user)
    return c


@pytest.mark.parametrize("role,list_count,confirm_status", [
    ("staff_a", 1, 200), ("staff_b", 0, 404), ("county", 1, 200), ("self", 1, 403), ("other_resident", 0, 404)])
def test_service_record_authorisation_matrix(staff, county, make_user, role, list_count, confirm_status):
    v = volunteer(county)
    rec = record(staff, v, confirm=False)
    users = {"staff_a": staff, "staff_b": make_user(Role.Kind.COMMUNITY_STAFF, county["B"]),
             "county": make_user(Role.Kind.COUNTY_ADMIN, county["county"]), "self": v.person.user,
             "other_resident": resident(county["A2"])}
    c = api(users[role])
    assert c.get("/api/service-records/").json()["count"] == list_count
    assert c.post(f"/api/service-records/{rec.pk}/confirm/").status_code == confirm_status


def test_redeem_through_the_api_refuses_beyond_balance(staff, county):
    v = volunteer(county)
    record(staff, v, "3")
    reward = services.reward_create(division=county["A"], by=staff, name="毛巾", cost=20, stock=3)
    c = api(v.person.user)
    assert c.post(f"/api/rewards/{reward.pk}/redeem/", {"quantity": 1}, format="json").status_code == 201
    r = c.post(f"/api/rewards/{reward.pk}/redeem/", {"quantity": 1}, format="json")
    assert r.status_code == 400 and "quantity" in r.json()


def test_volunteer_list_query_count_is_bounded(staff, county, django_assert_max_num_queries):
    for _ in range(15):
        record(staff, volunteer(county), "2")
    c = api(staff)
    c.get("/api/volunteers/")
    with django_assert_max_num_queries(8):
        assert c.get("/api/volunteers/").json()["count"] == 15


def test_figures_have_the_published_keys(staff, county, occ):
    from linli.activities import selectors as activity_selectors
    from linli.volunteers import selectors as volunteer_selectors

    # Registered as `linli stats` sections; called directly so other apps' sections do not interfere.
    assert stats._SECTIONS["activities"] is activity_selectors.figures
    assert stats._SECTIONS["volunteers"] is volunteer_selectors.figures
    v = volunteer(county)
    record(staff, v, "120")
    acts, vols = activity_selectors.figures(None), volunteer_selectors.figures(None)
    assert set(acts) == {"total", "occurrences", "participants", "by_platform", "by_method", "by_delivery",
                         "average_review"}
    assert set(vols) == {"total", "by_team", "confirmed_hours", "by_star", "points_outstanding"}
    assert vols["by_star"]["1"] == 1 and vols["confirmed_hours"] == 120.0
    assert vols["points_outstanding"] == 1200
    assert acts["by_platform"] == {"theory_policy": 1}
    assert volunteer_selectors.figures(staff)["total"] == 1


def test_hours_read_as_hours_in_chinese_not_opening_hours():
    """Django merges every app's catalogue: the places app's 'hours' (开放时段, opening hours) once won
    on volunteers' records and certificates. Opening hours now have their own context."""
    from django.utils import translation

    with translation.override("zh-hans"):
        assert translation.gettext("hours") != "开放时段"
        assert translation.pgettext("opening hours", "hours") == "开放时段"
