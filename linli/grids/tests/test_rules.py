"""The grid rules: workers record only in their own grids, visits and reaches are idempotent, a
household is reached once per campaign, the reach report names every unreached household, care
cadences make overdue lists, and grid polygons are valid and do not overlap."""

import datetime as dt
import threading
import uuid

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.utils import timezone

from linli.accounts.models import Role
from linli.core.stats import figures
from linli.grids import selectors, services
from linli.grids.models import Campaign, GridAssignment, Reach, Visit

from .conftest import resident_in

M = Campaign.Method


def square(lng, lat, size=0.01):
    return {"type": "Polygon", "coordinates": [[[lng, lat], [lng + size, lat], [lng + size, lat + size],
                                                [lng, lat + size], [lng, lat]]]}


@pytest.fixture
def campaign(county, users):
    return services.campaign_create(by=users["county_admin"], title="防疫通知", content="请接种疫苗", division=county["county"],
                                    starts_on=timezone.localdate() - dt.timedelta(days=1),
                                    deadline=timezone.localdate() + dt.timedelta(days=10), methods=[M.VISIT, M.PHONE])


# Visits ---------------------------------------------------------------------------------------------

def test_grid_worker_records_a_visit_in_their_own_grid(users, homes):
    household, person = homes["A1"]
    visit, created = services.visit_record(by=users["grid_worker"], household=household, met=person, notes="好")
    assert created and visit.division == household.division and visit.recorded_by == users["grid_worker"]


@pytest.mark.parametrize("grid", ["A2", "B1"])
def test_grid_worker_cannot_record_outside_their_grid(users, homes, grid):
    with pytest.raises(PermissionDenied):
        services.visit_record(by=users["grid_worker"], household=homes[grid][0])
    with pytest.raises(PermissionDenied):
        services.reach_record(by=users["grid_worker"], campaign=Campaign(), household=homes[grid][0], method=M.VISIT)
    assert not Visit.objects.exists()


@pytest.mark.parametrize("role", ["site_manager", "volunteer", "resident", "no_role"])
def test_other_roles_cannot_record_visits(users, homes, role):
    with pytest.raises(PermissionDenied):
        services.visit_record(by=users[role], household=homes["A1"][0])


def test_a_visit_submitted_twice_with_its_key_is_recorded_once(users, homes):
    key = uuid.uuid4()
    first, created = services.visit_record(by=users["grid_worker"], household=homes["A1"][0], submission_key=key)
    again, created_again = services.visit_record(by=users["grid_worker"], household=homes["A1"][0], submission_key=key)
    assert created and not created_again and first.pk == again.pk and Visit.objects.count() == 1


def test_a_visit_key_cannot_be_reused_for_another_household(users, homes):
    key = uuid.uuid4()
    services.visit_record(by=users["community_staff"], household=homes["A1"][0], submission_key=key)
    with pytest.raises(ValidationError) as exc:
        services.visit_record(by=users["community_staff"], household=homes["A2"][0], submission_key=key)
    assert "submission_key" in exc.value.message_dict


def test_visit_date_met_person_and_photo_are_checked(users, homes):
    h = homes["A1"][0]
    with pytest.raises(ValidationError) as exc:
        services.visit_record(by=users["grid_worker"], household=h, visited_on=timezone.localdate() + dt.timedelta(days=1),
                              met=homes["A2"][1])
    assert set(exc.value.message_dict) == {"visited_on", "met"}
    from django.core.files.uploadedfile import SimpleUploadedFile

    with pytest.raises(ValidationError) as exc:
        services.visit_record(by=users["grid_worker"], household=h, photo=SimpleUploadedFile("x.jpg", b"MZ not a photo"))
    assert "photo" in exc.value.message_dict
    visit, _ = services.visit_record(by=users["grid_worker"], household=h,
                                     photo=SimpleUploadedFile("x.jpg", b"\xff\xd8\xff\xe0 jpeg"))
    assert visit.photo.name.startswith("visits/")


def test_a_visit_need_carries_over_to_a_case_without_retyping(users, homes):
    visit, _ = services.visit_record(by=users["grid_worker"], household=homes["A1"][0], met=homes["A1"][1], needs="楼道灯坏了")
    prefill = services.visit_need_as_case(visit=visit)
    assert prefill["description"] == "楼道灯坏了" and prefill["person"] == homes["A1"][1]


# Cadence and overdue --------------------------------------------------------------------------------

