import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from linli.core import idcard
from linli.core.models import AccessLog
from linli.people.models import Household, Person
from linli.people.tests.conftest import resident_in

ROLES = ["county_admin", "community_staff", "site_manager", "grid_worker", "volunteer", "resident", "no_role",
         "anonymous"]
# (role, grid) -> (GET detail, PATCH) for households and persons alike
EXPECTED = {
    ("county_admin", "A1"): (200, 200), ("county_admin", "B1"): (200, 200),
    ("community_staff", "A1"): (200, 200), ("community_staff", "B1"): (404, 404),
    ("site_manager", "A1"): (404, 404), ("site_manager", "B1"): (404, 404),
    ("grid_worker", "A1"): (200, 200), ("grid_worker", "B1"): (404, 404),
    ("volunteer", "A1"): (404, 404), ("volunteer", "B1"): (404, 404),
    ("resident", "A1"): (200, 403), ("resident", "B1"): (404, 404),  # A1 is the resident's own home
    ("no_role", "A1"): (404, 404), ("no_role", "B1"): (404, 404),
}
PATCH = {"households": {"address": "新地址1号"}, "persons": {"name": "新名字"}}


@pytest.mark.parametrize("kind", ["households", "persons"])
@pytest.mark.parametrize("grid", ["A1", "B1"])
@pytest.mark.parametrize("role", ROLES)
def test_authorisation_matrix(api, users, homes, role, grid, kind):
    household, person = homes[grid]
    obj = household if kind == "households" else person
    client = api(users[role])
    url = f"/api/{kind}/{obj.pk}/"
    got = (client.get(url).status_code, client.patch(url, PATCH[kind], format="json").status_code)
    if role == "anonymous":
        assert got[0] in (401, 403) and got[1] in (401, 403)
    else:
        assert got == EXPECTED[(role, grid)]
    obj.refresh_from_db()
    changed = (obj.address if kind == "households" else obj.name) == PATCH[kind].get("address", PATCH[kind].get("name"))
    assert changed == (got[1] == 200)


@pytest.mark.parametrize("role", ROLES[:-1])
@pytest.mark.parametrize("kind", ["households", "persons", "memberships"])
def test_lists_never_leak_community_b(api, users, homes, role, kind):
    data = api(users[role]).get(f"/api/{kind}/").json()
    ids = {row["id"] for row in data["results"]}
    b_household, b_person = homes["B1"]
    b_id = {"households": b_household.pk, "persons": b_person.pk,
            "memberships": b_household.memberships.get().pk}[kind]
    assert (b_id in ids) == (role == "county_admin")


def test_person_json_is_masked_and_has_no_ciphertext(api, users, homes):
    person = homes["A1"][1]
    body = api(users["county_admin"]).get(f"/api/persons/{person.pk}/").json()
    assert body["id_number_masked"] == person.id_number_masked and body["phone_masked"] == person.phone_masked
    text = str(body)
    for secret in (person.id_number, person.phone, person.id_number_encrypted, person.id_number_index):
        assert secret not in text


def test_reveal_endpoint_is_for_allowed_roles_and_audited(api, users, homes):
    person = homes["A1"][1]
    assert api(users["grid_worker"]).post(f"/api/persons/{person.pk}/reveal/").status_code == 403
    body = api(users["community_staff"]).post(f"/api/persons/{person.pk}/reveal/").json()
    assert body["id_number"] == person.id_number
    assert AccessLog.objects.get(action="reveal").object_ids == [person.pk]


def test_list_and_retrieve_write_access_logs(api, users, homes):
    person = homes["A1"][1]
    client = api(users["grid_worker"])
    client.get("/api/persons/")
    assert AccessLog.objects.get(action="list").object_ids == [person.pk]
    client.get(f"/api/persons/{person.pk}/")
    assert AccessLog.objects.get(action="view").object_ids == [person.pk]
    api(users["community_staff"]).get("/api/persons/", {"id_number": person.id_number})
    search = AccessLog.objects.get(action="search")
    assert search.object_ids == [person.pk]
    assert person.id_number not in search.query + search.path


