"""Demo county: a street network for the county seat, imported like a real one, one coverage run over
the neighborhood centers and a k = 2 siting, so the coverage page has figures and a suggestion at once."""

from django.conf import settings

from linli.coverage import services
from linli.coverage.demo_network import generate_demo_osm
from linli.demo.generator import CENTER, COUNTY_CODE
from linli.divisions.models import Division


def extend(*, rng, logins):
    county = Division.objects.get(code=COUNTY_CODE)
    info = generate_demo_osm(settings.DATA_DIR / "coverage" / "demo-shangyou.osm", lat0=CENTER[0], lng0=CENTER[1])
    network = services.network_import(path=info.path, division=county, name="上犹县城区步行路网（演示）")
    run = services.coverage_run(network=network, division=county)
    if run.status == run.Status.FINISHED:
        services.coverage_site(run=run, k=2, candidates="nodes", time_limit_s=20)
