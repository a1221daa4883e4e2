import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.utils import translation

from linli.accounts.models import Role
from linli.core import crypto, idcard
from linli.people import services
from linli.people.models import CareTag, Household, Membership, Person

NUMBER = idcard.make("360724", dt.date(1948, 3, 9), 123)  # a man born 1948-03-09


@pytest.fixture
def worker(county, make_user):
    return make_user(Role.Kind.GRID_WORKER, county["A1"])


@pytest.fixture
def household(worker, county):
    return services.household_create(by=worker, division=county["A1"], address="东区3栋2单元501室")


def test_standard_care_tags_are_seeded(db):
    assert set(CareTag.objects.values_list("name", flat=True)) >= {
        "独居老人", "残疾人", "低保户", "留守儿童", "困难党员", "高龄老人"}


def test_household_only_in_a_division_the_user_keeps(worker, county):
    with pytest.raises(PermissionDenied):
        services.household_create(by=worker, division=county["A2"], address="x")
    with pytest.raises(ValidationError) as exc:
        services.household_create(by=worker, division=county["A1"], address="x", lat=48.8, lng=2.3)
    assert "lat" in exc.value.message_dict
    assert not Household.objects.exists()


def test_household_must_be_in_a_grid_or_community(county, make_user):
    admin = make_user(Role.Kind.COUNTY_ADMIN, county["county"])
    with pytest.raises(ValidationError) as exc:
        services.household_create(by=admin, division=county["town"], address="x")
    assert "division" in exc.value.message_dict


def test_person_takes_birth_date_and_sex_from_the_id_number(worker, household):
    p = services.person_create(by=worker, household=household, relation="head", name="张伟", id_number=NUMBER)
    assert (p.birth_date, p.sex, p.division) == (dt.date(1948, 3, 9), "M", household.division)
    assert p.id_number == NUMBER and p.id_number_masked == NUMBER[:4] + "*" * 12 + NUMBER[-2:]


def test_id_number_is_encrypted_at_rest(worker, household):
    p = services.person_create(by=worker, household=household, name="张伟", id_number=NUMBER)
    with connection.cursor() as cur:
        cur.execute("SELECT id_number_encrypted, id_number_index, id_number_masked FROM people_person WHERE id = %s",
                    [p.pk])
        row = cur.fetchone()
    assert all(NUMBER not in (col or "") for col in row)
    assert NUMBER[6:14] not in row[0]


def test_blind_index_finds_the_person_and_refuses_a_duplicate(worker, household):
    p = services.person_create(by=worker, household=household, name="张伟", id_number=NUMBER)
    assert Person.objects.get(id_number_index=crypto.blind_index(NUMBER)) == p
    with pytest.raises(ValidationError) as exc, translation.override("en"):
        services.person_create(by=worker, division=household.division, name="李四", id_number=NUMBER.lower())
    assert exc.value.message_dict["id_number"] == ["A person with this ID-card number is already registered."]
    assert Person.objects.count() == 1


def test_typed_birth_date_or_sex_must_not_contradict_the_id(worker, household):
    with pytest.raises(ValidationError) as exc:
        services.person_create(by=worker, household=household, name="张伟", id_number=NUMBER,
                               birth_date=dt.date(1950, 1, 1), sex="F")
    assert set(exc.value.message_dict) == {"birth_date", "sex"}
    assert not Person.objects.exists() and not Membership.objects.exists()


def test_invalid_id_number_is_a_field_error(worker, household):
    with pytest.raises(ValidationError) as exc:
        services.person_create(by=worker, household=household, name="张伟", id_number=NUMBER[:-1] + "0"
                               if NUMBER[-1] != "0" else NUMBER[:-1] + "1")
    assert "id_number" in exc.value.message_dict


@pytest.mark.parametrize("phone,ok", [("13812345678", True), ("+86 138 1234 5678", True), ("0797-8512345", True),
                                      ("12812345678", False), ("1381234567", False), ("abc", False)])
def test_phone_format(worker, household, phone, ok):
    if ok:
        p = services.person_create(by=worker, household=household, name="张伟", phone=phone)
        assert p.phone in ("13812345678", "0797-8512345")
    else:
        with pytest.raises(ValidationError) as exc:
            services.person_create(by=worker, household=household, name="张伟", phone=phone)
        assert "phone" in exc.value.message_dict


def test_update_keeps_the_id_number_unless_given(worker, household):
    p = services.person_create(by=worker, household=household, name="张伟", id_number=NUMBER)
    services.person_update(by=worker, person=p, data={"name": "张伟伟", "phone": "13900001111"})
    p.refresh_from_db()
    assert (p.name, p.id_number, p.phone) == ("张伟伟", NUMBER, "13900001111")
    with pytest.raises(ValidationError):
        services.person_update(by=worker, person=p, data={"sex": "F"})


def test_one_current_head_per_household(worker, household):
    services.person_create(by=worker, household=household, relation="head", name="户主")
    with pytest.raises(ValidationError) as exc:
        services.person_create(by=worker, household=household, relation="head", name="第二户主")
    assert "relation" in exc.value.message_dict
    assert Person.objects.count() == 1


def test_one_current_household_per_person_and_division_follows(worker, household, county, make_user):
    staff = make_user(Role.Kind.COMMUNITY_STAFF, county["A"])
    p = services.person_create(by=worker, household=household, relation="head", name="张伟")
    other = services.household_create(by=staff, division=county["A2"], address="西区1栋")
    with pytest.raises(ValidationError) as exc:
        services.membership_add(by=staff, person=p, household=other, relation="head")
    assert "person" in exc.value.message_dict
    services.membership_end(by=staff, membership=p.memberships.get(), end_date=dt.date.today())
    services.membership_add(by=staff, person=p, household=other, relation="head")
    p.refresh_from_db()
    assert p.division == county["A2"]


def test_moving_a_household_moves_its_members(worker, household, county, make_user):
    staff = make_user(Role.Kind.COMMUNITY_STAFF, county["A"])
    p = services.person_create(by=worker, household=household, name="张伟")
    services.household_update(by=staff, household=household, data={"division": county["A2"]})
    p.refresh_from_db()
    assert p.division == county["A2"]


def test_membership_cannot_end_before_it_started(worker, household):
    p = services.person_create(by=worker, household=household, name="张伟")
    m = p.memberships.get()
    with pytest.raises(ValidationError):
        services.membership_end(by=worker, membership=m, end_date=m.start_date - dt.timedelta(days=1))


def test_care_tags_set(worker, household):
    p = services.person_create(by=worker, household=household, name="张伟")
    tags = CareTag.objects.filter(code__in=["dibao", "disabled"])
    services.person_set_care_tags(by=worker, person=p, care_tags=tags)
    assert set(p.care_tags.values_list("code", flat=True)) == {"dibao", "disabled"}


def test_volunteer_cannot_register_people(county, make_user):
    volunteer = make_user(Role.Kind.VOLUNTEER, county["A"])
    with pytest.raises(PermissionDenied):
        services.person_create(by=volunteer, division=county["A1"], name="张伟")
