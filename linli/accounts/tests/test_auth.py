from django.urls import reverse

from linli.accounts.models import Role


def test_login_then_home(client, county, make_user):
    user = make_user(Role.Kind.VOLUNTEER, county["A"])
    r = client.post(reverse("accounts:login"), {"username": user.username, "password": "pass-word-123"})
    assert r.status_code == 302
    assert client.get(reverse("core:home")).status_code == 200


def test_pages_need_login(client, db):
    r = client.get(reverse("core:home"))
    assert r.status_code == 302 and reverse("accounts:login") in r["Location"]


def test_account_locks_after_repeated_failures(client, county, make_user, settings):
    settings.LINLI_LOGIN_MAX_FAILURES = 3
    user = make_user(Role.Kind.RESIDENT, county["A"])
    for _ in range(3):
        client.post(reverse("accounts:login"), {"username": user.username, "password": "wrong"})
    r = client.post(reverse("accounts:login"), {"username": user.username, "password": "pass-word-123"},
                    HTTP_ACCEPT_LANGUAGE="en")
    assert r.status_code == 200
    assert "locked" in r.content.decode()


def test_login_errors_are_in_chinese_by_default(client, db):
    r = client.post(reverse("accounts:login"), {"username": "nobody", "password": "x"})
    assert "请输入一个正确的" in r.content.decode()


def test_language_switch_sets_english(client, county, make_user):
    user = make_user(Role.Kind.RESIDENT, county["A"])
    client.force_login(user)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    page = client.get(reverse("core:home")).content.decode()
    assert 'lang="en"' in page and "Hello" in page
