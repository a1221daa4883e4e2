"""Bad input anywhere in the API gets a 4xx with a JSON body, never a 500 (every registered endpoint)."""

import json

import pytest
from django.test import Client

from linli.accounts.models import Role
from linli.api_urls import router


def _list_urls():
    return sorted({f"/api/{prefix}/" for prefix, _viewset, _basename in router.registry})


BAD_BODIES = [
    ("{not json", "application/json"),
    ("[]", "application/json"),
    (json.dumps({"name": "x" * 5000, "address": "y" * 5000, "division": 10**12, "start": "not a date",
                 "lat": "north", "lng": 1e308, "room": -1, "id_number": "1" * 40}), "application/json"),
    ("\x00\xff", "application/octet-stream"),
]


@pytest.fixture
def staff_client(county, make_user):
    client = Client()
    client.force_login(make_user(Role.Kind.COUNTY_ADMIN, county["county"]))
    return client


@pytest.mark.parametrize("url", _list_urls())
def test_anonymous_gets_401_json(client, db, url):
    r = client.get(url)
    assert r.status_code == 401 and r.headers["Content-Type"].startswith("application/json")


@pytest.mark.parametrize("url", _list_urls())
def test_bad_query_params_are_not_a_server_error(staff_client, url):
    r = staff_client.get(url, {"page": "x", "division": "abc", "start__gte": "yesterday", "room": "[1]",
                               "ordering": "-nonexistent", "limit": "-1"})
    assert r.status_code < 500
    r.json()


@pytest.mark.parametrize("url", _list_urls())
@pytest.mark.parametrize("body,content_type", BAD_BODIES)
def test_bad_bodies_get_a_4xx_json(staff_client, url, body, content_type):
    r = staff_client.generic("POST", url, body, content_type=content_type)
    assert 400 <= r.status_code < 500, (r.status_code, r.content[:300])
    r.json()


@pytest.mark.parametrize("url", _list_urls())
def test_unknown_object_is_a_404_json(staff_client, url):
    r = staff_client.get(f"{url}999999999/")
    assert r.status_code == 404
    r.json()


def _integer_filters():
    """(url, filter name) for every filter of every list endpoint that takes a number or an id."""
    import django_filters
    from django_filters.rest_framework import DjangoFilterBackend

    out = []
    for prefix, viewset, _basename in router.registry:
        view = viewset()
        view.request, view.format_kwarg, view.action = None, None, "list"
        queryset = getattr(viewset, "queryset", None)
        backend_classes = getattr(viewset, "filter_backends", ())
        if queryset is None or not any(issubclass(b, DjangoFilterBackend) for b in backend_classes):
            continue
        filterset_class = backend_classes[0]().get_filterset_class(view, queryset.all()) if backend_classes else None
        if filterset_class is None:
            continue
        for name, f in filterset_class.base_filters.items():
            if isinstance(f, django_filters.NumberFilter | django_filters.ModelChoiceFilter
                          | django_filters.ModelMultipleChoiceFilter):
                out.append((f"/api/{prefix}/", name))
    return sorted(out)


def test_every_endpoint_with_an_id_filter_is_checked():
    assert {("/api/persons/", "household"), ("/api/bookings/", "room"), ("/api/volunteers/", "teams"),
            ("/api/sites/", "division")} <= set(_integer_filters())


@pytest.mark.parametrize("url,name", _integer_filters())
def test_an_id_too_large_for_the_database_is_a_400(staff_client, url, name):
    r = staff_client.get(url, {name: "9" * 20})
    assert r.status_code == 400, (r.status_code, r.content[:300])
    assert name in r.json()


def test_persons_filter_by_address_is_not_a_server_error(staff_client):
    r = staff_client.get("/api/persons/", {"address": "x"})
    assert r.status_code == 200, r.content[:300]


def test_an_id_too_large_in_the_path_is_a_404(staff_client):
    r = staff_client.get(f"/api/persons/{'9' * 20}/")
    assert r.status_code == 404
    r.json()


@pytest.mark.parametrize("value", ["0144-03-20T07:03:20+18:17", "0001-01-01T00:00:00+00:00", "9999-12-31T23:59:59-14:30"])
def test_a_time_no_database_can_compare_is_a_400(staff_client, value):
    r = staff_client.get("/api/bookings/", {"start_after": value})
    assert r.status_code == 400, (r.status_code, r.content[:300])
