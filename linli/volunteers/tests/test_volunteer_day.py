"""A volunteer's home shows their upcoming shifts; the certificate names the person with 姓名, shows no
empty ID line and does not call the volunteer who printed it 经办人."""


import pytest
from django.urls import reverse
from django.utils import timezone

from linli.accounts.models import Role
from linli.activities.testing import activity
from linli.core.testing import SiteFactory
from linli.volunteers import services
from linli.volunteers.tests.test_pages_api import record, volunteer

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(county, make_user):
    return make_user(Role.Kind.COMMUNITY_STAFF, county["A"], display_name="王社工")


def test_the_volunteers_home_shows_upcoming_shifts_and_dispatched_orders(client, staff, county):
    v = volunteer(county)
    occ = activity(by=staff, site=SiteFactory(division=county["A"])).occurrences.get()
    shift = services.shift_create(occurrence=occ, by=staff, role="引导员", needed=2)
    services.shift_signup(shift=shift, volunteer=v, by=v.person.user)
    client.force_login(v.person.user)
    html = client.get("/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert 'data-testid="volunteer-work"' in html and "派给我的工单" in html and "引导员" in html


def test_the_certificate_labels_a_person_and_no_self_as_handler(client, staff, county):
    v = volunteer(county)
    record(staff, v)
    cert = services.certificate_issue(volunteer=v, by=v.person.user)
    client.force_login(v.person.user)
    html = client.get(reverse("volunteers:certificate", args=[cert.pk]), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "<dt>姓名</dt>" in html and "名称" not in html
    assert "经办人" not in html
    if not v.person.id_number_masked:
        assert "居民身份证" not in html


def test_a_certificate_issued_by_staff_names_them(client, staff, county):
    v = volunteer(county)
    record(staff, v)
    cert = services.certificate_issue(volunteer=v, by=staff)
    client.force_login(staff)
    html = client.get(reverse("volunteers:certificate", args=[cert.pk]), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "经办人：王社工" in html


def test_dates_on_the_volunteer_page_read_in_chinese(client, staff, county):
    v = volunteer(county)
    occ = activity(by=staff, site=SiteFactory(division=county["A"])).occurrences.get()
    shift = services.shift_create(occurrence=occ, by=staff, role="引导员", needed=2)
    services.shift_signup(shift=shift, volunteer=v, by=v.person.user)
    client.force_login(v.person.user)
    html = client.get("/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    start = timezone.localtime(shift.start)
    assert f"{start.month}月{start.day}日 周" in html
