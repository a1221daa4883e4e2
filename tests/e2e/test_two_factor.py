from django_otp.plugins.otp_totp.models import TOTPDevice

from linli.accounts import twofactor
from linli.accounts.models import Role
from tests.e2e.conftest import shot


def test_an_administrator_enrols_on_first_sign_in_then_types_a_code(page, county, make_user):
    make_user(Role.Kind.COUNTY_ADMIN, county["county"], username="li")
    page.goto("/accounts/login/")
    page.fill("input[name=username]", "li")
    page.fill("input[name=password]", "pass-word-123")
    with page.expect_navigation():
        page.click("main button[type=submit]")
    assert "/accounts/2fa/setup/" in page.url
    assert page.locator("[data-testid=\"2fa-qr\"] svg").count() == 1
    shot(page, "2fa-setup")
    device = TOTPDevice.objects.get(user__username="li", confirmed=False)
    page.fill("input[name=code]", twofactor.current_code(device))
    with page.expect_navigation():
        page.click("main form[data-testid=\"2fa-setup\"] button[type=submit]")
    assert page.locator("[data-testid=recovery-codes] li").count() == twofactor.RECOVERY_CODES
    shot(page, "2fa-recovery-codes")
    with page.expect_navigation():
        page.click("[data-testid=continue]")
    assert "/accounts/" not in page.url
