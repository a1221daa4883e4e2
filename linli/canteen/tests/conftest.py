import pytest

from linli.canteen.testing import canteen, county_user, staff_user, tiers


@pytest.fixture
def world(county):
    office = county_user(county["county"])
    staff = staff_user(county["A"])
    c = canteen(county["A"], by=staff)
    class1, age70 = tiers(county["county"], by=office)
    return {"office": office, "staff": staff, "canteen": c, "class1": class1, "age70": age70, **county}