def test_filters(api, users, homes, county):
    person = homes["A1"][1]
    client = api(users["county_admin"])
    ids = lambda **p: {r["id"] for r in client.get("/api/persons/", p).json()["results"]}  # noqa: E731
    assert ids(id_number=person.id_number.lower()) == {person.pk}
    assert ids(division=county["A"].pk) == {homes["A1"][1].pk, homes["A2"][1].pk}
    assert ids(name=person.name) >= {person.pk}
    client.patch(f"/api/persons/{person.pk}/", {"care_tags": ["dibao"]}, format="json")
    assert ids(care_tag="dibao") == {person.pk}
    divs = client.get("/api/divisions/", {"level": "grid", "parent": county["A"].pk}).json()["results"]
    assert {d["name"] for d in divs} == {"网格A1", "网格A2"}


def test_create_person_with_household_through_the_api(api, users, homes, county):
    household = homes["A2"][0]
    number = idcard.make("360724", dt.date(1990, 2, 3), 7)
    r = api(users["community_staff"]).post("/api/persons/", {
        "name": "赵六", "household": household.pk, "relation": "spouse", "id_number": number,
        "phone": "13800001111", "care_tags": ["disabled"]}, format="json")
    assert r.status_code == 201, r.content
    person = Person.objects.get(pk=r.json()["id"])
    assert person.division == county["A2"] and person.id_number == number
    assert "id_number" not in r.json() and "phone" not in r.json()


def test_memberships_end_through_the_api(api, users, homes):
    m = homes["A1"][0].memberships.get()
    r = api(users["grid_worker"]).patch(f"/api/memberships/{m.pk}/", {"end_date": dt.date.today().isoformat()},
                                        format="json")
    assert r.status_code == 200
    m.refresh_from_db()
    assert m.end_date == dt.date.today()


# Bad input: a 4xx with a JSON body naming the field, and nothing saved.

def test_invalid_id_number_is_400_with_a_field_message(api, users, county):
    r = api(users["grid_worker"]).post("/api/persons/", {"name": "张三", "division": county["A1"].pk,
                                                         "id_number": "360724196001010010"}, format="json")
    assert r.status_code == 400 and "id_number" in r.json()
    assert not Person.objects.filter(name="张三").exists()


def test_errors_in_chinese_when_asked(api, users, county, homes):
    client = api(users["grid_worker"])
    r = client.post("/api/persons/", {"name": "张三", "division": county["A1"].pk,
                                      "id_number": homes["A1"][1].id_number}, format="json",
                    HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert r.status_code == 400 and r.json()["id_number"] == ["该身份证号码已有登记。"]
    r = client.post("/api/persons/", {"name": "张三", "division": county["A1"].pk, "id_number": "12345"},
                    format="json", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert r.json()["id_number"] == ["身份证号码应为 18 位：前 17 位为数字，最后一位为数字或 X。"]


def test_malformed_json_is_400_json(api, users):
    r = api(users["grid_worker"]).generic("POST", "/api/households/", '{"address": ', content_type="application/json")
    assert r.status_code == 400 and "detail" in r.json()


def test_oversize_string_is_400(api, users, county):
    r = api(users["grid_worker"]).post("/api/households/", {"address": "长" * 201, "division": county["A1"].pk},
                                       format="json")
    assert r.status_code == 400 and "address" in r.json()
    assert not Household.objects.filter(division=county["A1"], address__startswith="长").exists()


@pytest.mark.parametrize("division", [999999, "B1"])
def test_unknown_or_out_of_scope_division_is_400(api, users, county, division):
    pk = county[division].pk if isinstance(division, str) else division
    r = api(users["grid_worker"]).post("/api/households/", {"address": "东区", "division": pk}, format="json")
    assert r.status_code == 400 and "division" in r.json()
    assert not Household.objects.filter(address="东区").exists()


def test_coordinates_outside_china_are_400(api, users, county):
    r = api(users["grid_worker"]).post("/api/households/", {"address": "东区", "division": county["A1"].pk,
                                                            "lat": 48.85, "lng": 2.35}, format="json")
    assert r.status_code == 400 and "lat" in r.json()


def test_persons_api_list_queries_do_not_grow_with_rows(api, users, county, django_assert_max_num_queries):
    client = api(users["grid_worker"])
    with CaptureQueriesContext(connection) as few:
        client.get("/api/persons/")
    for _ in range(40):
        resident_in(county["A1"])
    with django_assert_max_num_queries(min(len(few), 12)):
        r = client.get("/api/persons/")
    assert len(r.json()["results"]) == 41
