"""THE RULE under load: every failed sign-in counts, even when they arrive together. 8 wrong passwords
sent as 4 simultaneous pairs (real clients, each its own connection) lock the pair at a limit of 8."""

import threading

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from linli.accounts.models import LoginThrottle, Role

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql",
                       reason="needs PostgreSQL (row locks between real connections); runs in the PostgreSQL CI run"),
]


def _pair(username, errors):
    barrier = threading.Barrier(2)

    def one():
        try:
            connection.ensure_connection()
            barrier.wait(timeout=30)
            Client().post(reverse("accounts:login"), {"username": username, "password": "wrong"},
                          REMOTE_ADDR="203.0.113.5")
        except Exception as e:  # shown by the test
            errors.append(e)
        finally:
            connection.close()

    threads = [threading.Thread(target=one) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


@pytest.mark.parametrize("exists", [True, False])
def test_eight_simultaneous_failures_in_pairs_lock_the_pair(county, make_user, settings, exists):
    settings.LINLI_LOGIN_MAX_FAILURES = 8
    user = make_user(Role.Kind.RESIDENT, county["A"])
    name = user.username if exists else "no-such-user"
    errors = []
    for _ in range(4):
        _pair(name, errors)
    assert not errors, errors
    row = LoginThrottle.objects.get()
    assert row.locked_until is not None, f"only {row.failures} of 8 failures counted"
    r = Client().post(reverse("accounts:login"), {"username": name, "password": "pass-word-123"},
                      REMOTE_ADDR="203.0.113.5", HTTP_ACCEPT_LANGUAGE="en")
    assert r.status_code == 200 and "locked" in r.content.decode()
