"""Browser tests: Playwright drives Debian's Chromium (/usr/bin/chromium), headless, at phone width
(390 px) and desktop width (1280 px). Screenshots go to artifacts/screenshots/ (kept by CI)."""

import os
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in this thread; the ORM calls made by fixtures here are
# plain synchronous calls that Django would otherwise refuse inside it.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("LINLI_CHROMIUM", "/usr/bin/chromium")
SHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
VIEWPORTS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 860}}


def pytest_collection_modifyitems(items):
    for item in items:
        if "/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync"])
        yield b
        b.close()


@pytest.fixture(params=["phone", "desktop"])
def viewport(request):
    return request.param


@pytest.fixture
def page(browser, viewport, live_server):
    context = browser.new_context(viewport=VIEWPORTS[viewport], locale="zh-CN", base_url=live_server.url,
                                  is_mobile=viewport == "phone", has_touch=viewport == "phone")
    context.set_default_timeout(15000)
    pg = context.new_page()
    # Nothing may come from the internet: every request goes to the live server.
    external = []
    pg.on("request", lambda req: external.append(req.url) if not req.url.startswith(live_server.url)
          and not req.url.startswith("data:") else None)
    pg.linli_viewport = viewport
    yield pg
    context.close()
    assert not external, f"requests left the app: {external}"


def shot(page, name: str) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    lang = page.evaluate("document.documentElement.lang")
    path = SHOTS / f"{name}-{lang}-{page.linli_viewport}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def login(page, username: str, password: str = "pass-word-123"):
    page.goto("/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    with page.expect_navigation():
        page.click("main button[type=submit]")
    assert "/accounts/login" not in page.url, "login failed"
    if "/accounts/2fa/" in page.url:
        second_factor(page, username)


def second_factor(page, username: str):
    """Type the code an authenticator app would show (enrolling first if the page asks), as a person
    with the app would. The code is computed from the device the page made for the user."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from linli.accounts import twofactor

    enrolling = "/accounts/2fa/setup/" in page.url
    device = TOTPDevice.objects.filter(user__username=username, confirmed=not enrolling).first()
    # Two sign-ins within one 30-second step would reuse a code, which a device refuses.
    TOTPDevice.objects.filter(pk=device.pk).update(last_t=-1)
    device.refresh_from_db()
    page.fill("input[name=code]", twofactor.current_code(device))
    with page.expect_navigation():
        page.click("main form[data-testid^=\"2fa\"] button[type=submit]")
    if enrolling:
        with page.expect_navigation():
            page.click("[data-testid=continue]")
    assert "/accounts/2fa/" not in page.url and "/accounts/login" not in page.url, "second factor failed"
