"""A resident finds a center: every center of the county (public information, read-only), the nearest
ones from home with the walking time the latest coverage run measured, whether each is open now, and a
link a Chinese map app understands (GCJ-02)."""

import datetime as dt
from urllib.parse import parse_qs, urlparse

import pytest

from linli.accounts.models import Role
from linli.core.geo import wgs84_to_gcj02
from linli.core.testing import RoomFactory, open_all_week
from linli.coverage import selectors, services
from linli.coverage.tests.conftest import center, household
from linli.places import selectors as places


@pytest.fixture
def resident_at_home(county, make_user):
    user = make_user(Role.Kind.RESIDENT, county["A1"])
    home = household(county["A1"], 200, 200)
    person = home.memberships.get().person
    person.user = user
    person.save(update_fields=["user"])
    return user


def test_a_resident_sees_every_center_of_the_county_but_manages_none(client, county, resident_at_home):
    other = center(county["B"], 900, 900, name="邻社区中心", is_neighborhood_center=True)
    client.force_login(resident_at_home)
    assert "邻社区中心" in client.get("/places/sites/").content.decode()
    assert client.get(f"/places/sites/{other.pk}/").status_code == 200
    assert client.get(f"/places/sites/{other.pk}/edit/").status_code == 404


def test_another_communitys_rooms_are_listed_but_not_bookable_from_there(client, county, resident_at_home):
    other = center(county["B"], 900, 900, name="邻社区中心", is_neighborhood_center=True)
    room = RoomFactory(site=other, name="舞蹈房")
    client.force_login(resident_at_home)
    html = client.get(f"/places/sites/{other.pk}/").content.decode()
    assert "舞蹈房" in html and f"/places/rooms/{room.pk}/" not in html


def test_the_directory_stops_at_the_county(county, resident_at_home):
    from linli.divisions.models import Division

    elsewhere = Division.objects.create(name="崇义县", code="360725", level=Division.Level.COUNTY)
    far = center(elsewhere, 0, 0, name="外县中心")
    assert far not in places.site_directory(user=resident_at_home)


def test_the_nearest_center_comes_with_its_walking_time(county, network, resident_at_home):
    near = center(county["A"], 300, 200, name="近的中心", is_neighborhood_center=True)
    open_all_week(near)
    center(county["B"], 1400, 1400, name="远的中心", is_neighborhood_center=True)
    services.coverage_run(network=network, division=county["county"])
    result = selectors.nearest_centers(user=resident_at_home)
    first = result["rows"][0]
    assert first["site"] == near
    assert first["minutes"] == pytest.approx(100 / (4000 / 60), abs=0.2)  # 100 m at 4 km/h
    assert result["rows"][1]["minutes"] is None and result["rows"][1]["metres"] > 1000
    assert result["computed_at"] is not None


def test_the_site_page_says_whether_it_is_open_now_and_links_a_map_app(client, county, resident_at_home):
    site = center(county["A"], 300, 200, name="近的中心", is_neighborhood_center=True)
    open_all_week(site, opens=dt.time(0, 0), closes=dt.time(23, 59))
    client.force_login(resident_at_home)
    html = client.get(f"/places/sites/{site.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "正在开放" in html and "WGS-84" not in html
    url = places.map_app_url(site)
    assert url in html.replace("&amp;", "&")
    lng, lat = map(float, parse_qs(urlparse(url).query)["position"][0].split(","))
    glat, glng = wgs84_to_gcj02(site.lat, site.lng)
    assert (lat, lng) == pytest.approx((glat, glng), abs=1e-6)
    assert abs(lat - site.lat) > 1e-4  # GCJ-02, not the stored WGS-84


def test_the_residents_home_shows_the_nearest_centers(client, county, network, resident_at_home):
    center(county["A"], 300, 200, name="近的中心", is_neighborhood_center=True)
    services.coverage_run(network=network, division=county["county"])
    client.force_login(resident_at_home)
    html = client.get("/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert 'data-testid="nearest-centers"' in html and "近的中心" in html and "步行 2 分钟" in html