def test_overdue_follows_the_care_tag_cadence(users, homes):
    worker, (h1, _p) = users["grid_worker"], homes["A1"]
    today = timezone.localdate()
    assert list(selectors.overdue_households(user=worker)) == [h1]  # never visited
    services.visit_record(by=worker, household=h1, visited_on=today - dt.timedelta(days=7))
    assert not selectors.overdue_households(user=worker).exists()  # due today, not overdue
    assert list(selectors.overdue_households(user=worker, today=today + dt.timedelta(days=1))) == [h1]
    row = selectors.with_due(selectors.overdue_households(user=worker, today=today + dt.timedelta(days=3)),
                             today=today + dt.timedelta(days=3))[0]
    assert row.cadence == 7 and row.days_overdue == 3


def test_the_shortest_cadence_of_any_member_applies_and_moved_out_members_do_not_count(users, homes, county):
    household, head = homes["B1"]  # dibao, 30 days
    staff = users["county_admin"]
    services.visit_record(by=staff, household=household, visited_on=timezone.localdate() - dt.timedelta(days=10))
    assert household not in selectors.overdue_households(user=staff)
    from linli.people.services import membership_end, person_create

    lonely = person_create(by=staff, name="独居", household=household, relation="parent",
                           care_tags=[homes["A1"][1].care_tags.get()])
    assert household in selectors.overdue_households(user=staff)  # 7 days now
    membership_end(by=staff, membership=lonely.memberships.get())
    assert household not in selectors.overdue_households(user=staff)


def test_the_homes_overdue_list_is_the_overdue_list_in_the_workers_grids(users, homes, county):
    from linli.grids.tests.conftest import resident_in

    worker, today = users["grid_worker"], timezone.localdate()
    grids = [county["A1"]]
    extra = [resident_in(county["A1"], tags=["living_alone_elderly"])[0] for _ in range(4)]
    services.visit_record(by=worker, household=extra[0], visited_on=today - dt.timedelta(days=9))
    services.visit_record(by=worker, household=extra[1], visited_on=today - dt.timedelta(days=20))
    services.visit_record(by=worker, household=extra[2], visited_on=today - dt.timedelta(days=3))  # not due
    for day in (today, today + dt.timedelta(days=5)):
        expected = list(selectors.overdue_households(user=worker, today=day).filter(division__in=grids))
        for limit in (2, 20):
            shown, total = selectors.overdue_first(user=worker, grids=grids, limit=limit, today=day)
            assert total == len(expected) and [h.pk for h in shown] == [h.pk for h in expected[:limit]]
            assert [(h.cadence, h.last_visit) for h in shown] == [(h.cadence, h.last_visit) for h in expected[:limit]]
    assert selectors.overdue_first(user=worker, grids=grids, limit=20, today=today)[1] == 4  # h1, 3 extra


def test_overdue_list_is_scoped(users, homes):
    assert list(selectors.overdue_households(user=users["grid_worker"])) == [homes["A1"][0]]
    assert set(selectors.overdue_households(user=users["county_admin"])) == {homes["A1"][0], homes["B1"][0]}


# Campaigns and reach --------------------------------------------------------------------------------

def test_reach_report_names_every_unreached_household_per_grid(users, homes, county, campaign):
    extra = [resident_in(county["A1"])[0] for _ in range(3)]
    services.reach_record(by=users["grid_worker"], campaign=campaign, household=extra[0], method=M.VISIT)
    report = selectors.campaign_report(user=users["county_admin"], campaign=campaign)
    by_grid = {g.grid.name: g for g in report.grids}
    assert set(by_grid) == {"网格A1", "网格A2", "网格B1"}
    assert by_grid["网格A1"].reached == 1 and by_grid["网格A1"].total == 4 and by_grid["网格A1"].unreached == 3
    assert by_grid["网格A2"].unreached == 1 and by_grid["网格B1"].unreached == 1
    unreached = selectors.campaign_unreached(user=users["county_admin"], campaign=campaign)
    assert set(unreached) == {homes["A1"][0], extra[1], extra[2], homes["A2"][0], homes["B1"][0]}
    in_a1 = selectors.campaign_unreached(user=users["county_admin"], campaign=campaign, grid=county["A1"])
    assert set(in_a1) == {homes["A1"][0], extra[1], extra[2]}
    assert report.total == 6 and report.unreached_count == 5
    assert {c.grid.name: (c.reached, c.total) for c in report.communities} == {"社区A": (1, 5), "社区B": (0, 1)}


def test_reach_report_only_shows_what_the_user_may_see(users, homes, campaign):
    report = selectors.campaign_report(user=users["grid_worker"], campaign=campaign)
    assert [g.grid.name for g in report.grids] == ["网格A1"]


