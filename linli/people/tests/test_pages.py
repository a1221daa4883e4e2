import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from linli.core import idcard
from linli.core.models import AccessLog
from linli.people.models import Household, Person
from linli.people.tests.conftest import resident_in


@pytest.fixture
def worker_client(client, users):
    client.force_login(users["grid_worker"])
    return client


def test_grid_worker_sees_own_grid_households_only(worker_client, homes):
    html = worker_client.get(reverse("people:household_list")).content.decode()
    assert homes["A1"][0].address in html
    assert homes["A2"][0].address not in html and homes["B1"][0].address not in html


@pytest.mark.parametrize("grid,status", [("A1", 200), ("A2", 404), ("B1", 404)])
def test_out_of_scope_pages_are_404(worker_client, homes, grid, status):
    household, person = homes[grid]
    for url in (reverse("people:household_detail", args=[household.pk]),
                reverse("people:household_edit", args=[household.pk]),
                reverse("people:person_detail", args=[person.pk]),
                reverse("people:person_edit", args=[person.pk])):
        assert worker_client.get(url).status_code == status, url


def test_resident_sees_only_their_own_person_and_household(client, users, homes):
    client.force_login(users["resident"])
    own_hh, own = homes["A1"]
    assert client.get(reverse("people:person_detail", args=[own.pk])).status_code == 200
    assert client.get(reverse("people:household_detail", args=[own_hh.pk])).status_code == 200
    assert client.get(reverse("people:person_detail", args=[homes["A2"][1].pk])).status_code == 404
    assert client.get(reverse("people:person_edit", args=[own.pk])).status_code == 403
    html = client.get(reverse("people:person_list")).content.decode()
    # by link, not by name: random names can repeat (another person may share the resident's own name)
    assert reverse("people:person_detail", args=[own.pk]) in html
    assert reverse("people:person_detail", args=[homes["A2"][1].pk]) not in html


def test_household_list_searches_address_and_member_name(worker_client, homes, county):
    hh, person = homes["A1"]
    resident_in(county["A1"], name="欧阳修")
    html = worker_client.get(reverse("people:household_list"), {"q": "欧阳"}).content.decode()
    assert "欧阳修" in html and hh.address not in html
    log = AccessLog.objects.latest("at")
    assert log.action == "search" and log.query == "欧阳"


def test_person_search_by_full_id_number_uses_the_blind_index(client, users, homes):
    person = homes["A1"][1]
    client.force_login(users["community_staff"])  # a role that may see full numbers (test_id_not_rebuildable)
    html = client.get(reverse("people:person_list"), {"q": person.id_number.lower()}).content.decode()
    assert reverse("people:person_detail", args=[person.pk]) in html
    log = AccessLog.objects.latest("at")
    assert log.object_ids == [person.pk] and person.id_number not in log.query + log.path


def test_person_search_by_phone(worker_client, homes):
    person = homes["A1"][1]
    html = worker_client.get(reverse("people:person_list"), {"q": person.phone}).content.decode()
    assert reverse("people:person_detail", args=[person.pk]) in html


def test_create_household_and_add_a_member(worker_client, county):
    r = worker_client.post(reverse("people:household_create"), {"address": "南区8栋101室", "division": county["A1"].pk})
    household = Household.objects.get(address="南区8栋101室")
    assert r.status_code == 302
    number = idcard.make("360724", dt.date(2015, 6, 1), 42)
    r = worker_client.post(reverse("people:member_add", args=[household.pk]),
                           {"name": "小明", "relation": "head", "id_number": number, "phone": ""})
    assert r.status_code == 302
    assert household.memberships.get().person.id_number == number


def test_person_form_keeps_what_was_typed_and_explains_in_chinese(worker_client, homes):
    household = homes["A1"][0]
    r = worker_client.post(reverse("people:member_add", args=[household.pk]),
                           {"name": "王小二", "relation": "child", "id_number": "360724201506010420",
                            "phone": "13812345678"}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    html = r.content.decode()
    assert r.status_code == 200
    assert 'value="王小二"' in html and 'value="360724201506010420"' in html and 'value="13812345678"' in html
    assert 'class="errorlist"' in html
    assert not Person.objects.filter(name="王小二").exists()


def test_phone_error_in_chinese(worker_client, homes):
    r = worker_client.post(reverse("people:member_add", args=[homes["A1"][0].pk]),
                           {"name": "王小二", "relation": "child", "phone": "12345"}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert "手机" in r.content.decode()


def test_edit_never_puts_the_stored_numbers_in_the_page(client, users, homes):
    client.force_login(users["community_staff"])
    person = homes["A1"][1]
    html = client.get(reverse("people:person_edit", args=[person.pk])).content.decode()
    assert person.id_number not in html and person.phone not in html
    assert person.id_number_masked in html
    r = client.post(reverse("people:person_edit", args=[person.pk]),
                    {"name": "改名", "sex": person.sex, "birth_date": person.birth_date.isoformat()})
    assert r.status_code == 302
    person.refresh_from_db()
    assert person.name == "改名" and person.id_number_masked and person.phone


def test_end_membership(worker_client, homes):
    household, person = homes["A1"]
    m = household.memberships.get()
    worker_client.post(reverse("people:member_end", args=[household.pk, m.pk]))
    m.refresh_from_db()
    assert m.end_date is not None


def _queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx)


@pytest.mark.parametrize("name", ["people:household_list", "people:person_list"])
def test_list_pages_do_not_grow_queries_with_rows(worker_client, county, name, django_assert_max_num_queries):
    url = reverse(name)
    resident_in(county["A1"])
    few = _queries(worker_client, url)
    for _ in range(25):
        resident_in(county["A1"], relation="spouse")
    with django_assert_max_num_queries(min(few, 20)):
        html = worker_client.get(url).content.decode()
    assert html.count("<tr>") >= 21  # a full page of 20 rows (+ header)


def test_division_tree_page(worker_client, county):
    html = worker_client.get(reverse("divisions:tree")).content.decode()
    assert "网格A1" in html and "网格A2" not in html
