from linli.accounts.models import Role
from linli.core.testing import SiteFactory
from tests.e2e.conftest import login, shot


def test_log_in_and_switch_language(page, county, make_user):
    user = make_user(Role.Kind.COMMUNITY_STAFF, county["A"], username="wang")
    page.goto("/accounts/login/")
    assert page.locator("html").get_attribute("lang") == "zh-Hans"
    assert "登录" in page.content()
    shot(page, "login")
    login(page, user.username)
    assert "你好" in page.inner_text("main")
    shot(page, "home")
    page.click("[data-testid=lang-switch]")
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"
    assert "Hello" in page.inner_text("main")
    shot(page, "home")


def test_map_draws_sites_without_internet(page, county, make_user):
    user = make_user(Role.Kind.COUNTY_ADMIN, county["county"], username="li")
    SiteFactory(division=county["A"], name="东门邻里中心", lat=25.79, lng=114.54)
    SiteFactory(division=county["B"], name="南门邻里中心", lat=25.78, lng=114.55)
    login(page, user.username)
    page.goto("/map/")
    page.wait_for_selector(".leaflet-interactive")
    assert page.locator("path.leaflet-interactive").count() == 2
    shot(page, "map")
