"""A long list on a phone loads its next page in place ("加载更多"); on a desktop it has page links.
Either way the total is shown and the filters stay."""

from playwright.sync_api import expect

from linli.accounts.models import Role
from linli.core.paging import PAGE_SIZE
from linli.core.testing import OrganizationFactory
from tests.e2e.conftest import login, shot


def test_a_long_list_pages_on_desktop_and_loads_more_on_a_phone(page, county, make_user):
    make_user(Role.Kind.COMMUNITY_STAFF, county["A"], username="wang")
    for i in range(PAGE_SIZE + 7):
        OrganizationFactory(division=county["A"], name=f"共建单位{i:02d}")
    login(page, "wang")
    page.goto("/orgs/?q=共建")
    rows = page.locator("#org-rows > tr")
    assert rows.count() == PAGE_SIZE
    assert f"共 {PAGE_SIZE + 7} 条" in page.locator(".pager-count").inner_text()
    if page.linli_viewport == "phone":
        assert page.locator("a[rel=next]").is_hidden()
        page.locator(".pager-more").click()
        expect(rows).to_have_count(PAGE_SIZE + 7)  # appended in place (no string eval: the CSP forbids it)
        assert page.locator(".pager-more").count() == 0  # the last page has no "more"
        assert page.url.endswith("/orgs/?q=%E5%85%B1%E5%BB%BA") or "page=" not in page.url
    else:
        with page.expect_navigation():
            page.locator("a[rel=next]").click()
        assert "q=" in page.url and "page=2" in page.url
        assert rows.count() == 7
    shot(page, "pager")
