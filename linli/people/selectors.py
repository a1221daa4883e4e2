"""Reads for households and persons: scoped querysets, search, and who may see what in full."""

import re

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from linli.accounts.models import Role
from linli.core import crypto, idcard
from linli.core.models import AccessLog
from linli.core.scoping import has_role_over, has_role_over_path, role_kinds
from linli.divisions.models import Division
from linli.people.models import CareTag, Household, Membership, Person

PERSON_MODEL = "people.Person"
# The personal fields a list or detail page shows (recorded in the access log).
LIST_FIELDS = ["name", "sex", "age", "phone_masked", "id_number_masked", "care_tags"]
DETAIL_FIELDS = ["name", "sex", "birth_date", "phone_masked", "id_number_masked", "care_tags", "household"]
MASKED_DETAIL_FIELDS = [("age" if f == "birth_date" else f) for f in DETAIL_FIELDS]
FULL_FIELDS = ["id_number", "phone"]
_ID_LIKE = re.compile(r"^\d{17}[\dXx]$")
_PHONE_LIKE = re.compile(r"^[\d+\-\s]{7,20}$")


def can_see_full(user, person: Person) -> bool:
    """The one rule for full ID-card numbers and phones: a role in LINLI_FULL_PERSONAL_DATA_ROLES held
    over the person's division, or the person themself. Even then pages show the masked form until
    the user asks to reveal it (which is audited)."""
    if user is None or not user.is_authenticated:
        return False
    if person.user_id is not None and person.user_id == user.pk:
        return True
    return has_role_over(user, settings.LINLI_FULL_PERSONAL_DATA_ROLES, person.division)


def can_see_full_row(user, *, user_id, division_path) -> bool:
    """`can_see_full` for a person read as a row (their user id and division path)."""
    if user is None or not user.is_authenticated:
        return False
    if user_id is not None and user_id == user.pk:
        return True
    return has_role_over_path(user, settings.LINLI_FULL_PERSONAL_DATA_ROLES, division_path)


def can_see_full_in(user, division) -> bool:
    """May the user see everyone under `division` in full (e.g. for an export)?"""
    return has_role_over(user, settings.LINLI_FULL_PERSONAL_DATA_ROLES, division)


def may_see_full_somewhere(user) -> bool:
    return user.is_superuser or bool(role_kinds(user) & set(settings.LINLI_FULL_PERSONAL_DATA_ROLES))


class SearchLimitReached(Exception):
    """The user made as many exact ID-number searches as an hour allows."""


def id_number_search(*, user, qs, number: str):
    """An exact ID-card number search, which discloses whether the number belongs to someone: only for
    a role that may see full numbers (and only among the persons it may see in full), at most
    LINLI_ID_SEARCHES_PER_HOUR per user. Returns the filtered queryset and the number's blind index
    (what the access log records instead of the number)."""
    if not may_see_full_somewhere(user):
        raise PermissionDenied(_("Searching by ID-card number is only for roles that may see full numbers."))
    limit = getattr(settings, "LINLI_ID_SEARCHES_PER_HOUR", 30)
    key = f"linli:id-search:{user.pk}:{timezone.now():%Y%m%d%H}"
    cache.add(key, 0, timeout=3600)
    if cache.incr(key) > limit:
        raise SearchLimitReached(_("You have made %(n)s searches by ID-card number this hour; try again later.")
                                 % {"n": limit})
    index = id_number_index(number)
    if not user.is_superuser:
        qs = qs.filter(pk__in=Person.objects.visible_to(user, roles=settings.LINLI_FULL_PERSONAL_DATA_ROLES)
                       .values("pk"))
    # Every readable key's index: a number still under the old key is found while a rotation runs.
    return qs.filter(id_number_index__in=crypto.blind_indexes(idcard.normalize(number))), index


def id_number_index(number: str) -> str:
    return crypto.blind_index(idcard.normalize(number))


def is_last4(q: str) -> bool:
    """Four characters an elder reads off their card: the ID number's last four (digits, or X last)."""
    q = (q or "").strip()
    return len(q) == 4 and q[:3].isdigit() and (q[3].isdigit() or q[3] in "Xx")


def search_logged(q: str) -> str:
    """What the access log may keep of a search: a name as typed, never digits of an ID number
    (the last four read off a card, X included, or a longer run of digits)."""
    q = (q or "").strip()
    if is_last4(q) or re.fullmatch(r"[0-9]{4,17}[0-9Xx]?", q):
        return "****"
    return q


