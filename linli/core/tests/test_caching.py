"""The cache never serves one user's scoped data to another, and a change of grants is seen at once."""

from django.core.cache import cache

from linli.accounts.models import Role
from linli.core import rollups
from linli.core.scoping import scope_division_ids, user_grants
from linli.core.testing import HouseholdFactory, SiteFactory, UserFactory, grant


def _fresh(user):
    return type(user).objects.get(pk=user.pk)  # a new request's user object: only the shared cache remains


def test_grants_are_cached_per_user_and_dropped_when_a_role_changes(county):
    a = grant(UserFactory(), Role.Kind.COMMUNITY_STAFF, county["A"])
    b = grant(UserFactory(), Role.Kind.COMMUNITY_STAFF, county["B"])
    assert [g[1] for g in user_grants(_fresh(a))] == [county["A"].path]
    assert [g[1] for g in user_grants(_fresh(b))] == [county["B"].path]  # not a's, though a's is cached
    Role.objects.create(user=a, kind=Role.Kind.COMMUNITY_STAFF, division=county["B"])
    assert {g[1] for g in user_grants(_fresh(a))} == {county["A"].path, county["B"].path}
    Role.objects.filter(user=a, division=county["A"]).delete()
    assert [g[1] for g in user_grants(_fresh(a))] == [county["B"].path]


def test_scope_ids_follow_new_divisions(county):
    from linli.core.testing import DivisionFactory
    from linli.divisions.models import Division

    a = grant(UserFactory(), Role.Kind.COMMUNITY_STAFF, county["A"])
    before = set(scope_division_ids(_fresh(a)))
    grid = DivisionFactory(name="网格A3", code="360724100001003", level=Division.Level.GRID, parent=county["A"])
    assert set(scope_division_ids(_fresh(a))) == before | {grid.pk}


def test_figures_on_the_home_page_are_each_users_own(county, client):
    a = grant(UserFactory(), Role.Kind.COMMUNITY_STAFF, county["A"])
    b = grant(UserFactory(), Role.Kind.COMMUNITY_STAFF, county["B"])
    for _ in range(3):
        HouseholdFactory(division=county["A1"])
    HouseholdFactory(division=county["B1"])
    rollups.refresh_all()
    seen = {}
    for user in (a, b, a):
        client.force_login(user)
        seen[user.pk] = client.get("/").context["figures"]["households"]
    assert seen == {a.pk: 3, b.pk: 1}
    # Keys are the scope, never a role alone: same role, different communities, different keys.
    assert rollups.scope_of(_fresh(a)) != rollups.scope_of(_fresh(b))


def test_the_map_is_cached_per_scope_and_dropped_when_a_site_changes(county, client):
    """Community boundaries are scoped (sites are the county's public directory): each user's cached
    map holds only their own communities, and a new site shows at once."""
    a = grant(UserFactory(), Role.Kind.COMMUNITY_STAFF, county["A"])
    b = grant(UserFactory(), Role.Kind.COMMUNITY_STAFF, county["B"])
    square = {"type": "Polygon", "coordinates": [[[114.5, 25.8], [114.51, 25.8], [114.51, 25.81], [114.5, 25.8]]]}
    for letter in "AB":
        type(county[letter]).objects.filter(pk=county[letter].pk).update(boundary=square)
    SiteFactory(division=county["A"], name="甲中心", lat=25.79, lng=114.54)

    def features(user, kind):
        client.force_login(user)
        return {f["properties"]["name"] for f in client.get("/map/data.json").json()["features"]
                if f["properties"]["kind"] == kind}

    assert features(a, "community") == {"社区A"}
    assert features(b, "community") == {"社区B"}
    assert features(a, "community") == {"社区A"}  # from the cache, still a's own
    assert features(b, "site") == {"甲中心"}
    SiteFactory(division=county["A"], name="甲二中心", lat=25.791, lng=114.541)
    assert features(a, "site") == {"甲中心", "甲二中心"}
    assert cache.get("linli:v:map") is not None
