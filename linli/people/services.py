"""Writes for households and persons. Every service checks that `by` keeps people in the division
(Role.PEOPLE_KEEPERS over it), runs in one transaction and raises ValidationError keyed by field."""

import datetime as dt
import re
from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from linli.accounts.models import Role
from linli.core import crypto, geo, idcard
from linli.core.dates import birth_date_error
from linli.core.scoping import has_role_over
from linli.divisions.models import Division
from linli.people.models import CareTag, Household, Membership, Person

HOUSEHOLD_LEVELS = (Division.Level.COMMUNITY, Division.Level.GRID)
PERSON_FIELDS = {"name", "sex", "birth_date", "phone", "id_number", "care_tags"}
HOUSEHOLD_FIELDS = {"address", "division", "lat", "lng"}
# Mainland mobile (1[3-9] + 9 digits) or landline (area code 0xx/0xxx, 7–8 digits, optional extension).
_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_LANDLINE = re.compile(r"^0\d{2,3}-?\d{7,8}(-\d{1,6})?$")


def _require_keeper(by, division) -> None:
    if not has_role_over(by, Role.PEOPLE_KEEPERS, division):
        raise PermissionDenied(_("You do not keep the residents of this division."))


def normalize_phone(phone: str) -> str:
    """Return the phone without spaces and a +86 prefix, or raise ValidationError."""
    p = re.sub(r"[\s()]", "", phone or "")
    if p.startswith("+86"):
        p = p[3:]
    if p and not (_MOBILE.match(p) or _LANDLINE.match(p)):
        raise ValidationError({"phone": _("Enter a mainland mobile number (11 digits starting with 1) "
                                          "or a landline with its area code, e.g. 0797-8512345.")})
    return p


def _clean_household(division, lat, lng) -> None:
    errors = {}
    if division.level not in HOUSEHOLD_LEVELS:
        errors["division"] = _("A household belongs to a grid or a community.")
    if (lat is None) != (lng is None):
        errors["lat"] = _("Give both latitude and longitude, or neither.")
    elif lat is not None:
        try:
            geo.validate_in_china(lat, lng)
        except ValidationError as exc:
            errors["lat"] = exc.messages
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def household_create(*, by, division: Division, address: str, lat: float | None = None,
                     lng: float | None = None) -> Household:
    """Register a household in a grid or community the user keeps; coordinates optional, in China."""
    _require_keeper(by, division)
    _clean_household(division, lat, lng)
    household = Household(division=division, address=address.strip(), lat=lat, lng=lng)
    household.full_clean()
    household.save()
    return household


@transaction.atomic
def household_update(*, by, household: Household, data: dict) -> Household:
    """Change a household; moving it to another division moves its current members with it."""
    _require_keeper(by, household.division)
    unknown = set(data) - HOUSEHOLD_FIELDS
    if unknown:
        raise ValueError(f"unknown household fields {unknown}")
    moved = "division" in data and data["division"].pk != household.division_id
    if moved:
        _require_keeper(by, data["division"])
    for field, value in data.items():
        setattr(household, field, value.strip() if field == "address" else value)
    _clean_household(household.division, household.lat, household.lng)
    household.full_clean()
    household.save()
    if moved:
        current = household.memberships.filter(end_date__isnull=True).values("person_id")
        Person.objects.filter(pk__in=current).update(division=household.division)
    return household


def _apply_id_number(person: Person, id_number: str, typed: dict) -> None:
    """Validate the number, check it does not contradict a typed birth date or sex, store it."""
    if not id_number:
        person.set_id_number("")
        return
    try:
        number = idcard.validate(id_number)
    except ValidationError as exc:
        raise ValidationError({"id_number": exc.error_list}) from None
    errors = {}
    born = idcard.birth_date(number)
    if typed.get("birth_date") and typed["birth_date"] != born:
        errors["birth_date"] = _("The birth date does not match the ID-card number (%(date)s).") % {
            "date": born.isoformat()}
    sex = Person.Sex.MALE if idcard.is_male(number) else Person.Sex.FEMALE
    if typed.get("sex") and typed["sex"] != sex:
        errors["sex"] = _("The sex does not match the ID-card number.")
    duplicate = Person.objects.filter(id_number_index__in=crypto.blind_indexes(number)).exclude(pk=person.pk)
    if duplicate.exists():
        errors["id_number"] = _("A person with this ID-card number is already registered.")
    if errors:
        raise ValidationError(errors)
    person.set_id_number(number)