def with_last4(rows, last4: str, *, limit: int = 20) -> list:
    """The persons (or rows with a `.person`) among `rows` whose ID number ends in `last4`. The masked
    copy keeps only the last two digits (it must not let a number be rebuilt), so those narrow the rows
    in the database to about one in a hundred, and only those few numbers are decrypted to compare."""
    last4 = last4.strip().upper()
    field = "person__id_number_masked__endswith" if rows.model is not Person else "id_number_masked__endswith"
    out = []
    for row in rows.filter(**{field: last4[-2:]})[:500]:
        person = row if isinstance(row, Person) else row.person
        if person.id_number.upper().endswith(last4):
            out.append(row)
            if len(out) >= limit:
                break
    return out


def is_id_number_like(q: str) -> bool:
    return bool(_ID_LIKE.match((q or "").strip().replace(" ", "")))


def can_keep(user, division) -> bool:
    """May the user register and change residents in this division?"""
    return has_role_over(user, Role.PEOPLE_KEEPERS, division)


def keeper_divisions(*, user):
    """Grids and communities where the user may register households and persons."""
    return (Division.objects.visible_to(user, roles=Role.PEOPLE_KEEPERS)
            .filter(level__in=[Division.Level.COMMUNITY, Division.Level.GRID]))


def _current_members():
    return Prefetch("memberships", to_attr="current_members",
                    queryset=Membership.objects.filter(end_date__isnull=True).select_related("person")
                    .order_by("start_date", "pk"))


def household_list(*, user, q: str = "", division: Division | None = None):
    """Households in the user's scope; `q` matches the address or a current member's name."""
    qs = Household.objects.visible_to(user).select_related("division")
    if division is not None:
        qs = qs.filter(division__path__startswith=division.path)
    q = (q or "").strip()
    if q:
        by_member = Membership.objects.filter(end_date__isnull=True, person__name__icontains=q)
        qs = qs.filter(Q(address__icontains=q) | Q(pk__in=by_member.values("household_id")))
    return qs.prefetch_related(_current_members())


def household_get(*, user, pk: int) -> Household:
    return Household.objects.visible_to(user).select_related("division").get(pk=pk)


def household_members(*, household: Household, current: bool = True):
    qs = (household.memberships.select_related("person__division")
          .prefetch_related("person__care_tags").order_by("end_date", "start_date", "pk"))
    return qs.filter(end_date__isnull=True) if current else qs.filter(end_date__isnull=False)


def person_list(*, user, q: str = "", division: Division | None = None, care_tag: CareTag | None = None):
    """Persons in the user's scope. `q` is a name (contains), an ID-card number (exact, through the
    blind index, with the rules of `id_number_search`; the clear number is never queried) or a phone
    number (exact)."""
    qs = Person.objects.visible_to(user).select_related("division").prefetch_related("care_tags")
    if division is not None:
        qs = qs.filter(division__path__startswith=division.path)
    if care_tag is not None:
        qs = qs.filter(care_tags=care_tag)
    q = (q or "").strip()
    if is_id_number_like(q):
        qs, _index = id_number_search(user=user, qs=qs, number=q)
    elif _PHONE_LIKE.match(q) and sum(c.isdigit() for c in q) >= 7:
        phone = re.sub(r"[\s]", "", q).removeprefix("+86")
        qs = qs.filter(phone=phone)
    elif q:
        qs = qs.filter(name__icontains=q)
    return qs


def household_workshop_income(*, household: Household, as_of=None) -> dict | None:
    """The household's income from the employment-assistance workshops in the monitoring year (its
    current members; linli.workshops), shown beside its other monitoring facts; None when no current
    member has had a workshop job."""
    from django.apps import apps

    if not apps.is_installed("linli.workshops"):
        return None
    from linli.workshops.selectors import household_income

    income = household_income(household=household, as_of=as_of)
    return income if income["ever_worked"] else None


def person_workshop_income(*, person: Person, as_of=None) -> dict | None:
    """The person's own workshop income in the monitoring year (linli.workshops); None when they never
    had a workshop job."""
    from django.apps import apps

    if not apps.is_installed("linli.workshops"):
        return None
    from linli.workshops.models import Worker
    from linli.workshops.selectors import person_income

    if not Worker.objects.filter(person=person).exists():
        return None
    return person_income(person=person, as_of=as_of)


def person_get(*, user, pk: int) -> Person:
    return (Person.objects.visible_to(user).select_related("division", "user")
            .prefetch_related("care_tags").get(pk=pk))


def person_current_membership(*, person: Person) -> Membership | None:
    return (person.memberships.filter(end_date__isnull=True).select_related("household__division").first())


def can_read_access_log(user) -> bool:
    return user.is_authenticated and (user.is_superuser or Role.Kind.COUNTY_ADMIN in role_kinds(user))


def access_log_list(*, user, action: str = ""):
    if not can_read_access_log(user):
        return AccessLog.objects.none()
    qs = AccessLog.objects.select_related("user")
    return qs.filter(action=action) if action else qs
