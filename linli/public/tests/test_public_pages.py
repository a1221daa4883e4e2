"""The pages without login: open to anyone, in both languages, cached, and showing no one's personal data."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from linli.accounts.models import Role
from linli.activities import services as activities
from linli.activities.models import Activity
from linli.activities.testing import activity, future, shift_to
from linli.cases import services as cases
from linli.cases.models import ServiceItem
from linli.core.geo import wgs84_to_gcj02
from linli.core.testing import (
    HouseholdFactory,
    PersonFactory,
    RoomFactory,
    SiteFactory,
    UserFactory,
    grant,
    open_all_week,
)
from linli.people.models import Membership
from linli.places.models import OpeningException, Room
from linli.public import blocks, selectors


@pytest.fixture(autouse=True)
def own_cache(settings):
    """A cache of this test's own (never the shared Redis of a deployment)."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                                   "LOCATION": "public-pages-tests"}}
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def world(county):
    A = county["A"]
    site = SiteFactory(division=A, name="东门邻里中心", address="东门路1号", lat=25.797, lng=114.552,
                       contact_name="周站长", contact_phone="13912345678")
    open_all_week(site, dt.time(0, 0), dt.time(23, 59))
    room = RoomFactory(site=site, name="夜话室", function=Room.Function.NIGHT_TALK, capacity=40)
    RoomFactory(site=site, name="书吧", function=Room.Function.BOOK_BAR)
    staff = grant(UserFactory(username="staff_pub"), Role.Kind.COMMUNITY_STAFF, A)
    # A resident with everything a public page must never show: name, home address, phone.
    household = HouseholdFactory(division=county["A1"], address="幸福小区8栋302室")
    person = PersonFactory(division=county["A1"], name="欧阳春花", phone="13800138000")
    Membership.objects.create(household=household, person=person, relation=Membership.Relation.values[0],
                              start_date=dt.date(2020, 1, 1))
    user = grant(UserFactory(username="chunhua"), Role.Kind.RESIDENT, county["A1"])
    person.user = user
    person.save()
    club = activity(by=staff, site=site, room=room, title="青年读书会", capacity=20)
    activities.registration_create(occurrence=club.occurrences.get(), person=person, by=user)
    talk = activity(by=staff, site=site, room=room, title="城市夜话", kind=Activity.Kind.NIGHT_TALK, capacity=20,
                    start=future(96))
    occ = talk.occurrences.get()
    start = timezone.now() - dt.timedelta(days=2)
    shift_to(occ, start=start, end=start + dt.timedelta(hours=1))
    minuted = cases.night_talk_record(by=staff, occurrence=occ, opinions=[
        (ServiceItem.objects.get(code="opinion_traffic"), "希望增设公交站，联系13800138000")])
    opinion = cases.case_dispatch(case=minuted.opinions.get(), by=staff, assignee=staff)
    cases.case_close(case=opinion, by=staff, answer="已协调公交公司增设站点")
    return {"site": site, "person": person, "household": household, "staff": staff, "club": club, "opinion": opinion}


def pages(world):
    site = world["site"]
    return [reverse("public:directory"), reverse("public:site", args=[site.pk]), reverse("public:calendar"),
            reverse("public:calendar") + f"?community={site.division_id}", reverse("public:ical"),
            reverse("public:night_talks"), reverse("public:verify")]


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_public_pages_answer_anyone_without_login(client, world, language):
    client.cookies["django_language"] = language
    for url in pages(world):
        r = client.get(url)
        assert r.status_code == 200, url
        if "text/html" in r["Content-Type"]:
            assert f'lang="{"zh-Hans" if language == "zh-hans" else "en"}"' in r.content.decode()


def test_public_pages_show_no_personal_data(client, world):
    person, household, site = world["person"], world["household"], world["site"]
    secrets = [person.name, household.address, person.phone, site.contact_name, site.contact_phone,
               world["staff"].username]
    for language in ("zh-hans", "en"):
        client.cookies["django_language"] = language
        for url in pages(world):
            body = client.get(url).content.decode()
            for secret in secrets:
                assert secret not in body, (url, secret)
    # The opinion's phone number is masked, the opinion itself is published.
    body = client.get(reverse("public:night_talks")).content.decode()
    assert "希望增设公交站" in body and "138****8000" in body


def test_a_second_visit_is_served_from_the_cache(client, world):
    for url in pages(world):
        with CaptureQueriesContext(connection) as first:
            client.get(url)
        with CaptureQueriesContext(connection) as second:
            assert client.get(url).status_code == 200
        assert len(second) < len(first) or len(first) == 0, url
        assert len(second) == 0, (url, [q["sql"] for q in second])


def test_the_cache_keeps_each_language_apart(client, world):
    client.cookies["django_language"] = "zh-hans"
    assert "找中心" in client.get(reverse("public:directory")).content.decode()
    client.cookies["django_language"] = "en"
    body = client.get(reverse("public:directory")).content.decode()
    assert "Find a center" in body and "找中心" not in body


