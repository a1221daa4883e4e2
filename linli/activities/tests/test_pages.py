"""Pages: scope (404 out of scope), the sign-up and QR check-in flow, calendar, iCal, sheet, ledger, and
bounded query counts on list and calendar pages."""

import datetime as dt
from io import BytesIO

import pytest
from django.urls import reverse
from django.utils import timezone

from linli.accounts.models import Role
from linli.activities import services
from linli.activities.models import Registration
from linli.activities.testing import activity, resident, shift_to
from linli.core.testing import OrganizationFactory, SiteFactory
from linli.jobs.testing import export_via_job

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(county, make_user):
    return make_user(Role.Kind.COMMUNITY_STAFF, county["A"])


@pytest.fixture
def site(county):
    return SiteFactory(division=county["A"], name="东门邻里中心")


@pytest.fixture
def occ(staff, site):
    return activity(by=staff, site=site, capacity=5, title="城市夜话").occurrences.get()


def test_resident_sees_own_communitys_activities_and_signs_up(client, occ, county):
    user = resident(county["A1"])
    client.force_login(user)
    assert "城市夜话" in client.get(reverse("activities:list")).content.decode()
    r = client.post(reverse("activities:signup", args=[occ.pk]), follow=True)
    assert r.status_code == 200
    assert Registration.objects.get(occurrence=occ, person=user.person).status == "confirmed"


def test_activity_of_another_community_is_404(client, occ, county):
    client.force_login(resident(county["B1"]))
    assert client.get(reverse("activities:occurrence_detail", args=[occ.pk])).status_code == 404
    assert client.post(reverse("activities:signup", args=[occ.pk])).status_code == 404


def test_check_in_url_from_the_qr_checks_the_resident_in(client, occ, county):
    user = resident(county["A1"])
    services.registration_create(occurrence=occ, person=user.person, by=user)
    shift_to(occ, start=timezone.now() - dt.timedelta(minutes=5), end=timezone.now() + dt.timedelta(hours=1))
    client.force_login(user)
    url = reverse("activities:checkin", args=[occ.pk, occ.checkin_token])
    assert client.get(url).status_code == 200
    client.post(url)
    assert Registration.objects.get(occurrence=occ, person=user.person).checked_in_at is not None


def test_check_in_url_with_a_foreign_code_shows_the_error(client, occ, county):
    client.force_login(resident(county["A1"]))
    r = client.get(reverse("activities:checkin", args=[occ.pk, "not-the-code"]))
    assert r.status_code == 400
    assert "checkin-error" in r.content.decode()


def test_door_page_shows_a_qr_code_of_the_check_in_url(client, occ, staff):
    client.force_login(staff)
    body = client.get(reverse("activities:door", args=[occ.pk])).content.decode()
    assert "<svg" in body and f"/activities/checkin/{occ.pk}/{occ.checkin_token}/" in body


def test_residents_cannot_open_the_door_page_or_roster(client, occ, county):
    client.force_login(resident(county["A1"]))
    assert client.get(reverse("activities:door", args=[occ.pk])).status_code == 403
    assert client.get(reverse("activities:roster", args=[occ.pk])).status_code == 403


def test_staff_creates_a_monthly_series_from_the_form(client, staff, site):
    client.force_login(staff)
    day = (timezone.localdate().replace(day=1) + dt.timedelta(days=40)).replace(day=3)  # 1st weekday of a month
    org = OrganizationFactory(division=site.division)
    r = client.post(reverse("activities:activity_create"), {
        "title": "城市夜话", "site": site.pk, "platform": 1, "method": 1, "organizers": [org.pk],
        "date": day.isoformat(), "start_time": "19:30", "end_time": "21:00", "recurrence": "monthly",
        "until": (day + dt.timedelta(days=100)).isoformat(), "capacity": 40, "signup_closes_minutes": 0})
    assert r.status_code == 302, r.content.decode()[:2000]
    from linli.activities.models import Activity

    act = Activity.objects.get(title="城市夜话")
    assert act.occurrences.count() in (3, 4) and list(act.organizers.all()) == [org]


