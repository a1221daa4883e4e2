"""Browser, phone width (390 px), in Chinese: the bell shows a guardian's unread count on every page; the
inbox lists the messages (a refused pick-up first, marked as a safety alert); marking one and then all
as read empties the bell; nothing is wider than the phone."""

import pytest

from linli.classroom.testing import guardian
from linli.notifications import services
from tests.e2e.conftest import login, shot


@pytest.fixture
def viewport():
    return "phone"


def test_bell_and_inbox_in_chinese_on_a_phone(page, county):
    mum = guardian(county["A1"], username="mama", phone="13912345678")
    services.notify(recipient=mum, key="classroom.checked_in",
                    params={"child": "王小明", "site": "东门邻里中心", "time": "16:35"})
    services.notify(recipient=mum, key="classroom.refused", safety=True,
                    params={"child": "王小明", "site": "东门邻里中心", "time": "17:50", "claimed": "陌生男子",
                            "reason": "not_listed"})

    login(page, "mama")
    assert page.locator("[data-testid=bell-count]").inner_text() == "2"
    page.goto("/activities/")
    assert page.locator("[data-testid=bell-count]").inner_text() == "2"  # on every page

    page.click("[data-testid=bell]")
    page.wait_for_selector("[data-testid=inbox]")
    items = page.locator("[data-testid=notification]")
    assert items.count() == 2
    assert "安全提醒" in items.nth(0).inner_text() and "陌生男子" in items.nth(0).inner_text()
    assert "王小明 已到达东门邻里中心" in items.nth(1).inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, "notifications-inbox")

    with page.expect_navigation():
        items.nth(1).locator("[data-testid=mark-read]").click()
    assert page.locator("[data-testid=bell-count]").inner_text() == "1"
    with page.expect_navigation():
        page.click("[data-testid=read-all]")
    assert page.locator("[data-testid=bell-count]").count() == 0
    assert "已将 1 条消息标为已读" in page.locator(".messages").inner_text()

    page.click("[data-testid=notif-settings]")
    assert page.locator("[data-testid=phone-masked]").inner_text() == "139****5678"
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, "notifications-settings")
