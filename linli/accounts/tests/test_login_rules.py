"""Sign-in rules (issue 16, defect 6): the lock is counted per (username, address), reads the same for
names that exist and names that don't, never reaches a user from another address, and API tokens
expire and die with a lock, a new password or a change of roles."""

import datetime as dt

from django.urls import reverse
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from linli.accounts.models import Role
from linli.core.testing import grant


def _login(client, username, password, ip="10.0.0.1"):
    return client.post(reverse("accounts:login"), {"username": username, "password": password},
                       REMOTE_ADDR=ip, HTTP_ACCEPT_LANGUAGE="en")


def _message(response) -> str:
    form = response.context["form"]
    return " ".join(form.non_field_errors())


def test_the_lock_reads_the_same_for_an_existing_and_an_unknown_account(client, county, make_user, settings):
    settings.LINLI_LOGIN_MAX_FAILURES = 3
    user = make_user(Role.Kind.RESIDENT, county["A"])
    for name in (user.username, "nobody-here"):
        replies = [_message(_login(client, name, "wrong")) for _ in range(4)]
        assert "locked" in replies[2] and "locked" in replies[3], replies
    same = [_message(_login(client, name, "wrong")) for name in (user.username, "nobody-here")]
    assert same[0] == same[1]


def test_a_locked_pair_refuses_even_the_right_password(client, county, make_user, settings):
    settings.LINLI_LOGIN_MAX_FAILURES = 3
    user = make_user(Role.Kind.RESIDENT, county["A"])
    for _ in range(3):
        _login(client, user.username, "wrong")
    r = _login(client, user.username, "pass-word-123")
    assert r.status_code == 200 and "locked" in _message(r)


def test_nobody_locks_out_an_account_from_another_address(client, county, make_user, settings):
    settings.LINLI_LOGIN_MAX_FAILURES = 3
    admin = make_user(Role.Kind.RESIDENT, county["A"], username="admin")
    for _ in range(10):
        _login(client, "admin", "wrong", ip="203.0.113.9")
    r = _login(client, admin.username, "pass-word-123", ip="10.0.0.2")
    assert r.status_code == 302


def test_a_forged_forwarded_for_header_does_not_dodge_the_lock(client, county, make_user, settings):
    settings.LINLI_LOGIN_MAX_FAILURES = 3
    user = make_user(Role.Kind.RESIDENT, county["A"])
    for i in range(3):
        client.post(reverse("accounts:login"), {"username": user.username, "password": "wrong"},
                    REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR=f"198.51.100.{i}")
    r = client.post(reverse("accounts:login"), {"username": user.username, "password": "pass-word-123"},
                    REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR="198.51.100.77")
    assert r.status_code == 200


def test_a_success_clears_the_count(client, county, make_user, settings):
    settings.LINLI_LOGIN_MAX_FAILURES = 3
    user = make_user(Role.Kind.RESIDENT, county["A"])
    _login(client, user.username, "wrong")
    _login(client, user.username, "wrong")
    assert _login(client, user.username, "pass-word-123").status_code == 302
    client.logout()
    _login(client, user.username, "wrong")
    _login(client, user.username, "wrong")
    assert _login(client, user.username, "pass-word-123").status_code == 302


def _token(user):
    r = APIClient().post("/api/token/", {"username": user.username, "password": "pass-word-123"}, format="json")
    assert r.status_code == 200, r.content
    return r.json()["token"]


def _me(token):
    return APIClient(HTTP_AUTHORIZATION=f"Token {token}").get("/api/divisions/")


def test_a_token_expires_after_the_ttl(county, make_user, settings):
    settings.LINLI_TOKEN_TTL = 3600
    user = make_user(Role.Kind.RESIDENT, county["A"])
    token = _token(user)
    assert _me(token).status_code == 200
    Token.objects.filter(key=token).update(created=timezone.now() - dt.timedelta(seconds=3601))
    assert _me(token).status_code == 401
    assert _token(user) != token  # a new sign-in gets a new token


def test_a_token_dies_with_a_new_password(county, make_user):
    user = make_user(Role.Kind.RESIDENT, county["A"])
    token = _token(user)
    user.set_password("another-pass-456")
    user.save()
    assert _me(token).status_code == 401


def test_a_token_is_refused_while_the_account_is_locked(county, make_user):
    user = make_user(Role.Kind.RESIDENT, county["A"])
    token = _token(user)
    user.locked_until = timezone.now() + dt.timedelta(hours=1)
    user.save(update_fields=["locked_until"])
    assert _me(token).status_code == 401


def test_a_token_dies_when_the_roles_change(county, make_user):
    user = make_user(Role.Kind.RESIDENT, county["A"])
    token = _token(user)
    grant(user, Role.Kind.VOLUNTEER, county["A"])
    assert _me(token).status_code == 401


def test_a_change_of_roles_ends_the_users_sessions(client, county, make_user):
    user = make_user(Role.Kind.COMMUNITY_STAFF, county["A"])
    client.force_login(user)
    assert client.get(reverse("core:home")).status_code == 200
    Role.objects.filter(user=user).delete()
    r = client.get(reverse("core:home"))
    assert r.status_code == 302 and reverse("accounts:login") in r["Location"]


def test_the_token_endpoint_is_rate_limited(county, make_user, settings):
    settings.LINLI_RATE_LIMITS = {**settings.LINLI_RATE_LIMITS, "token": "3/60"}
    from django.core.cache import cache

    cache.clear()
    api = APIClient(REMOTE_ADDR="10.9.9.9")
    codes = [api.post("/api/token/", {"username": "x", "password": "y"}, format="json").status_code
             for _ in range(4)]
    assert codes[:3] == [400, 400, 400] and codes[3] == 429
    assert "detail" in api.post("/api/token/", {"username": "x", "password": "y"}, format="json").json()


def test_login_page_is_rate_limited_per_address(client, db, settings):
    settings.LINLI_RATE_LIMITS = {**settings.LINLI_RATE_LIMITS, "login": "3/60"}
    from django.core.cache import cache

    cache.clear()
    codes = [_login(client, f"u{i}", "x", ip="10.8.8.8").status_code for i in range(4)]
    assert codes[:3] == [200, 200, 200] and codes[3] == 429
