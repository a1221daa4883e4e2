import pytest

from linli.accounts.models import Role
from linli.coverage import services
from linli.coverage.tests.conftest import center, grid_geojson, household
from tests.e2e.conftest import login, shot


@pytest.fixture
def coverage_run(settings, tmp_path, county):
    settings.DATA_DIR = tmp_path
    settings.LINLI_COVERAGE_INLINE = True
    network = services.network_import(path=grid_geojson(tmp_path / "town.geojson"), division=county["county"])
    center(county["A"], 0, 0, name="东门邻里中心")
    center(county["B"], 900, 1200, name="南门邻里中心")
    for e, n, grid in [(100, 0, "A1"), (300, 200, "A1"), (600, 100, "A2"), (1400, 1400, "B1"), (1500, 200, "B2"),
                       (800, 1100, "B1"), (1450, 700, "B2")]:
        household(county[grid], e, n, members=2)
    run = services.coverage_run(network=network, division=county["county"])
    return services.coverage_site(run=run, k=1, candidates="nodes")


def test_coverage_page_shows_the_map_and_the_figures(page, county, make_user, coverage_run):
    user = make_user(Role.Kind.COUNTY_ADMIN, county["county"], username="cov")
    login(page, user.username)
    page.goto(f"/coverage/{county['county'].pk}/")
    page.wait_for_selector("#coverage-map[data-ready='1']")
    assert page.locator("#coverage-map path.leaflet-interactive").count() >= 3  # isochrone bands and markers
    assert page.locator("#coverage-map canvas").count() >= 1  # households on a canvas layer
    figures = page.inner_text("[data-testid=coverage-figures]")
    assert "%" in figures and "15" in figures
    assert "社区A" in page.inner_text("main") and page.locator("[data-testid=coverage-siting]").is_visible()
    shot(page, "coverage")
