import io

import pytest
from auditlog.models import LogEntry
from django.urls import reverse
from openpyxl import load_workbook

from linli.accounts.models import Role
from linli.core.models import AccessLog
from linli.jobs.testing import export_via_job
from linli.people import selectors, services
from linli.people.exports import safe_cell
from linli.people.models import Person
from linli.people.tests.conftest import resident_in


def _get(client, user, name, *args, **params):
    client.force_login(user)
    return client.get(reverse(name, args=args), params).content.decode()


def test_grid_worker_sees_masked_and_cannot_reveal(client, users, homes):
    person = homes["A1"][1]
    html = _get(client, users["grid_worker"], "people:person_detail", person.pk)
    assert person.id_number_masked in html and person.phone_masked in html
    assert person.id_number not in html and person.phone not in html
    assert 'data-testid="reveal"' not in html
    assert client.post(reverse("people:person_reveal", args=[person.pk])).status_code == 403
    assert not AccessLog.objects.filter(action="reveal").exists()


def test_staff_sees_masked_until_reveal_and_the_reveal_is_audited(client, users, homes):
    person = homes["A1"][1]
    html = _get(client, users["community_staff"], "people:person_detail", person.pk)
    assert person.id_number not in html and 'data-testid="reveal"' in html
    html = client.post(reverse("people:person_reveal", args=[person.pk])).content.decode()
    assert person.id_number in html and person.phone in html
    log = AccessLog.objects.get(action="reveal")
    assert (log.user, log.model, log.object_ids) == (users["community_staff"], "people.Person", [person.pk])
    assert "id_number" in log.fields


def test_can_see_full_follows_the_setting(users, homes, settings):
    person = homes["A1"][1]
    assert selectors.can_see_full(users["county_admin"], person)
    assert not selectors.can_see_full(users["grid_worker"], person)
    settings.LINLI_FULL_PERSONAL_DATA_ROLES = ["county_admin"]
    assert not selectors.can_see_full(users["community_staff"], person)


def test_view_list_and_search_write_access_logs_with_the_ids_shown(client, users, homes):
    person = homes["A1"][1]
    worker = users["grid_worker"]
    _get(client, worker, "people:person_detail", person.pk)
    view = AccessLog.objects.get(action="view")
    assert (view.user, view.object_ids, view.model) == (worker, [person.pk], "people.Person")
    _get(client, worker, "people:person_list")
    assert AccessLog.objects.get(action="list").object_ids == [person.pk]
    _get(client, worker, "people:person_list", q=person.name)
    search = AccessLog.objects.get(action="search")
    assert search.object_ids == [person.pk] and search.query == person.name
    _get(client, worker, "people:household_detail", homes["A1"][0].pk)
    assert AccessLog.objects.filter(action="view").count() == 2


def test_export_is_masked_audited_and_escapes_formulas(client, users, homes, county):
    _, tricky = resident_in(county["A1"], name="=HYPERLINK(\"http://x\")")
    client.force_login(users["community_staff"])
    _export, r = export_via_job(client, reverse("people:person_export"), data={"division": county["A"].pk})
    assert r.status_code == 200
    ws = load_workbook(io.BytesIO(r.body)).active
    rows = list(ws.iter_rows(min_row=2, values_only=True))
    names = {row[0] for row in rows}
    assert "'=HYPERLINK(\"http://x\")" in names
    assert {row[3] for row in rows} == {p.id_number_masked for p in Person.objects.filter(division__in=[county["A1"], county["A2"]])}
    log = AccessLog.objects.get(action="export")
    assert sorted(log.object_ids) == sorted([homes["A1"][1].pk, homes["A2"][1].pk, tricky.pk])
    assert homes["B1"][1].pk not in log.object_ids


def test_full_export_only_for_allowed_roles(client, users, homes, county):
    client.force_login(users["grid_worker"])
    assert client.post(reverse("people:person_export"), {"division": county["A1"].pk, "full": "1"}).status_code == 403
    assert client.post(reverse("people:person_export"), {"division": county["B1"].pk}).status_code == 404
    client.force_login(users["county_admin"])
    _export, r = export_via_job(client, reverse("people:person_export"), data={"division": county["A1"].pk, "full": "1"})
    ws = load_workbook(io.BytesIO(r.body)).active
    assert ws.cell(row=2, column=4).value == homes["A1"][1].id_number
    assert "id_number" in AccessLog.objects.get(action="export").fields


@pytest.mark.parametrize("value,expected", [("=1+1", "'=1+1"), ("+86", "'+86"), ("-1", "'-1"), ("@SUM(A1)", "'@SUM(A1)"),
                                            ("张伟", "张伟"), (5, 5)])
def test_safe_cell(value, expected):
    assert safe_cell(value) == expected


def test_changes_are_in_the_auditlog_without_the_clear_number(county, make_user):
    worker = make_user(Role.Kind.GRID_WORKER, county["A1"])
    household = services.household_create(by=worker, division=county["A1"], address="东区1栋")
    number = "11010519491231002X"
    person = services.person_create(by=worker, household=household, relation="head", name="张伟",
                                    id_number=number, phone="13812345678")
    services.person_update(by=worker, person=person, data={"phone": "13987654321"})
    entries = LogEntry.objects.get_for_object(person)
    assert entries.count() == 2
    dump = " ".join(str(e.changes) for e in entries)
    assert person.id_number_masked in dump
    for secret in (number, person.id_number_encrypted, person.id_number_index, "13812345678", "13987654321"):
        assert secret not in dump
    assert "138****5678" in dump
    assert LogEntry.objects.get_for_object(household).exists()
    assert LogEntry.objects.get_for_object(person.memberships.get()).exists()


def test_access_log_page_is_for_county_admins(client, users, homes):
    _get(client, users["grid_worker"], "people:person_detail", homes["A1"][1].pk)
    client.force_login(users["community_staff"])
    assert client.get(reverse("people:access_log")).status_code == 404
    html = _get(client, users["county_admin"], "people:access_log")
    assert str(users["grid_worker"]) in html
