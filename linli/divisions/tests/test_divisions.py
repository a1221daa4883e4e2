import pytest
from rest_framework.test import APIClient

from linli.accounts.models import Role
from linli.core.testing import HouseholdFactory
from linli.divisions.models import Division
from linli.people.models import Household


def test_prefix_query_returns_exactly_the_subtree(county, django_assert_num_queries):
    with django_assert_num_queries(1):
        names = set(Division.objects.filter(path__startswith=county["B"].path).values_list("name", flat=True))
    assert names == {"社区B", "网格B1", "网格B2"}
    assert set(county["town"].descendants(include_self=False).values_list("name", flat=True)) == {
        "社区A", "网格A1", "网格A2", "社区B", "网格B1", "网格B2"}


def test_moving_a_division_carries_its_subtree_and_its_households(county):
    household = HouseholdFactory(division=county["A1"])
    a = county["A"]
    new_town = Division.objects.create(name="新镇", code="360724200", level=Division.Level.SUBDISTRICT,
                                       parent=county["county"])
    a.parent = new_town
    a.save()
    assert set(Division.objects.get(pk=new_town.pk).descendants().values_list("name", flat=True)) == {
        "新镇", "社区A", "网格A1", "网格A2"}
    new_path = Division.objects.get(pk=new_town.pk).path
    assert Household.objects.filter(division__path__startswith=new_path).get() == household
    assert not Household.objects.filter(division__path__startswith=county["town"].path).exists()


@pytest.mark.parametrize("role,division,visible", [
    ("county_admin", "county", {"上犹县", "东山镇", "社区A", "网格A1", "网格A2", "社区B", "网格B1", "网格B2"}),
    ("community_staff", "A", {"社区A", "网格A1", "网格A2"}),
    ("grid_worker", "A1", {"网格A1"}),
])
def test_api_lists_only_divisions_in_scope(county, make_user, role, division, visible):
    client = APIClient()
    client.force_authenticate(make_user(role, county[division]))
    rows = client.get("/api/divisions/").json()["results"]
    assert {r["name"] for r in rows} == visible


def test_api_filters_and_is_read_only(county, make_user):
    client = APIClient()
    client.force_authenticate(make_user(Role.Kind.COUNTY_ADMIN, county["county"]))
    assert [r["name"] for r in client.get("/api/divisions/", {"code": "360724100001"}).json()["results"]] == ["社区A"]
    assert {r["name"] for r in client.get("/api/divisions/", {"level": "community"}).json()["results"]} == {"社区A", "社区B"}
    assert client.get(f"/api/divisions/{county['B1'].pk}/").status_code == 200
    assert client.post("/api/divisions/", {"name": "x"}, format="json").status_code == 405
    assert client.delete(f"/api/divisions/{county['B1'].pk}/").status_code == 405


def test_out_of_scope_division_is_404(county, make_user):
    client = APIClient()
    client.force_authenticate(make_user(Role.Kind.GRID_WORKER, county["A1"]))
    assert client.get(f"/api/divisions/{county['B1'].pk}/").status_code == 404
