"""Residents in grids A1, A2 and B1 of the shared `county`, and a user per role."""

import datetime as dt

import pytest
from rest_framework.test import APIClient

from linli.accounts.models import Role
from linli.core.testing import HouseholdFactory, PersonFactory
from linli.people.models import Membership


@pytest.fixture(autouse=True)
def _plain_http(settings):
    settings.SECURE_SSL_REDIRECT = False


def resident_in(division, relation=Membership.Relation.HEAD, **kwargs):
    household = HouseholdFactory(division=division)
    person = PersonFactory(division=division, **kwargs)
    Membership.objects.create(household=household, person=person, relation=relation,
                              start_date=dt.date(2020, 1, 1))
    return household, person


@pytest.fixture
def homes(county):
    """{"A1": (household, person), "A2": ..., "B1": ...}"""
    return {g: resident_in(county[g]) for g in ("A1", "A2", "B1")}


@pytest.fixture
def users(county, homes, make_user):
    K = Role.Kind
    out = {
        "county_admin": make_user(K.COUNTY_ADMIN, county["county"]),
        "community_staff": make_user(K.COMMUNITY_STAFF, county["A"]),
        "site_manager": make_user(K.SITE_MANAGER, county["A"]),
        "grid_worker": make_user(K.GRID_WORKER, county["A1"]),
        "volunteer": make_user(K.VOLUNTEER, county["A"]),
        "resident": make_user(K.RESIDENT, county["A"]),
        "no_role": make_user(),
        "anonymous": None,
    }
    person = homes["A1"][1]
    person.user = out["resident"]
    person.save(update_fields=["user"])
    return out


@pytest.fixture
def api():
    def make(user=None):
        client = APIClient()
        if user is not None:
            client.force_authenticate(user)
        return client

    return make
