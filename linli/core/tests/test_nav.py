import pytest

from linli.accounts.models import Role
from linli.core.nav import nav_for


@pytest.mark.parametrize("kind,division,bottom", [
    (Role.Kind.RESIDENT, "A1", ["home", "activities", "cases", "sites"]),
    (Role.Kind.GRID_WORKER, "A1", ["home", "grids", "residents", "cases"]),
    (Role.Kind.COMMUNITY_STAFF, "A", ["home", "activities", "cases", "residents"]),
])
def test_each_role_gets_its_four_main_places(county, make_user, kind, division, bottom):
    items, bottom_items = nav_for(make_user(kind, county[division]), "/")
    assert [i["key"] for i in bottom_items] == bottom
    assert all(i["url"] for i in items)


def test_residents_do_not_see_the_register_link(county, make_user):
    items, _ = nav_for(make_user(Role.Kind.RESIDENT, county["A1"]), "/")
    assert "residents" not in {i["key"] for i in items}


def test_current_section_is_marked(county, make_user):
    items, _ = nav_for(make_user(Role.Kind.COMMUNITY_STAFF, county["A"]), "/places/sites/3/")
    assert [i["key"] for i in items if i["current"]] == ["sites"]
