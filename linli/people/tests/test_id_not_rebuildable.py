"""An ID-card number cannot be rebuilt from what a role without full access sees: the masked form
keeps 6 of 18 characters and no birth date is shown beside it (the age is); an exact-number search
is a disclosure, so only roles that may see full numbers may make it, a limited number of times, and
each one is audited with the number's blind index."""

import datetime as dt
import io

import pytest
from django.core.cache import cache
from openpyxl import load_workbook

from linli.core import crypto
from linli.core.masking import mask_id_number
from linli.core.models import AccessLog
from linli.jobs.testing import export_via_job


@pytest.fixture(autouse=True)
def _fresh_limits():
    cache.clear()
    yield
    cache.clear()


def _secret_parts(person):
    """What would let someone rebuild the number: the birth date in any form, the sequence digits."""
    number, born = person.id_number, person.birth_date
    return [number[6:14], born.isoformat(), f"{born.year}年{born.month}月{born.day}日", number[10:16],
            born.strftime("%b. %-d, %Y"), born.strftime("%B %-d, %Y")]


def test_the_mask_keeps_six_characters_and_never_the_sequence():
    masked = mask_id_number("36072419800517123X")
    assert masked == "3607************3X"
    assert sum(c != "*" for c in masked) == 6


def test_the_api_gives_a_grid_worker_the_age_not_the_birth_date(client, users, homes):
    person = homes["A1"][1]
    client.force_login(users["grid_worker"])
    for url in (f"/api/persons/{person.pk}/", "/api/persons/"):
        r = client.get(url)
        text = r.content.decode()
        assert r.status_code == 200 and not any(part in text for part in _secret_parts(person)), url
    row = client.get(f"/api/persons/{person.pk}/").json()
    assert row["birth_date"] is None and row["age"] == person.age


def test_roles_with_full_access_still_see_the_birth_date(client, users, homes):
    person = homes["A1"][1]
    client.force_login(users["community_staff"])
    row = client.get(f"/api/persons/{person.pk}/").json()
    assert row["birth_date"] == person.birth_date.isoformat() and row["age"] == person.age


@pytest.mark.parametrize("url", ["/people/persons/{pk}/", "/people/persons/{pk}/edit/",
                                 "/people/households/{household}/", "/people/persons/"])
def test_the_pages_give_a_grid_worker_no_birth_date(client, users, homes, url):
    household, person = homes["A1"]
    client.force_login(users["grid_worker"])
    for lang in ("zh-hans", "en"):
        r = client.get(url.format(pk=person.pk, household=household.pk), HTTP_ACCEPT_LANGUAGE=lang)
        text = r.content.decode()
        assert r.status_code == 200 and not any(part in text for part in _secret_parts(person)), (url, lang)


def test_a_grid_worker_saving_the_edit_form_keeps_the_birth_date(client, users, homes):
    person = homes["A1"][1]
    born = person.birth_date
    client.force_login(users["grid_worker"])
    r = client.post(f"/people/persons/{person.pk}/edit/", {"name": "新名字", "sex": person.sex, "birth_date": ""})
    assert r.status_code == 302, r.content.decode()[:2000]
    person.refresh_from_db()
    assert person.name == "新名字" and person.birth_date == born


@pytest.mark.parametrize("url", ["/people/persons/export.xlsx?division={A}", "/grids/{A1}/register.xlsx"])
def test_the_masked_exports_show_the_age_not_the_birth_date(client, users, homes, county, url):
    person = homes["A1"][1]
    client.force_login(users["grid_worker"])
    _export, r = export_via_job(client, url.format(A=county["A1"].pk, A1=county["A1"].pk))
    assert r.status_code == 200
    cells = [str(c.value) for row in load_workbook(io.BytesIO(r.body)).active.iter_rows() for c in row
             if c.value is not None]
    text = " ".join(cells)
    assert not any(part in text for part in _secret_parts(person))
    assert not any(isinstance(c.value, dt.date) for row in load_workbook(io.BytesIO(r.body)).active.iter_rows()
                   for c in row)


def test_an_exact_number_search_is_refused_to_a_grid_worker(client, users, homes):
    person = homes["A1"][1]
    client.force_login(users["grid_worker"])
    r = client.get("/api/persons/", {"id_number": person.id_number})
    assert r.status_code == 403
    page = client.get("/people/persons/", {"q": person.id_number}).content.decode()
    assert f"/people/persons/{person.pk}/" not in page


def test_an_exact_number_search_is_audited_with_the_blind_index(client, users, homes):
    person = homes["A1"][1]
    client.force_login(users["community_staff"])
    AccessLog.objects.all().delete()
    r = client.get("/api/persons/", {"id_number": person.id_number})
    assert r.status_code == 200 and [p["id"] for p in r.json()["results"]] == [person.pk]
    page = client.get("/people/persons/", {"q": person.id_number}).content.decode()
    assert f"/people/persons/{person.pk}/" in page
    logs = list(AccessLog.objects.filter(action=AccessLog.Action.SEARCH))
    assert len(logs) == 2
    for log in logs:
        assert crypto.blind_index(person.id_number) in log.query and person.id_number not in log.query


def test_exact_number_searches_are_rate_limited_per_user(client, users, homes, settings):
    settings.LINLI_ID_SEARCHES_PER_HOUR = 3
    person = homes["A1"][1]
    client.force_login(users["community_staff"])
    codes = [client.get("/api/persons/", {"id_number": person.id_number}).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    page = client.get("/people/persons/", {"q": person.id_number}).content.decode()
    assert f"/people/persons/{person.pk}/" not in page
    client.force_login(users["county_admin"])  # another user has their own allowance
    assert client.get("/api/persons/", {"id_number": person.id_number}).status_code == 200