def test_a_household_is_reached_once_per_campaign(users, homes, campaign):
    h = homes["A1"][0]
    services.reach_record(by=users["grid_worker"], campaign=campaign, household=h, method=M.VISIT)
    with pytest.raises(ValidationError) as exc:
        services.reach_record(by=users["community_staff"], campaign=campaign, household=h, method=M.PHONE)
    assert "already reached" in exc.value.message_dict["household"][0]
    assert Reach.objects.count() == 1


def test_a_reach_resubmitted_offline_is_not_duplicated(users, homes, campaign):
    key = str(uuid.uuid4())
    first, c1 = services.reach_record(by=users["grid_worker"], campaign=campaign, household=homes["A1"][0],
                                      method=M.VISIT, submission_key=key)
    again, c2 = services.reach_record(by=users["grid_worker"], campaign=campaign, household=homes["A1"][0],
                                      method=M.VISIT, submission_key=key)
    assert (c1, c2) == (True, False) and first.pk == again.pk and Reach.objects.count() == 1


def test_reach_method_scope_and_time_are_checked(users, homes, county, campaign):
    with pytest.raises(ValidationError) as exc:
        services.reach_record(by=users["grid_worker"], campaign=campaign, household=homes["A1"][0], method=M.WECHAT,
                              reached_at=timezone.now() + dt.timedelta(hours=2))
    assert set(exc.value.message_dict) == {"method", "reached_at"}
    narrow = services.campaign_create(by=users["county_admin"], title="B only", content="x", division=county["county"],
                                      scope=[county["B"]], starts_on=timezone.localdate(),
                                      deadline=timezone.localdate(), methods=[M.VISIT])
    with pytest.raises(ValidationError) as exc:
        services.reach_record(by=users["grid_worker"], campaign=narrow, household=homes["A1"][0], method=M.VISIT)
    assert "household" in exc.value.message_dict


def test_campaign_rules(users, county):
    with pytest.raises(PermissionDenied):
        services.campaign_create(by=users["grid_worker"], title="t", content="c", division=county["A1"],
                                 starts_on=timezone.localdate(), deadline=timezone.localdate(), methods=[M.VISIT])
    with pytest.raises(ValidationError) as exc:
        services.campaign_create(by=users["community_staff"], title=" ", content="c", division=county["A"],
                                 scope=[county["B1"]], starts_on=timezone.localdate(),
                                 deadline=timezone.localdate() - dt.timedelta(days=1), methods=[])
    assert set(exc.value.message_dict) == {"title", "deadline", "methods", "scope"}


