"""Browser: a resident without an account finds a center from the login page — the directory, the
center's page, the activity calendar — at 390 px in Chinese and in English; and the county home draws
its charts (ECharts, served by the app) at phone and desktop width."""

import datetime as dt

import pytest
from django.utils import timezone

from linli.accounts.models import Role
from linli.activities.testing import activity
from linli.cases.models import Case, Kind, ServiceItem
from linli.core.testing import RoomFactory, SiteFactory, UserFactory, grant, open_all_week
from linli.places.models import Room
from tests.e2e.conftest import login, shot


@pytest.fixture
def center(county):
    site = SiteFactory(division=county["A"], name="东门邻里中心", address="东门路1号", lat=25.797, lng=114.552)
    open_all_week(site, dt.time(0, 0), dt.time(23, 59))
    room = RoomFactory(site=site, name="书吧", function=Room.Function.BOOK_BAR, capacity=30)
    staff = grant(UserFactory(username="wang"), Role.Kind.COMMUNITY_STAFF, county["A"])
    activity(by=staff, site=site, room=room, title="青年读书会", capacity=20)
    return site


@pytest.mark.parametrize("viewport", ["phone"])
@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_a_resident_finds_a_center_without_an_account(page, center, language):
    zh = language == "zh-hans"
    page.goto("/accounts/login/")
    if not zh:
        with page.expect_navigation():
            page.click("[data-testid=lang-switch]")
    page.click("[data-testid=find-center]")
    page.wait_for_selector("[data-testid=public-site]")
    assert page.evaluate("document.documentElement.lang") == ("zh-Hans" if zh else "en")
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 390
    card = page.locator("[data-testid=public-site]", has_text="东门邻里中心")
    assert ("正在开放" if zh else "Open now") in card.inner_text()
    shot(page, "public-directory")

    card.click()
    page.wait_for_selector("[data-testid=public-hours]")
    assert ("怎么去" if zh else "How to get there") in page.inner_text("[data-testid=public-directions]")
    amap = page.get_attribute("[data-testid=map-amap]", "href")
    assert amap.startswith("https://uri.amap.com/marker?position=") and "coordinate=gaode" in amap
    assert "书吧" in page.inner_text("[data-testid=public-rooms]")
    assert "青年读书会" in page.inner_text("[data-testid=public-upcoming]")
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 390
    shot(page, "public-center")

    page.click("[data-testid=public-nav] >> text=" + ("活动日历" if zh else "Activity calendar"))
    page.wait_for_selector("[data-testid=public-event]")
    assert "青年读书会" in page.inner_text("[data-testid=public-event]")
    assert page.get_attribute("[data-testid=public-ical]", "href").split("?")[0].endswith("/p/calendar.ics")
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 390
    shot(page, "public-calendar")


def test_the_county_home_draws_its_charts(page, county):
    grant(UserFactory(username="county_admin"), Role.Kind.COUNTY_ADMIN, county["county"])
    if not ServiceItem.objects.exists():  # the live server's tests flush the migrations' seed data
        import importlib

        from django.apps import apps

        importlib.import_module("linli.cases.migrations.0002_seed_catalogue").seed(apps, None)
    service = ServiceItem.objects.filter(kind=Kind.CONCERN).first()
    now = timezone.now()
    Case.objects.bulk_create([Case(kind=Kind.CONCERN, service=service, division=county["A" if i % 3 else "B"],
                                   title="t", description="d", created_at=now - dt.timedelta(days=9 * i))
                              for i in range(40)])
    login(page, "county_admin")
    page.wait_for_selector("[data-testid=charts] [data-drawn=true] svg")
    assert page.locator("[data-chart=month] svg").count() == 4
    assert page.locator("[data-chart=community] svg").count() == 1
    width = 390 if page.linli_viewport == "phone" else 1280
    assert page.evaluate("document.scrollingElement.scrollWidth") <= width
    text = page.inner_text("[data-testid=charts]")
    assert "按社区" in text and "受理的诉求与事项" in text
    page.locator("[data-testid=charts]").scroll_into_view_if_needed()
    shot(page, "home-charts")
