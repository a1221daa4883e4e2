"""Households in grids A1, A2 and B1 of the shared `county` (with care tags), a user per role, and
helpers to build workbooks for the register import."""

import datetime as dt
import io

import pytest
from django.utils import translation
from openpyxl import Workbook
from rest_framework.test import APIClient

from linli.accounts.models import Role
from linli.core.testing import HouseholdFactory, PersonFactory
from linli.people.models import CareTag, Membership


@pytest.fixture(autouse=True)
def _plain_http(settings, tmp_path):
    settings.SECURE_SSL_REDIRECT = False
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.LINLI_GRIDS_IMPORT_INLINE = True  # the register import commits in the test's thread
    # Messages are asserted in English (the source language); pages pick the language per request.
    with translation.override("en"):
        yield


def resident_in(division, relation=Membership.Relation.HEAD, tags=(), lat=None, lng=None, **kwargs):
    household = HouseholdFactory(division=division, lat=lat, lng=lng)
    person = PersonFactory(division=division, **kwargs)
    Membership.objects.create(household=household, person=person, relation=relation, start_date=dt.date(2020, 1, 1))
    if tags:
        person.care_tags.set(CareTag.objects.filter(code__in=tags))
    return household, person


@pytest.fixture
def cadence(db):
    # update_or_create: transactional tests flush the care tags the migration seeded.
    CareTag.objects.update_or_create(code="dibao", defaults={"name": "低保户", "visit_every_days": 30})
    return CareTag.objects.update_or_create(code="living_alone_elderly",
                                            defaults={"name": "独居老人", "visit_every_days": 7})[0]


@pytest.fixture
def homes(county, cadence):
    """{"A1": (household, person), "A2": ..., "B1": ...}; the A1 resident lives alone (7-day cadence)."""
    return {"A1": resident_in(county["A1"], tags=["living_alone_elderly"]),
            "A2": resident_in(county["A2"]),
            "B1": resident_in(county["B1"], tags=["dibao"])}


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
    }
    person = homes["A1"][1]
    person.user = out["resident"]
    person.save(update_fields=["user"])
    return out


@pytest.fixture
def api():
    def make(user=None):
        client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
        if user is not None:
            client.force_authenticate(user)
        return client

    return make


def workbook(rows, headers=None, *, title="户籍台账", before=(), merges=(), extra_sheets=()) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = title
    for r in before:
        ws.append(list(r))
    ws.append(headers or ["网格", "地址", "姓名", "与户主关系", "身份证号", "性别", "出生日期", "联系电话", "关怀标签", "迁入日期"])
    for r in rows:
        ws.append(list(r))
    for m in merges:
        ws.merge_cells(m)
    for name, srows in extra_sheets:
        other = wb.create_sheet(name, 0)
        for r in srows:
            other.append(list(r))
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
