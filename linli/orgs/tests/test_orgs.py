import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from rest_framework.test import APIClient

from linli.accounts.models import Role
from linli.core.testing import OrganizationFactory
from linli.orgs import services
from linli.orgs.models import Organization


@pytest.fixture
def orgs(county):
    return {"A": OrganizationFactory(division=county["A"], name="社区A党支部", kind=Organization.Kind.PARTY_BRANCH),
            "B": OrganizationFactory(division=county["B"], name="社区B共建单位")}


def test_staff_registers_organizations_in_their_division_only(county, make_user):
    staff = make_user(Role.Kind.COMMUNITY_STAFF, county["A"])
    org = services.organization_create(by=staff, name=" 东门小学 ", kind=Organization.Kind.SCHOOL, division=county["A1"])
    assert org.name == "东门小学"
    with pytest.raises(PermissionDenied):
        services.organization_create(by=staff, name="x", kind=Organization.Kind.SCHOOL, division=county["B"])
    with pytest.raises(PermissionDenied):
        services.organization_update(by=staff, organization=org, data={"division": county["B"]})


def test_grid_worker_cannot_manage_organizations(county, make_user):
    worker = make_user(Role.Kind.GRID_WORKER, county["A1"])
    with pytest.raises(PermissionDenied):
        services.organization_create(by=worker, name="x", kind=Organization.Kind.SCHOOL, division=county["A1"])


def test_list_page_is_scoped(client, county, make_user, orgs):
    client.force_login(make_user(Role.Kind.VOLUNTEER, county["A"]))
    html = client.get(reverse("orgs:organization_list")).content.decode()
    assert "社区A党支部" in html and "社区B共建单位" not in html
    assert client.get(reverse("orgs:organization_edit", args=[orgs["A"].pk])).status_code == 403
    assert client.get(reverse("orgs:organization_edit", args=[orgs["B"].pk])).status_code == 404


def test_staff_creates_and_edits_through_the_pages(client, county, make_user, orgs):
    client.force_login(make_user(Role.Kind.COMMUNITY_STAFF, county["A"]))
    r = client.post(reverse("orgs:organization_create"), {"name": "东山派出所", "kind": "police_station",
                                                          "division": county["A"].pk})
    assert r.status_code == 302 and Organization.objects.filter(name="东山派出所").exists()
    r = client.post(reverse("orgs:organization_edit", args=[orgs["A"].pk]),
                    {"name": "社区A第一党支部", "kind": "party_branch", "division": county["A"].pk})
    orgs["A"].refresh_from_db()
    assert orgs["A"].name == "社区A第一党支部"
    r = client.post(reverse("orgs:organization_create"), {"name": "x", "kind": "school", "division": county["B"].pk})
    assert r.status_code == 200 and not Organization.objects.filter(name="x").exists()


@pytest.mark.parametrize("role,division,get_a,get_b,patch_a", [
    ("county_admin", "county", 200, 200, 200),
    ("community_staff", "A", 200, 404, 200),
    ("grid_worker", "A1", 200, 404, 403),  # organisations are public upward: A1 sees community A's
    ("volunteer", "A", 200, 404, 403),
])
def test_api_matrix(county, make_user, orgs, role, division, get_a, get_b, patch_a):
    client = APIClient()
    client.force_authenticate(make_user(role, county[division]))
    assert client.get(f"/api/organizations/{orgs['A'].pk}/").status_code == get_a
    assert client.get(f"/api/organizations/{orgs['B'].pk}/").status_code == get_b
    assert client.patch(f"/api/organizations/{orgs['A'].pk}/", {"name": "新名"}, format="json").status_code == patch_a


def test_api_create_with_unknown_division_is_400(county, make_user):
    client = APIClient()
    client.force_authenticate(make_user(Role.Kind.COMMUNITY_STAFF, county["A"]))
    r = client.post("/api/organizations/", {"name": "x", "kind": "school", "division": 999999}, format="json")
    assert r.status_code == 400 and "division" in r.json()
    r = client.post("/api/organizations/", {"name": "x" * 151, "kind": "school", "division": county["A"].pk},
                    format="json")
    assert r.status_code == 400 and "name" in r.json()
    assert not Organization.objects.filter(name__startswith="x").exists()