def test_the_center_page_shows_hours_rooms_activities_and_a_gcj02_map_link(client, world):
    site = world["site"]
    client.cookies["django_language"] = "en"
    body = client.get(reverse("public:site", args=[site.pk])).content.decode()
    assert "Open now" in body
    assert "夜话室" in body and "City night talks (城市夜话)" in body
    assert "青年读书会" in body
    glat, glng = wgs84_to_gcj02(site.lat, site.lng)
    assert f"position={glng:.6f},{glat:.6f}" in body and "coordinate=gaode" in body
    assert f"{glat:.6f}" != f"{site.lat:.6f}"  # the link is not the stored WGS-84 point


def test_a_missing_center_is_404(client, world):
    assert client.get(reverse("public:site", args=[world["site"].pk + 100])).status_code == 404


def test_open_now_follows_hours_and_exceptions(world):
    site = world["site"]
    tz = timezone.get_current_timezone()
    monday = timezone.localdate() - dt.timedelta(days=timezone.localdate().weekday()) + dt.timedelta(days=7)
    hours = {"weekly": {0: [(dt.time(8), dt.time(12)), (dt.time(14), dt.time(18))]}, "exceptions": {}}
    at = lambda h, m=0: dt.datetime.combine(monday, dt.time(h, m), tzinfo=tz)  # noqa: E731
    assert selectors.open_state(hours, at(9))["open"] is True
    lunch = selectors.open_state(hours, at(12, 30))
    assert lunch["open"] is False and lunch["next"] == dt.datetime.combine(monday, dt.time(14)) and lunch["next_is_today"]
    evening = selectors.open_state(hours, at(19))
    assert evening["next"] == dt.datetime.combine(monday + dt.timedelta(days=7), dt.time(8))
    hours["exceptions"][monday] = {"intervals": [], "note": "", "closed": True}
    assert selectors.open_state(hours, at(9))["open"] is False
    # A closed day set on the site reaches the public page's data.
    OpeningException.objects.create(site=site, date=timezone.localdate() + dt.timedelta(days=1), closed=True, note="节假日")
    assert selectors.site_page(site.pk)["exceptions"][0]["note"] == "节假日"


def test_the_ical_feed_is_valid_rfc5545(client, world):
    r = client.get(reverse("public:ical") + f"?site={world['site'].pk}")
    assert r["Content-Type"].startswith("text/calendar")
    body = r.content.decode()
    lines = body.split("\r\n")
    assert lines[0] == "BEGIN:VCALENDAR" and lines[-2] == "END:VCALENDAR" and lines[-1] == ""
    assert all(len(line.encode()) <= 75 for line in lines)
    assert "VERSION:2.0" in lines and "PRODID:-//Linli//Activities//ZH" in lines
    assert body.count("BEGIN:VEVENT") == body.count("END:VEVENT") == 1  # the coming date; the held talk is past
    unfolded = body.replace("\r\n ", "")
    assert "SUMMARY:青年读书会" in unfolded
    dtstart = next(line for line in unfolded.split("\r\n") if line.startswith("DTSTART:"))
    dt.datetime.strptime(dtstart[8:], "%Y%m%dT%H%M%SZ")


def test_the_calendar_lists_coming_dates_by_community(client, world, county):
    body = client.get(reverse("public:calendar") + f"?community={county['A'].pk}").content.decode()
    assert "青年读书会" in body
    body = client.get(reverse("public:calendar") + f"?community={county['B'].pk}").content.decode()
    assert "青年读书会" not in body


def test_night_talk_results_show_what_was_said_and_done(client, world):
    client.cookies["django_language"] = "en"
    body = client.get(reverse("public:night_talks")).content.decode()
    assert "城市夜话" in body and "You said: 希望增设公交站" in body and "1 of 1 opinions acted on" in body
    assert "We did: 已协调公交公司增设站点" in body


def test_the_certificate_check_leads_to_the_verification_page(client, world):
    r = client.get(reverse("public:verify"), {"code": "https://example.org/volunteers/verify/AbC-12_x/"})
    assert r.status_code == 302 and r["Location"] == reverse("volunteers:verify", args=["AbC-12_x"])
    r = client.get(reverse("public:verify"), {"code": "<script>"})
    assert r.status_code == 200 and "not a certificate" in r.content.decode() or "证书" in r.content.decode()


def test_login_and_site_pages_link_the_public_pages(client, world):
    assert reverse("public:directory") in client.get(reverse("accounts:login")).content.decode()
    client.force_login(world["staff"])
    body = client.get(reverse("places:site_detail", args=[world["site"].pk])).content.decode()
    assert reverse("public:site", args=[world["site"].pk]) in body


def test_a_feature_adds_its_block_to_the_center_page(client, world):
    """The canteen's hook: a registered block (here a stand-in menu) is shown on the center page."""
    saved = list(blocks._BLOCKS)
    try:
        blocks.register_site_block(order=50, template="public/tests/_menu_block.html",
                                   context=lambda site: {"dishes": ["红烧肉", "清炒时蔬"]} if site["pk"] else None)
        body = client.get(reverse("public:site", args=[world["site"].pk])).content.decode()
        assert "红烧肉" in body
    finally:
        blocks._BLOCKS[:] = saved


def test_public_pages_need_no_session(client, world):
    with translation.override("zh-hans"):
        r = client.get(reverse("public:directory"))
    assert r.status_code == 200 and "sessionid" not in r.cookies
