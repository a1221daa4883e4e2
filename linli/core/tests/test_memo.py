"""A read memoised with core.memo.per_request is answered once per GET request, and afresh outside a
request, during a POST and in the next request."""

import pytest
from django.db import connection
from django.http import HttpResponse
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from linli.activities.testing import resident
from linli.core.memo import RequestMemoMiddleware, per_request
from linli.volunteers import services
from linli.volunteers.models import Team

pytestmark = pytest.mark.django_db

calls = []


@per_request
def _answer(user, *, n=0):
    calls.append((user.pk, n))
    return (user.pk, n)


def _through_middleware(method, fn):
    request = getattr(RequestFactory(), method)("/")
    return RequestMemoMiddleware(lambda r: fn() or HttpResponse())(request)


def test_answers_once_per_get_request_by_arguments(county):
    a, b = resident(county["A1"]), resident(county["B1"])
    calls.clear()

    def page():
        assert _answer(a) == (a.pk, 0)
        assert _answer(type(a).objects.get(pk=a.pk)) == (a.pk, 0)  # another instance of the same row
        assert _answer(b) == (b.pk, 0)
        assert _answer(a, n=1) == (a.pk, 1)

    _through_middleware("get", page)
    assert calls == [(a.pk, 0), (b.pk, 0), (a.pk, 1)]
    _through_middleware("get", page)  # the next request reads again
    assert len(calls) == 6


def test_reads_afresh_outside_a_request_and_during_a_post(county):
    a = resident(county["A1"])
    calls.clear()
    _answer(a), _answer(a)
    assert len(calls) == 2
    _through_middleware("post", lambda: (_answer(a), _answer(a)) and None)
    assert len(calls) == 4


def test_the_volunteers_home_reads_the_volunteer_once(county, client):
    user = resident(county["A1"])
    services.volunteer_register(person=user.person, by=user, teams=Team.objects.filter(code="party_member"))
    client.force_login(user)
    client.get("/")
    with CaptureQueriesContext(connection) as ctx:
        response = client.get("/")
    assert response.status_code == 200
    reads = [q["sql"] for q in ctx.captured_queries
             if q["sql"].startswith('SELECT "volunteers_volunteer"."id"') and '"people_person"."user_id"' in q["sql"]]
    assert len(reads) == 1, reads  # the volunteers', the cases' and the classroom's blocks share one read
