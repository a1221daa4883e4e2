import pytest
from django.urls import reverse

from linli.accounts.models import Role
from linli.core.models import AccessLog
from linli.coverage import services
from linli.coverage.models import CoverageRun

from .conftest import center, household

pytestmark = pytest.mark.django_db


@pytest.fixture
def run(network, county):
    center(county["A"], 0, 0, name="东门邻里中心")
    household(county["A1"], 100, 0, members=2)
    household(county["A2"], 1400, 1400, members=1)
    household(county["B1"], 1500, 1500, members=3)
    r = services.coverage_run(network=network, division=county["county"])
    return services.coverage_site(run=r, k=1, candidates="nodes")


def test_county_page_shows_figures_per_community_and_the_suggestion(client, make_user, county, run):
    client.force_login(make_user(Role.Kind.COUNTY_ADMIN, county["county"]))
    html = client.get(reverse("coverage:division", args=[county["county"].pk])).content.decode()
    assert "33.3%" in html  # 1 of 3 households within 15 min
    assert "社区A" in html and "社区B" in html and 'data-testid="coverage-siting"' in html
    assert 'data-testid="coverage-run-form"' in html
    # a community's name is 名称; 姓名 is a person's (the same English "Name", told apart by context)
    assert "<th>名称</th>" in html and "<th>姓名</th>" not in html


def test_community_page_uses_the_county_run_for_its_grids(client, make_user, county, run):
    client.force_login(make_user(Role.Kind.COMMUNITY_STAFF, county["A"]))
    html = client.get(reverse("coverage:division", args=[county["A"].pk])).content.decode()
    assert "50.0%" in html and "网格A1" in html and "网格B1" not in html


def test_out_of_scope_division_is_404(client, make_user, county, run):
    client.force_login(make_user(Role.Kind.COMMUNITY_STAFF, county["B"]))
    for name, args in [("coverage:division", [county["A"].pk]), ("coverage:uncovered", [county["A"].pk]),
                       ("coverage:map_data", [county["A"].pk, run.pk]), ("coverage:progress", [county["A"].pk, run.pk])]:
        assert client.get(reverse(name, args=args)).status_code == 404, name
    assert client.post(reverse("coverage:run_start", args=[county["A"].pk])).status_code == 404


@pytest.mark.parametrize("kind", [Role.Kind.GRID_WORKER, Role.Kind.SITE_MANAGER, Role.Kind.RESIDENT, Role.Kind.VOLUNTEER])
def test_only_staff_start_runs_and_sitings(client, make_user, county, run, kind):
    user = make_user(kind, county["A"])
    client.force_login(user)
    assert 'data-testid="coverage-run-form"' not in client.get(reverse("coverage:division", args=[county["A"].pk])).content.decode()
    assert client.post(reverse("coverage:run_start", args=[county["A"].pk])).status_code == 403
    assert client.post(reverse("coverage:siting_start", args=[county["A"].pk]), {"k": 1}).status_code == 403
    assert CoverageRun.objects.count() == 1


def test_staff_start_a_run_and_a_siting_from_the_page(client, make_user, county, run):
    client.force_login(make_user(Role.Kind.COMMUNITY_STAFF, county["A"]))
    url = reverse("coverage:division", args=[county["A"].pk])
    assert client.post(reverse("coverage:run_start", args=[county["A"].pk]), {"function": ""}).status_code == 302
    new = CoverageRun.objects.get(division=county["A"])
    assert new.status == CoverageRun.Status.FINISHED and new.figures["overall"]["households"] == 2
    client.post(reverse("coverage:siting_start", args=[county["A"].pk]), {"k": 1, "candidates": "nodes"})
    new.refresh_from_db()
    assert new.siting_status == CoverageRun.Status.FINISHED
    html = client.get(url).content.decode()
    assert 'data-testid="coverage-siting"' in html


def test_bad_run_input_is_shown_not_started(client, make_user, county, run):
    client.force_login(make_user(Role.Kind.COMMUNITY_STAFF, county["A"]))
    response = client.post(reverse("coverage:run_start", args=[county["A"].pk]), {"at": "whenever"}, follow=True)
    assert "msg-error" in response.content.decode()
    assert not CoverageRun.objects.filter(division=county["A"]).exists()


def test_progress_bar_while_running_and_refresh_when_done(client, make_user, county, run):
    client.force_login(make_user(Role.Kind.COUNTY_ADMIN, county["county"]))
    CoverageRun.objects.filter(pk=run.pk).update(status=CoverageRun.Status.RUNNING, progress=40)
    page = client.get(reverse("coverage:division", args=[county["county"].pk])).content.decode()
    assert 'hx-trigger="every 1s"' in page and 'value="40"' in page
    CoverageRun.objects.filter(pk=run.pk).update(status=CoverageRun.Status.FINISHED, progress=100)
    done = client.get(reverse("coverage:progress", args=[county["county"].pk, run.pk]), HTTP_HX_REQUEST="true")
    assert done.status_code == 204 and done["HX-Refresh"] == "true"


def test_map_data_shows_households_only_to_those_who_may_see_them(client, make_user, county, run):
    client.force_login(make_user(Role.Kind.GRID_WORKER, county["A1"]))
    data = client.get(reverse("coverage:map_data", args=[county["A1"].pk, run.pk])).json()
    assert len(data["households"]["lat"]) == 1 and data["centers"][0]["name"] == "东门邻里中心"
    assert AccessLog.objects.filter(model="people.Household", action="list").count() == 1
    client.force_login(make_user(Role.Kind.VOLUNTEER, county["A"]))
    data = client.get(reverse("coverage:map_data", args=[county["A"].pk, run.pk])).json()
    assert data["households"] is None and data["clusters"] == [] and data["isochrones"]["features"]


def test_uncovered_list_is_scoped_masked_and_audited(client, make_user, county, run):
    user = make_user(Role.Kind.COMMUNITY_STAFF, county["A"])
    client.force_login(user)
    html = client.get(reverse("coverage:uncovered", args=[county["A"].pk])).content.decode()
    far = run.division.households.model.objects.get(division=county["A2"])
    other = run.division.households.model.objects.get(division=county["B1"])
    assert far.address in html and other.address not in html
    assert "138" not in html  # no phone numbers
    log = AccessLog.objects.get(user=user)
    assert log.model == "people.Household" and log.object_ids == [far.pk]


def test_coverage_page_query_count_is_bounded(client, make_user, county, run, django_assert_max_num_queries):
    client.force_login(make_user(Role.Kind.COUNTY_ADMIN, county["county"]))
    url = reverse("coverage:division", args=[county["county"].pk])
    client.get(url)
    with django_assert_max_num_queries(16):
        assert client.get(url).status_code == 200


def test_index_redirects_to_the_broadest_division(client, make_user, county):
    client.force_login(make_user(Role.Kind.COMMUNITY_STAFF, county["A"]))
    assert client.get(reverse("coverage:index"))["Location"] == reverse("coverage:division", args=[county["A"].pk])


def test_page_without_a_run_says_what_to_do(client, make_user, county, network):
    client.force_login(make_user(Role.Kind.COMMUNITY_STAFF, county["A"]))
    html = client.get(reverse("coverage:division", args=[county["A"].pk])).content.decode()
    assert 'data-testid="coverage-empty"' in html and 'data-testid="coverage-run-form"' in html