def test_a_county_campaign_reaches_the_grid_workers_home(users, homes, campaign):
    rows = selectors.open_campaign_households(user=users["grid_worker"])
    assert [(c, hs, n) for c, hs, n in rows] == [(campaign, [homes["A1"][0]], 1)]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_resubmissions_of_one_reach_make_one_record(county, make_user, cadence):
    if connection.vendor != "postgresql":
        pytest.skip("concurrency is proven on PostgreSQL (SQLite serialises writers)")
    staff = make_user(Role.Kind.COUNTY_ADMIN, county["county"])
    worker = make_user(Role.Kind.GRID_WORKER, county["A1"])
    household = resident_in(county["A1"])[0]
    campaign = services.campaign_create(by=staff, title="t", content="c", division=county["county"],
                                        starts_on=timezone.localdate(), deadline=timezone.localdate(), methods=[M.VISIT])
    key, n = uuid.uuid4(), 6
    barrier, results, errors = threading.Barrier(n), [], []

    def submit(i):
        try:
            barrier.wait()
            # Half resend the same key (a phone syncing twice), half are other phones tapping the same door.
            reach, created = services.reach_record(by=worker, campaign=campaign, household=household, method=M.VISIT,
                                                   submission_key=key if i % 2 == 0 else uuid.uuid4())
            results.append((reach.pk, created, i))
        except ValidationError as exc:
            errors.append((exc, i))
        finally:
            connection.close()

    threads = [threading.Thread(target=submit, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    reach = Reach.objects.get(campaign=campaign, household=household)
    assert sum(1 for _pk, created, _i in results if created) == 1
    assert {pk for pk, _c, _i in results} == {reach.pk} and len(results) + len(errors) == n
    # Whoever lost was told the household was already reached; the winner's key always gets the winner back.
    assert all(exc.error_dict["household"][0].code == "already_reached" for exc, _i in errors)
    if reach.submission_key == key:
        assert {i for _pk, _c, i in results} == {0, 2, 4}


# Boundaries and locations ---------------------------------------------------------------------------

def test_a_self_intersecting_polygon_is_refused(users, county):
    bowtie = {"type": "Polygon", "coordinates": [[[114.5, 25.8], [114.51, 25.81], [114.51, 25.8], [114.5, 25.81],
                                                 [114.5, 25.8]]]}
    with pytest.raises(ValidationError) as exc:
        services.grid_boundary_set(by=users["community_staff"], grid=county["A1"], boundary=bowtie)
    assert "cross itself" in exc.value.message_dict["boundary"][0]
    county["A1"].refresh_from_db()
    assert county["A1"].boundary is None


def test_overlapping_a_neighbour_is_refused_but_sharing_an_edge_is_fine(users, county):
    staff = users["community_staff"]
    services.grid_boundary_set(by=staff, grid=county["A1"], boundary=square(114.50, 25.80))
    services.grid_boundary_set(by=staff, grid=county["A2"], boundary=square(114.51, 25.80))  # shares an edge
    with pytest.raises(ValidationError) as exc:
        services.grid_boundary_set(by=staff, grid=county["A2"], boundary=square(114.505, 25.80))
    assert "网格A1" in exc.value.message_dict["boundary"][0]


@pytest.mark.parametrize("bad", [{"type": "Point", "coordinates": [114.5, 25.8]}, {"type": "Polygon", "coordinates": [[1]]},
                                 square(14.5, 25.8), "nonsense"])
def test_malformed_boundaries_are_refused(users, county, bad):
    with pytest.raises(ValidationError):
        services.grid_boundary_set(by=users["community_staff"], grid=county["A1"], boundary=bad)


def test_only_staff_draw_boundaries(users, county):
    with pytest.raises(PermissionDenied):
        services.grid_boundary_set(by=users["grid_worker"], grid=county["A1"], boundary=square(114.5, 25.8))


def test_households_whose_location_disagrees_with_their_grid_are_listed(users, county):
    staff = users["community_staff"]
    services.grid_boundary_set(by=staff, grid=county["A1"], boundary=square(114.50, 25.80))
    services.grid_boundary_set(by=staff, grid=county["A2"], boundary=square(114.51, 25.80))
    inside = resident_in(county["A1"], lat=25.805, lng=114.505)[0]
    in_a2 = resident_in(county["A1"], lat=25.805, lng=114.515)[0]
    nowhere = resident_in(county["A1"], lat=25.9, lng=114.9)[0]
    rows = selectors.location_mismatches(user=staff)
    assert {h.pk: (h.located_in.name if h.located_in else None) for h in rows} == {in_a2.pk: "网格A2", nowhere.pk: None}
    assert inside not in rows


# Assignments ----------------------------------------------------------------------------------------

def test_assignment_grants_and_ending_revokes_the_grid_role(users, county, make_user, homes):
    newcomer = make_user()
    a = services.assignment_start(by=users["community_staff"], grid=county["A2"], user=newcomer)
    assert selectors.can_record(newcomer, homes["A2"][0].division)
    with pytest.raises(ValidationError):
        services.assignment_start(by=users["community_staff"], grid=county["A2"], user=newcomer)
    services.assignment_end(by=users["community_staff"], assignment=a)
    newcomer = type(newcomer).objects.get(pk=newcomer.pk)
    assert not selectors.can_record(newcomer, homes["A2"][0].division)
    with pytest.raises(PermissionDenied):
        services.visit_record(by=newcomer, household=homes["A2"][0])


def test_a_grid_without_a_current_worker_is_flagged(users, county, make_user):
    services.assignment_start(by=users["community_staff"], grid=county["A1"], user=make_user())
    old = GridAssignment.objects.create(grid=county["A2"], user=make_user(), start_date=dt.date(2020, 1, 1),
                                        end_date=dt.date(2021, 1, 1))
    grids = {g.name: g.current_assignments for g in selectors.grid_list(user=users["community_staff"])}
    assert len(grids["网格A1"]) == 1 and grids["网格A2"] == [] and old.grid.name == "网格A2"


# Figures --------------------------------------------------------------------------------------------

def test_figures_are_computed_from_records(users, homes, campaign):
    today = timezone.localdate()
    services.visit_record(by=users["grid_worker"], household=homes["A1"][0], visited_on=today - dt.timedelta(days=40))
    services.visit_record(by=users["grid_worker"], household=homes["A1"][0], visited_on=today - dt.timedelta(days=2))
    services.reach_record(by=users["grid_worker"], campaign=campaign, household=homes["A1"][0], method=M.VISIT)
    out = figures()
    assert out["visits"] == {"total": 2, "last_30_days": 1, "overdue_care_visits": 1}  # B1 never visited
    assert out["campaigns"] == {"total": 1, "running": 1, "households_reached_share": round(1 / 3, 4),
                                "households_unreached": 2}
    mine = figures(users["grid_worker"])
    assert mine["visits"]["overdue_care_visits"] == 0 and mine["campaigns"]["households_unreached"] == 0
