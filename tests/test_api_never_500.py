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
