import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from linli.core import geo
from linli.core.testing import SiteFactory
from linli.places import services
from linli.places.models import Site

pytestmark = pytest.mark.django_db


def _create(by, division, **kw):
    kw.setdefault("name", "新邻里中心")
    kw.setdefault("address", "东山镇人民路1号")
    return services.site_create(by=by, division=division, **kw)


def test_second_station_in_a_community_is_refused_with_a_clear_error(county, staff_a):
    _create(staff_a, county["A"], name="站一", practice_role=Site.PracticeRole.STATION)
    with pytest.raises(ValidationError) as e:
        _create(staff_a, county["A"], name="站二", practice_role=Site.PracticeRole.STATION)
    assert "站一" in e.value.message_dict["practice_role"][0]
    assert Site.objects.filter(practice_role=Site.PracticeRole.STATION).count() == 1


def test_point_must_name_a_station(county, staff_a):
    with pytest.raises(ValidationError) as e:
        _create(staff_a, county["A"], practice_role=Site.PracticeRole.POINT)
    assert "station" in e.value.message_dict


def test_point_station_must_be_in_the_same_community(county, make_user):
    admin = make_user("county_admin", county["county"])
    station_b = _create(admin, county["B"], practice_role=Site.PracticeRole.STATION)
    with pytest.raises(ValidationError) as e:
        _create(admin, county["A"], practice_role=Site.PracticeRole.POINT, station=station_b)
    assert "station" in e.value.message_dict
    station_a = _create(admin, county["A"], practice_role=Site.PracticeRole.STATION)
    point = _create(admin, county["A"], practice_role=Site.PracticeRole.POINT, station=station_a)
    assert point.station == station_a


def test_only_points_have_a_station(county, staff_a):
    station = _create(staff_a, county["A"], practice_role=Site.PracticeRole.STATION)
    with pytest.raises(ValidationError) as e:
        _create(staff_a, county["A"], practice_role=Site.PracticeRole.NONE, station=station)
    assert "station" in e.value.message_dict


def test_a_station_with_points_cannot_stop_being_a_station(county, staff_a):
    station = _create(staff_a, county["A"], practice_role=Site.PracticeRole.STATION)
    _create(staff_a, county["A"], practice_role=Site.PracticeRole.POINT, station=station)
    with pytest.raises(ValidationError) as e:
        services.site_update(site=station, by=staff_a, data={"practice_role": Site.PracticeRole.NONE})
    assert "practice_role" in e.value.message_dict


def test_gcj02_coordinates_are_converted_to_wgs84_on_create(county, staff_a):
    site = _create(staff_a, county["A"], lat=25.7957, lng=114.5432, coords_gcj02=True)
    expected = geo.gcj02_to_wgs84(25.7957, 114.5432)
    assert (site.lat, site.lng) == pytest.approx(expected, abs=1e-9)
    assert abs(site.lat - 25.7957) + abs(site.lng - 114.5432) > 1e-3  # the GCJ-02 offset is hundreds of metres


def test_wgs84_coordinates_are_stored_as_given(county, staff_a):
    site = _create(staff_a, county["A"], lat=25.7957, lng=114.5432)
    assert (site.lat, site.lng) == (25.7957, 114.5432)


@pytest.mark.parametrize("lat,lng", [(114.5432, 25.7957), (48.85, 2.35), (25.79, None)])
def test_coordinates_outside_china_or_half_given_are_refused_and_nothing_is_saved(county, staff_a, lat, lng):
    with pytest.raises(ValidationError) as e:
        _create(staff_a, county["A"], lat=lat, lng=lng, coords_gcj02=True)
    assert "lat" in e.value.message_dict
    assert not Site.objects.exists()


def test_site_must_be_in_a_community_not_a_grid(county, make_user):
    admin = make_user("county_admin", county["county"])
    with pytest.raises(ValidationError) as e:
        _create(admin, county["A1"])
    assert "division" in e.value.message_dict


def test_only_place_managers_of_the_community_create_sites(county, staff_a, make_user):
    with pytest.raises(PermissionDenied):
        _create(staff_a, county["B"])
    with pytest.raises(PermissionDenied):
        _create(make_user("resident", county["A"]), county["A"])


def test_oversize_name_is_refused(county, staff_a):
    with pytest.raises(ValidationError) as e:
        _create(staff_a, county["A"], name="长" * 101)
    assert "name" in e.value.message_dict


def test_overlapping_opening_intervals_of_one_day_are_refused(county, staff_a):
    import datetime as dt

    site = SiteFactory(division=county["A"])
    with pytest.raises(ValidationError):
        services.opening_hours_set(site=site, by=staff_a, hours=[(0, dt.time(8), dt.time(12)),
                                                                 (0, dt.time(11), dt.time(18))])
    services.opening_hours_set(site=site, by=staff_a, hours=[(0, dt.time(8), dt.time(12)),
                                                             (0, dt.time(14), dt.time(18))])
    assert site.opening_hours.count() == 2


def test_open_now_of_several_sites_in_two_queries_equals_each_sites_own(site_a, site_b, county, day,
                                                                       django_assert_num_queries):
    from linli.places import selectors
    from linli.places.models import OpeningException
    from linli.places.tests.conftest import at

    closed = SiteFactory(division=county["A"], name="无开放时间的点位")  # no hours at all
    OpeningException.objects.create(site=site_b, date=day, closed=True, note="春节")
    sites = [site_a, site_b, closed]
    for moment in (at(day, 7, 59), at(day, 8), at(day, 20, 59), at(day, 21), at(day + dt.timedelta(days=1), 12)):
        with django_assert_num_queries(2):
            many = selectors.open_now_for(sites, now=moment)
        assert many == {s.pk: selectors.open_now(s, now=moment) for s in sites}
    assert selectors.open_now_for(sites, now=at(day, 12)) == {site_a.pk: True, site_b.pk: False, closed.pk: False}
