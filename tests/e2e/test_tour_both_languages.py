"""Every main section renders for staff in Chinese and in English, at phone and desktop width."""

import pytest

from linli.accounts.models import Role
from linli.core.nav import nav_for
from linli.core.testing import RoomFactory, SiteFactory, open_all_week
from tests.e2e.conftest import login, shot


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_every_section_renders_in_both_languages(page, county, make_user, language):
    staff = make_user(Role.Kind.COMMUNITY_STAFF, county["A"], username="tour")
    site = SiteFactory(division=county["A"], name="东门邻里中心")
    open_all_week(site)
    RoomFactory(site=site, name="书吧")
    login(page, "tour")
    if language == "en":
        with page.expect_navigation():
            page.click("[data-testid=lang-switch]")
    items, _ = nav_for(staff, "/")
    assert len(items) >= 8
    for item in items:
        response = page.goto(item["url"])
        assert response.status == 200, item["url"]
        assert page.locator("html").get_attribute("lang") == ("en" if language == "en" else "zh-Hans")
        nav = page.inner_text(".topnav") if page.linli_viewport == "desktop" else page.inner_text(".bottombar")
        has_chinese = any("\u4e00" <= ch <= "\u9fff" for ch in nav)
        assert has_chinese == (language != "en"), (item["url"], nav)
        shot(page, f"tour-{item['key']}")