def _save_person(person: Person) -> None:
    """Validate and save; a birth date must give an age from 0 to 120 (core.dates), whoever enters it."""
    if error := birth_date_error(person.birth_date):
        raise ValidationError({"birth_date": error})
    person.full_clean(exclude=["id_number_index"])
    try:
        with transaction.atomic():
            person.save()
    except IntegrityError:  # a concurrent registration of the same number won the race
        raise ValidationError({"id_number": _("A person with this ID-card number is already registered.")}) from None


@transaction.atomic
def person_create(*, by, name: str, household: Household | None = None,
                  relation: str = Membership.Relation.OTHER, division: Division | None = None,
                  sex: str = "", birth_date: dt.date | None = None, phone: str = "", id_number: str = "",
                  care_tags: Iterable[CareTag] = ()) -> Person:
    """Register a person, in a household (their division follows it) or directly in a division."""
    if household is None and division is None:
        raise ValidationError({"household": _("Choose the person's household or division.")})
    division = household.division if household is not None else division
    _require_keeper(by, division)
    if division.level not in HOUSEHOLD_LEVELS:
        raise ValidationError({"division": _("A person belongs to a grid or a community.")})
    person = Person(name=name.strip(), sex=sex, birth_date=birth_date, division=division)
    person.phone = normalize_phone(phone)
    _apply_id_number(person, id_number, {"sex": sex, "birth_date": birth_date})
    _save_person(person)
    person.care_tags.set(care_tags)
    if household is not None:
        membership_add(by=by, person=person, household=household, relation=relation)
    return person


@transaction.atomic
def person_update(*, by, person: Person, data: dict) -> Person:
    """Change a person. `id_number` absent = keep it, "" = remove it; the division follows the household."""
    _require_keeper(by, person.division)
    unknown = set(data) - PERSON_FIELDS
    if unknown:
        raise ValueError(f"unknown person fields {unknown}")
    for field in ("name", "sex", "birth_date"):
        if field in data:
            setattr(person, field, data[field].strip() if field == "name" else data[field])
    if "phone" in data:
        person.phone = normalize_phone(data["phone"])
    if "id_number" in data:
        _apply_id_number(person, data["id_number"], {"sex": data.get("sex"), "birth_date": data.get("birth_date")})
    elif person.id_number_encrypted and ("sex" in data or "birth_date" in data):
        _apply_id_number(person, person.id_number, {"sex": data.get("sex"), "birth_date": data.get("birth_date")})
    _save_person(person)
    if "care_tags" in data:
        person.care_tags.set(data["care_tags"])
    return person


@transaction.atomic
def person_set_care_tags(*, by, person: Person, care_tags: Iterable[CareTag]) -> Person:
    _require_keeper(by, person.division)
    person.care_tags.set(care_tags)
    return person


@transaction.atomic
def membership_add(*, by, person: Person, household: Household, relation: str,
                   start_date: dt.date | None = None) -> Membership:
    """Add a person to a household: one current household per person, one current head per household."""
    _require_keeper(by, household.division)
    _require_keeper(by, person.division)
    start_date = start_date or timezone.localdate()
    current = Membership.objects.filter(end_date__isnull=True)
    elsewhere = current.filter(person=person).select_related("household").first()
    if elsewhere is not None:
        raise ValidationError({"person": _("%(name)s is still a member of the household at %(address)s; "
                                           "end that membership first.")
                               % {"name": person.name, "address": elsewhere.household.address}})
    if relation == Membership.Relation.HEAD and current.filter(household=household, relation=relation).exists():
        raise ValidationError({"relation": _("This household already has a head.")})
    membership = Membership(person=person, household=household, relation=relation, start_date=start_date)
    membership.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():
            membership.save()
    except IntegrityError:  # a concurrent request added a head or a membership first; the DB said no
        raise ValidationError({"relation": _("This person or this household changed meanwhile; please try again.")}) from None
    if person.division_id != household.division_id:
        person.division = household.division
        person.save(update_fields=["division"])
    return membership


@transaction.atomic
def membership_end(*, by, membership: Membership, end_date: dt.date | None = None) -> Membership:
    """End a membership (moved out, died, ...); the record stays as history."""
    _require_keeper(by, membership.household.division)
    end_date = end_date or timezone.localdate()
    if membership.end_date is not None:
        raise ValidationError({"end_date": _("This membership has already ended.")})
    if end_date < membership.start_date:
        raise ValidationError({"end_date": _("A membership cannot end before it started.")})
    membership.end_date = end_date
    membership.save(update_fields=["end_date"])
    return membership
