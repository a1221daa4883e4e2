"""Separated duties (三员分立): the system administrator keeps accounts but reads no personal data, the
security administrator grants roles, the auditor reads the trail (never their own actions) and nothing
else, and nobody is both auditor and administrator."""

import csv
import io

import pytest
from auditlog.models import LogEntry
from django.core.exceptions import ValidationError
from django.urls import reverse

from linli.accounts import services
from linli.accounts.models import Role, User
from linli.core.audit import audit_access
from linli.core.models import AccessLog
from linli.core.testing import HouseholdFactory, PersonFactory, grant
from linli.jobs.testing import export_via_job


@pytest.fixture
def duties(county, make_user):
    return {kind: make_user(kind, county["county"], username=kind) for kind in Role.DUTIES}


@pytest.fixture
def person(county):
    return PersonFactory(division=county["A1"])


@pytest.mark.parametrize("kind", Role.DUTIES)
def test_a_duty_reveals_no_personal_records(client, duties, person, kind):
    client.force_login(duties[kind])
    assert client.get(reverse("people:person_detail", args=[person.pk])).status_code == 404
    r = client.get("/api/persons/")
    assert r.status_code in (200, 403, 404)
    if r.status_code == 200:
        assert r.json()["count"] == 0


def test_duties_need_the_second_factor(duties):
    from linli.accounts.twofactor import two_factor_required

    assert all(two_factor_required(u) for u in duties.values())


def test_each_duty_page_is_for_its_duty_alone(client, duties, county, make_user):
    pages = {Role.Kind.SYSTEM_ADMIN: "accounts:users", Role.Kind.SECURITY_ADMIN: "accounts:roles",
             Role.Kind.AUDITOR: "accounts:audit"}
    staff = make_user(Role.Kind.COUNTY_ADMIN, county["county"])
    for kind, user in duties.items():
        client.force_login(user)
        for other, name in pages.items():
            assert client.get(reverse(name)).status_code == (200 if other == kind else 404), (kind, name)
    client.force_login(staff)
    for name in pages.values():
        assert client.get(reverse(name)).status_code == 404


def test_nobody_is_both_auditor_and_administrator(county, make_user):
    admin = make_user(Role.Kind.SYSTEM_ADMIN, county["county"])
    with pytest.raises(ValidationError):
        grant(admin, Role.Kind.AUDITOR, county["county"])
    auditor = make_user(Role.Kind.AUDITOR, county["county"])
    for kind in Role.AUDITED_ADMINS:
        with pytest.raises(ValidationError):
            grant(auditor, kind, county["county"])
    root = User.objects.create_superuser("root2", password="x-pass-word-1")
    with pytest.raises(ValidationError):
        grant(root, Role.Kind.AUDITOR, county["county"])


def test_the_security_administrator_grants_roles_but_not_to_themself(client, duties, county, make_user):
    sec = duties[Role.Kind.SECURITY_ADMIN]
    someone = make_user()
    client.force_login(sec)
    r = client.post(reverse("accounts:roles"), {"username": someone.username, "kind": Role.Kind.GRID_WORKER,
                                                "division": county["A1"].pk})
    assert r.status_code == 302 and Role.objects.filter(user=someone, kind=Role.Kind.GRID_WORKER).exists()
    r = client.post(reverse("accounts:roles"), {"username": sec.username, "kind": Role.Kind.COUNTY_ADMIN,
                                                "division": county["county"].pk})
    assert r.status_code == 200 and not Role.objects.filter(user=sec, kind=Role.Kind.COUNTY_ADMIN).exists()
    assert LogEntry.objects.filter(content_type__model="role", actor=sec).exists()


def test_the_system_administrator_creates_and_locks_accounts_but_grants_nothing(client, duties, county):
    sys_admin = duties[Role.Kind.SYSTEM_ADMIN]
    client.force_login(sys_admin)
    r = client.post(reverse("accounts:users"), {"username": "newbie", "display_name": "新人",
                                                "password": "a-long-pass-2026"})
    assert r.status_code == 302
    newbie = User.objects.get(username="newbie")
    assert not newbie.roles.exists()
    client.post(reverse("accounts:user_action", args=[newbie.pk, "lock"]))
    newbie.refresh_from_db()
    assert newbie.locked_until is not None
    r = client.post(reverse("accounts:roles"), {"username": "newbie", "kind": Role.Kind.COUNTY_ADMIN,
                                                "division": county["county"].pk})
    assert r.status_code == 404


