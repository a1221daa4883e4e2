"""The idle time-out (linli.core.sessions, decision 0030): a signed-in user's request writes the session
only when its last renewal is a renewal interval old; the expiry then moves forward with the cookie's;
an idle session still ends; anonymous requests and stale cookies store nothing."""

import datetime as dt
import time

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from linli.core.sessions import RENEWED
from linli.core.testing import UserFactory

pytestmark = pytest.mark.django_db


def _session_writes(client, path="/healthz"):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(path)
    writes = [q["sql"] for q in ctx.captured_queries
              if "django_session" in q["sql"] and q["sql"].lstrip().upper().startswith(("UPDATE", "INSERT"))]
    return response, writes


def _age_renewal(client, seconds):
    """Pretend the session was last renewed `seconds` ago (and its expiry set then)."""
    session = client.session
    session[RENEWED] = int(time.time()) - seconds
    session.save()
    Session.objects.filter(pk=session.session_key).update(
        expire_date=timezone.now() + dt.timedelta(seconds=settings.SESSION_COOKIE_AGE - seconds))
    return Session.objects.get(pk=session.session_key).expire_date


def test_a_signed_in_request_writes_the_session_once_a_renewal_interval(client):
    client.force_login(UserFactory())
    client.get("/")  # the first request after sign-in records the renewal
    response, writes = _session_writes(client, "/")
    assert response.status_code == 200
    assert writes == []  # renewed a moment ago: a read is only a read
    assert settings.SESSION_COOKIE_NAME not in response.cookies

    before = _age_renewal(client, settings.LINLI_SESSION_RENEW_SECONDS + 1)
    response, writes = _session_writes(client, "/")
    assert len(writes) == 1
    after = Session.objects.get(pk=client.session.session_key).expire_date
    assert (after - before).total_seconds() >= settings.LINLI_SESSION_RENEW_SECONDS
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert int(cookie["max-age"]) == settings.SESSION_COOKIE_AGE
    _, writes = _session_writes(client, "/")
    assert writes == []


def test_just_before_the_interval_nothing_is_written(client):
    client.force_login(UserFactory())
    before = _age_renewal(client, settings.LINLI_SESSION_RENEW_SECONDS - 5)
    _, writes = _session_writes(client, "/")
    assert writes == []
    assert Session.objects.get(pk=client.session.session_key).expire_date == before


def test_an_idle_session_ends_within_the_time_out(client):
    user = UserFactory()
    client.force_login(user)
    _age_renewal(client, settings.SESSION_COOKIE_AGE + 1)  # expired in the database
    response = client.get("/")
    assert response.status_code == 302 and "/accounts/login" in response["Location"]


def test_anonymous_requests_store_no_session(client):
    response, writes = _session_writes(client, "/healthz")
    assert response.status_code == 200 and writes == []
    assert Session.objects.count() == 0


def test_a_stale_cookie_creates_no_session(client):
    client.cookies[settings.SESSION_COOKIE_NAME] = "x" * 32  # expired or never issued
    response, writes = _session_writes(client, "/healthz")
    assert writes == [] and Session.objects.count() == 0


def test_signing_in_records_the_renewal_and_logging_out_stores_nothing(client):
    user = UserFactory()
    response = client.post("/accounts/login/", {"username": user.username, "password": "pass-word-123"})
    assert response.status_code == 302
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    stored = Session.objects.get(pk=key).get_decoded()
    assert abs(stored[RENEWED] - time.time()) < 60  # saved with the sign-in, not on a later read
    _, writes = _session_writes(client, "/")
    assert writes == []
    client.post("/accounts/logout/")
    assert not Session.objects.filter(pk=key).exists()
    _, writes = _session_writes(client, "/healthz")
    assert writes == [] and Session.objects.count() == 0


def test_a_renewal_interval_longer_than_the_time_out_is_cut_to_half_of_it(client, settings):
    settings.LINLI_SESSION_RENEW_SECONDS = 10 * settings.SESSION_COOKIE_AGE
    client.force_login(UserFactory())
    _age_renewal(client, settings.SESSION_COOKIE_AGE // 2 + 1)  # still signed in, half the time-out idle
    response, writes = _session_writes(client, "/")
    assert response.status_code == 200 and len(writes) == 1
