"""Two-factor sign-in: required for superusers, administrators and whoever may see full personal data;
enrolment on first sign-in with a QR code and recovery codes; enforced on pages, the admin and the API."""

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

from linli.accounts import twofactor
from linli.accounts.models import Role, User
from linli.core.testing import force_login_password_only


def _sign_in(client, user):
    return client.post(reverse("accounts:login"), {"username": user.username, "password": "pass-word-123"})


def _code(device):
    # A code may be used once per 30 s, and a wrong one holds the device for a second or more.
    TOTPDevice.objects.filter(pk=device.pk).update(last_t=-1, throttling_failure_count=0,
                                                   throttling_failure_timestamp=None)
    device.refresh_from_db()
    return twofactor.current_code(device)


@pytest.mark.parametrize("kind", [Role.Kind.COUNTY_ADMIN, Role.Kind.COMMUNITY_STAFF])
def test_roles_that_see_full_personal_data_need_a_second_factor(client, county, make_user, kind):
    user = make_user(kind, county["A"])
    _sign_in(client, user)
    r = client.get(reverse("core:home"))
    assert r.status_code == 302 and r["Location"].startswith(reverse("accounts:2fa_setup"))


def test_the_rule_follows_the_full_personal_data_setting(county, make_user, settings):
    tutor = make_user(Role.Kind.TUTOR, county["A"])
    assert not twofactor.two_factor_required(tutor)
    settings.LINLI_FULL_PERSONAL_DATA_ROLES = [*settings.LINLI_FULL_PERSONAL_DATA_ROLES, "tutor"]
    assert twofactor.two_factor_required(tutor)


def test_a_resident_signs_in_with_the_password_alone(client, county, make_user):
    user = make_user(Role.Kind.RESIDENT, county["A1"])
    _sign_in(client, user)
    assert client.get(reverse("core:home")).status_code == 200


def test_enrolment_shows_a_qr_code_then_gives_recovery_codes(client, county, make_user):
    user = make_user(Role.Kind.COUNTY_ADMIN, county["county"])
    _sign_in(client, user)
    page = client.get(reverse("accounts:2fa_setup"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "<svg" in page and 'data-testid="2fa-secret"' in page
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    r = client.post(reverse("accounts:2fa_setup"), {"code": "000000" if _code(device) != "000000" else "111111"})
    assert r.status_code == 200 and not TOTPDevice.objects.get(pk=device.pk).confirmed
    r = client.post(reverse("accounts:2fa_setup"), {"code": _code(device), "next": "/"})
    assert len(r.context["codes"]) == twofactor.RECOVERY_CODES
    assert client.get(reverse("core:home")).status_code == 200


def test_a_wrong_code_keeps_the_session_held(client, county, make_user):
    user = make_user(Role.Kind.COMMUNITY_STAFF, county["A"])
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    _sign_in(client, user)
    wrong = "123456" if _code(device) != "123456" else "654321"
    r = client.post(reverse("accounts:2fa_verify"), {"code": wrong})
    assert r.status_code == 200 and r.context["form"].errors
    assert client.get(reverse("core:home")).status_code == 302


def test_the_right_code_or_a_recovery_code_passes(client, county, make_user):
    user = make_user(Role.Kind.COMMUNITY_STAFF, county["A"])
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    codes = twofactor.recovery_codes_new(user=user)
    _sign_in(client, user)
    assert client.post(reverse("accounts:2fa_verify"), {"code": _code(device)}).status_code == 302
    assert client.get(reverse("core:home")).status_code == 200
    client.logout()
    _sign_in(client, user)
    assert client.post(reverse("accounts:2fa_verify"), {"code": codes[0]}).status_code == 302
    assert client.get(reverse("core:home")).status_code == 200
    client.logout()
    _sign_in(client, user)  # a recovery code works once
    assert client.post(reverse("accounts:2fa_verify"), {"code": codes[0]}).status_code == 200


def test_the_admin_needs_the_second_factor_too(client, db):
    admin = User.objects.create_superuser("root", password="pass-word-123")
    force_login_password_only(client, admin)
    r = client.get("/admin/")
    assert r.status_code == 302 and reverse("accounts:2fa_setup") in r["Location"]
    client.force_login(admin)  # the test helper: password and second factor
    assert client.get("/admin/").status_code == 200


def test_an_unverified_session_gets_no_personal_data_from_the_api(client, county, make_user):
    user = make_user(Role.Kind.COMMUNITY_STAFF, county["A"])
    force_login_password_only(client, user)
    r = client.get("/api/persons/")
    assert r.status_code == 403 and "detail" in r.json()


def test_a_token_needs_the_second_factor(county, make_user):
    user = make_user(Role.Kind.COMMUNITY_STAFF, county["A"])
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    api = APIClient()
    r = api.post("/api/token/", {"username": user.username, "password": "pass-word-123"}, format="json")
    assert r.status_code == 400 and "otp" in r.json()
    r = api.post("/api/token/", {"username": user.username, "password": "pass-word-123",
                                 "otp": _code(device)}, format="json")
    assert r.status_code == 200 and r.json()["token"]


def test_switching_it_off_is_a_deploy_warning(settings):
    settings.LINLI_2FA_REQUIRED = False
    with pytest.raises(SystemCheckError, match="linli.W001"):
        call_command("check", "--deploy", "--fail-level", "WARNING", tags=["security"])


def test_it_is_on_by_default():
    from django.conf import settings as s

    assert s.LINLI_2FA_REQUIRED is True