def test_the_auditor_reads_others_access_but_not_their_own(client, duties, county, make_user, person):
    auditor = duties[Role.Kind.AUDITOR]
    staff = make_user(Role.Kind.COMMUNITY_STAFF, county["A"], username="wangshegong")
    audit_access(user=staff, action=AccessLog.Action.VIEW, model="people.Person", object_ids=[person.pk])
    audit_access(user=auditor, action=AccessLog.Action.EXPORT, model="core.AccessLog", object_ids=[1])
    client.force_login(auditor)
    rows = list(client.get(reverse("accounts:audit")).context["page"])
    assert [r.user for r in rows] == [staff]


def test_the_audit_trail_filters_by_person_user_and_date(client, duties, county, make_user, person):
    auditor = duties[Role.Kind.AUDITOR]
    other = PersonFactory(division=county["A1"])
    staff = make_user(Role.Kind.COMMUNITY_STAFF, county["A"], username="li")
    grid = make_user(Role.Kind.GRID_WORKER, county["A1"], username="liu")
    audit_access(user=staff, action=AccessLog.Action.VIEW, model="people.Person", object_ids=[person.pk])
    audit_access(user=grid, action=AccessLog.Action.LIST, model="people.Person",
                 object_ids=[other.pk, person.pk * 10 + 1])
    client.force_login(auditor)

    def users(**q):
        return [r.user.username for r in client.get(reverse("accounts:audit"), q).context["page"]]

    assert users(person=person.pk) == ["li"]
    assert users(user="liu") == ["liu"]
    assert users(date_from="2001-01-01", date_to="2001-01-31") == []
    assert sorted(users()) == ["li", "liu"]


def test_the_change_log_shows_who_changed_a_person(client, duties, county, make_user, person):
    from auditlog.context import set_actor

    staff = make_user(Role.Kind.COMMUNITY_STAFF, county["A"], username="zhang")
    with set_actor(staff):
        person.name = "新名字"
        person.save()
    client.force_login(duties[Role.Kind.AUDITOR])
    rows = list(client.get(reverse("accounts:audit"), {"log": "changes", "person": person.pk}).context["page"])
    assert all(r.object_pk == str(person.pk) for r in rows)
    assert [r.actor for r in rows if r.changes_dict.get("name")][0] == staff


def test_an_export_is_itself_audited(client, duties, county, make_user, person):
    staff = make_user(Role.Kind.COMMUNITY_STAFF, county["A"], username="exp")
    entry = audit_access(user=staff, action=AccessLog.Action.VIEW, model="people.Person",
                         object_ids=[person.pk])
    auditor = duties[Role.Kind.AUDITOR]
    client.force_login(auditor)
    _export, r = export_via_job(client, reverse("accounts:audit_export_csv"), {"user": "exp"})
    body = list(csv.reader(io.StringIO(r.body.decode("utf-8-sig"))))
    assert len(body) == 2 and body[1][1] == "exp"
    logged = AccessLog.objects.get(user=auditor, action=AccessLog.Action.EXPORT)
    assert logged.object_ids == [entry.pk]
    _export, r = export_via_job(client, reverse("accounts:audit_export_xlsx"))
    assert r.status_code == 200 and r.body[:2] == b"PK"


def test_a_second_auditor_sees_the_first_auditors_export(client, county, make_user, duties):
    first = duties[Role.Kind.AUDITOR]
    second = make_user(Role.Kind.AUDITOR, county["county"])
    client.force_login(first)
    export_via_job(client, reverse("accounts:audit_export_csv"))
    client.force_login(second)
    rows = list(client.get(reverse("accounts:audit")).context["page"])
    assert any(r.user == first and r.action == AccessLog.Action.EXPORT for r in rows)


def test_revoking_through_the_service_refuses_ones_own(county, duties):
    sec = duties[Role.Kind.SECURITY_ADMIN]
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.role_revoke(by=sec, role=sec.roles.get())


def test_households_are_not_visible_to_duties(duties, county):
    from linli.people.models import Household

    HouseholdFactory(division=county["A1"])
    for user in duties.values():
        assert not Household.objects.visible_to(user).exists()
