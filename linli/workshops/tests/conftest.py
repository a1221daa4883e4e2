import pytest

from linli.workshops.testing import county_user, job, staff_user, workshop


@pytest.fixture
def world(county):
    office = county_user(county["county"])
    staff = staff_user(county["A"])
    w = workshop(county["A"], by=staff)
    sewing = job(w, by=staff)
    return {"office": office, "staff": staff, "workshop": w, "sewing": sewing, **county}
