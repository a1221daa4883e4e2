import pytest

from linli.accounts.models import Role
from linli.core.scoping import has_role_over, scope_paths
from linli.core.testing import SiteFactory
from linli.divisions.models import Division
from linli.places.models import Site


def test_division_subtree_is_one_prefix_query(county, django_assert_num_queries):
    with django_assert_num_queries(1):
        names = set(county["A"].descendants().values_list("name", flat=True))
    assert names == {"社区A", "网格A1", "网格A2"}


def test_moving_a_division_carries_its_subtree(county):
    a1 = county["A1"]
    a1.parent = county["B"]
    a1.save()
    assert set(county["B"].descendants().values_list("name", flat=True)) == {"社区B", "网格B1", "网格B2", "网格A1"}
    assert Division.objects.get(pk=a1.pk).path.startswith(county["B"].path)


def test_grant_covers_subtree_only(county, make_user):
    staff = make_user(Role.Kind.COMMUNITY_STAFF, county["A"])
    in_a = SiteFactory(division=county["A"])
    SiteFactory(division=county["B"])
    assert list(Site.objects.visible_to(staff)) == [in_a]
    assert has_role_over(staff, Role.STAFF, county["A1"])
    assert not has_role_over(staff, Role.STAFF, county["B"])
    assert not has_role_over(staff, Role.STAFF, county["county"])


def test_county_grant_sees_every_community(county, make_user):
    admin = make_user(Role.Kind.COUNTY_ADMIN, county["county"])
    SiteFactory(division=county["A"])
    SiteFactory(division=county["B"])
    assert Site.objects.visible_to(admin).count() == 2


def test_nested_grants_collapse_to_the_shortest_path(county, make_user):
    user = make_user(Role.Kind.COMMUNITY_STAFF, county["A"])
    Role.objects.create(user=user, kind=Role.Kind.GRID_WORKER, division=county["A1"])
    assert scope_paths(user) == [county["A"].path]


@pytest.mark.django_db
def test_anonymous_and_roleless_users_see_nothing(county, make_user):
    from django.contrib.auth.models import AnonymousUser

    SiteFactory(division=county["A"])
    assert Site.objects.visible_to(AnonymousUser()).count() == 0
    assert Site.objects.visible_to(make_user()).count() == 0


def test_similar_path_prefix_does_not_leak(county, make_user):
    """/1/2/ must not match /1/23/: paths end with a slash."""
    for _ in range(12):  # push ids past 10 so a prefix like /1/2 could collide with /1/2x
        Division.objects.create(name="x", code=f"x{_}", level=Division.Level.COMMUNITY, parent=county["town"])
    staff = make_user(Role.Kind.COMMUNITY_STAFF, county["A"])
    for d in Division.objects.exclude(path__startswith=county["A"].path).filter(level="community"):
        SiteFactory(division=d)
    assert Site.objects.visible_to(staff).count() == 0


def test_public_records_are_seen_from_below_but_not_across(county, make_user):
    """A resident granted at grid A1 sees community A's centers (public upward), never B's."""
    resident = make_user(Role.Kind.RESIDENT, county["A1"])
    in_a = SiteFactory(division=county["A"])
    SiteFactory(division=county["B"])
    assert list(Site.objects.visible_to(resident)) == [in_a]


def test_private_records_are_not_seen_from_below(county, make_user):
    from linli.core.testing import PersonFactory
    from linli.people.models import Person

    grid_worker = make_user(Role.Kind.GRID_WORKER, county["A1"])
    PersonFactory(division=county["A"])  # registered at the community, above the grid
    mine = PersonFactory(division=county["A1"])
    assert list(Person.objects.visible_to(grid_worker)) == [mine]


def _booking(room, user):
    import datetime as dt

    from django.utils import timezone

    from linli.places.models import Booking

    start = timezone.now() + dt.timedelta(days=1)
    return Booking.objects.create(room=room, booked_by=user, purpose="x", start=start, end=start + dt.timedelta(hours=1))


def test_a_scope_over_every_division_skips_the_own_records_lookup_and_sees_the_same(county, make_user):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from linli.core.testing import RoomFactory
    from linli.places.models import Booking

    admin = make_user(Role.Kind.COUNTY_ADMIN, county["county"])
    other = make_user()
    mine = _booking(RoomFactory(site=SiteFactory(division=county["B"])), admin)
    theirs = _booking(RoomFactory(site=SiteFactory(division=county["A"])), other)
    with CaptureQueriesContext(connection) as seen:
        rows = set(Booking.objects.visible_to(admin))
    assert rows == {mine, theirs}
    assert not [q for q in seen.captured_queries if '"booked_by_id" = ' in q["sql"]]  # no own-records query


def test_a_scope_over_every_division_reads_the_table_without_a_division_list(county, make_user):
    from linli.core.testing import PersonFactory
    from linli.people.models import Person

    admin = make_user(Role.Kind.COUNTY_ADMIN, county["county"])
    staff = make_user(Role.Kind.COMMUNITY_STAFF, county["A"])
    people = {PersonFactory(division=county[name]) for name in ("A", "B1", "county")}
    everyone = Person.objects.visible_to(admin)
    assert "WHERE" not in str(everyone.query)
    assert set(everyone) == people
    assert " IN (" in str(Person.objects.visible_to(staff).query)  # a partial scope still filters
    assert set(Person.objects.visible_to(staff)) < people


def test_own_records_outside_a_partial_scope_are_still_looked_up(county, make_user):
    from linli.core.testing import RoomFactory
    from linli.places.models import Booking

    staff = make_user(Role.Kind.COMMUNITY_STAFF, county["A"])
    own_in_b = _booking(RoomFactory(site=SiteFactory(division=county["B"])), staff)
    someone_in_b = _booking(RoomFactory(site=SiteFactory(division=county["B"])), make_user())
    rows = set(Booking.objects.visible_to(staff))
    assert own_in_b in rows and someone_in_b not in rows