def test_form_keeps_input_and_shows_the_service_error(client, staff, site):
    client.force_login(staff)
    r = client.post(reverse("activities:activity_create"), {
        "title": "过去的活动", "site": site.pk, "platform": 1, "method": 1, "date": "2020-01-01",
        "start_time": "19:30", "end_time": "21:00", "recurrence": "once", "capacity": 40, "signup_closes_minutes": 0})
    assert r.status_code == 200
    assert "过去的活动" in r.content.decode()


def test_sign_in_sheet_lists_confirmed_names(client, occ, staff, county):
    user = resident(county["A1"])
    services.registration_create(occurrence=occ, person=user.person, by=user)
    client.force_login(staff)
    body = client.get(reverse("activities:sheet", args=[occ.pk])).content.decode()
    assert user.person.name in body and "@page" not in body  # print CSS is in the stylesheet


@pytest.mark.parametrize("view", ["month", "week", "list"])
def test_calendar_query_count_is_bounded(client, staff, site, county, view, django_assert_max_num_queries):
    start = timezone.now() + dt.timedelta(days=1)
    activity(by=staff, site=site, start=start.replace(microsecond=0), recurrence="weekly",
             until=timezone.localdate() + dt.timedelta(days=60))
    for _ in range(5):
        activity(by=staff, site=site, start=start.replace(microsecond=0) + dt.timedelta(hours=3))
    client.force_login(staff)
    client.get(reverse("activities:calendar"))  # warm the session
    with django_assert_max_num_queries(14):
        r = client.get(reverse("activities:calendar"), {"view": view, "site": site.pk,
                                                         "date": timezone.localdate().isoformat()})
    assert r.status_code == 200 and "城市夜话" in r.content.decode()


def test_list_page_query_count_is_bounded(client, staff, site, county, django_assert_max_num_queries):
    for i in range(15):
        activity(by=staff, site=site, title=f"活动{i}", start=timezone.now().replace(microsecond=0) + dt.timedelta(days=1, hours=i))
    user = resident(county["A1"])
    client.force_login(user)
    client.get(reverse("activities:list"))
    with django_assert_max_num_queries(11):  # +1: the notification bell
        assert client.get(reverse("activities:list")).status_code == 200


def test_ical_feed_lists_the_sites_activities(client, staff, site, occ):
    client.force_login(staff)
    r = client.get(reverse("activities:calendar"), {"site": site.pk})
    feed_url = r.context["ical"]
    client.logout()  # calendar apps do not log in
    body = client.get(feed_url).content.decode()
    assert body.startswith("BEGIN:VCALENDAR\r\n") and "SUMMARY:城市夜话" in body
    assert f"UID:occurrence-{occ.pk}@linli" in body and body.rstrip().endswith("END:VCALENDAR")
    assert client.get(reverse("activities:ical", args=[f"{site.pk}:forged"])).status_code == 404


def test_ledger_xlsx_is_generated_from_records_and_formula_safe(client, staff, site, county):
    from openpyxl import load_workbook

    occ = activity(by=staff, site=site, title="=HYPERLINK(\"http://x\")").occurrences.get()
    user = resident(county["A1"])
    services.registration_create(occurrence=occ, person=user.person, by=user)
    shift_to(occ, start=timezone.now() - dt.timedelta(minutes=5), end=timezone.now() + dt.timedelta(hours=1))
    services.check_in_by_code(occurrence=occ, code=occ.checkin_token, by=user)
    client.force_login(staff)
    _export, r = export_via_job(client, reverse("activities:ledger"),
                                {"month": timezone.localdate().strftime("%Y-%m"), "format": "xlsx"})
    ws = load_workbook(BytesIO(r.body)).active
    row = [c.value for c in ws[3]]
    assert row[3] == "'=HYPERLINK(\"http://x\")"
    assert row[8] == 1  # participants: one check-in


def test_residents_cannot_open_the_ledger(client, county):
    client.force_login(resident(county["A1"]))
    assert client.get(reverse("activities:ledger")).status_code == 403


def test_the_door_qr_code_scales_to_a_phone(client, occ, staff):
    """A viewBox and no fixed width: the code fills the phone's width instead of being cut off."""
    client.force_login(staff)
    body = client.get(reverse("activities:door", args=[occ.pk])).content.decode()
    qr = body.index('data-testid="door-qr"')
    svg = body[body.index("<svg", qr):body.index(">", body.index("<svg", qr))]
    assert "viewBox=" in svg and "width=" not in svg
