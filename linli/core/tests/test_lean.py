"""The lean API lists (decision 0027) answer exactly what the serializers answer: for every lean list,
every demo login, a few pages, page sizes and filters, the JSON body is the same with `lean` on and
off, and the lean one costs no more queries."""

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import resolve

from linli.core.lean import LeanListMixin, build_plan
from linli.demo import generator

pytestmark = pytest.mark.django_db

LISTS = ["/api/persons/", "/api/households/", "/api/cases/", "/api/activities/", "/api/registrations/",
         "/api/visits/", "/api/service-records/", "/api/classroom/attendances/"]
VARIANTS = ["", "?page=2", "?page_size=7&page=3", "?page=last"]
FILTERS = {"/api/persons/": ["?care_tag=living_alone_elderly", "?name=李", "?address=号"],
           "/api/households/": ["?address=号"],
           "/api/cases/": ["?status=closed", "?kind=concern"],
           "/api/registrations/": ["?status=confirmed"],
           "/api/classroom/attendances/": ["?kind=release"]}


def _viewset(path):
    return resolve(path).func.cls


def _both(client, url, monkeypatch):
    cls = _viewset(url.split("?")[0])
    client.get(url)  # the user's grants and scope cached, the plan built: both are then measured warm
    with CaptureQueriesContext(connection) as lean_q:
        lean = client.get(url)
    monkeypatch.setattr(cls, "lean", False)
    with CaptureQueriesContext(connection) as full_q:
        full = client.get(url)
    monkeypatch.setattr(cls, "lean", True)
    return lean, full, len(lean_q), len(full_q)


def test_every_lean_list_answers_what_its_serializer_answers(monkeypatch):
    logins = generator.build(households_per_grid=6)
    users = get_user_model().objects.filter(username__in=[login.username for login in logins])
    assert all(issubclass(_viewset(path), LeanListMixin) for path in LISTS)
    compared = 0
    for user in users:
        client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
        client.force_login(user)
        for path in LISTS:
            for query in VARIANTS + FILTERS.get(path, []):
                lean, full, lean_queries, full_queries = _both(client, path + query, monkeypatch)
                assert lean.status_code == full.status_code, (user.username, path + query)
                if full.status_code != 200:
                    continue
                assert lean.json() == full.json(), (user.username, path + query)
                assert lean_queries <= full_queries, (user.username, path + query)
                compared += bool(full.json()["results"])
    assert compared > 100  # the demo gives most roles rows on most lists


def test_a_serializer_field_the_plan_cannot_read_must_be_named():
    from django.core.exceptions import ImproperlyConfigured
    from rest_framework import serializers

    from linli.people.models import Person

    class WithAProperty(serializers.ModelSerializer):
        phone_masked = serializers.CharField(read_only=True)  # a property, not a column

        class Meta:
            model = Person
            fields = ["id", "name", "phone_masked"]

    with pytest.raises(ImproperlyConfigured, match="phone_masked"):
        build_plan(WithAProperty(), computed={})
    plan = build_plan(WithAProperty(), computed={"phone_masked": ("phone",)})
    assert "phone" in plan.lookups and [c.name for c in plan.columns] == ["id", "name"]
