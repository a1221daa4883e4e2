"""What the pages need that the app's selectors do not (yet) answer, kept thin and out of the
backend's files: who is the county office, which persons count as poor (the register's care tags on
the person or on a member of their current household), the public sign's figures, and the adapters
from the selectors' figures to what the templates show."""

import datetime as dt

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from linli.core.scoping import role_kinds
from linli.people.models import Membership, Person

from . import selectors
from .models import POOR_TAG_CODES, Workshop


def is_county(user) -> bool:
    return bool(getattr(user, "is_superuser", False)) or "county_admin" in role_kinds(user)


def poor_person_ids(person_ids) -> set[int]:
    """Of `person_ids`, those tagged 脱贫/监测 on the register, themselves or through a current member
    of their household (two queries for any number of persons)."""
    ids = [i for i in person_ids if i]
    if not ids:
        return set()
    households = dict(Membership.objects.filter(person_id__in=ids, end_date__isnull=True)
                      .values_list("person_id", "household_id"))
    tagged_households = set(Membership.objects.filter(
        household_id__in=set(households.values()), end_date__isnull=True,
        person__care_tags__code__in=POOR_TAG_CODES).values_list("household_id", flat=True))
    own = set(Person.objects.filter(pk__in=ids, care_tags__code__in=POOR_TAG_CODES).values_list("pk", flat=True))
    return own | {p for p, h in households.items() if h in tagged_households}


def recognition(*, workshop: Workshop, day: dt.date):
    """The selectors' recognition figures of the workshop on `day`."""
    return selectors.recognition(workshop=workshop, as_of=day)


def public_sign(*, workshop: Workshop) -> dict:
    """What the printed sign (公示牌) shows: the operator, products, hours and the headcounts — counts
    only, no one's name."""
    today = timezone.localdate()
    workers = list(workshop.workers.filter(started_on__lte=today).filter(
        Q(ended_on__isnull=True) | Q(ended_on__gte=today)).values_list("person_id", flat=True))
    return {
        "title": _("Employment-assistance workshop (就业帮扶车间)"),
        "operator": workshop.operator.name, "credit_code": workshop.credit_code, "kind": str(workshop.kind),
        "products": workshop.products, "hours": workshop.hours,
        "site": workshop.site.name + (f" · {workshop.room.name}" if workshop.room_id else ""),
        "opened_on": workshop.opened_on, "headcount": len(workers), "poor_workers": len(poor_person_ids(workers)),
        "contact_name": workshop.contact_name, "contact_phone": workshop.contact_phone,
        "community": workshop.division.name, "as_of": today,
    }


def checks(*, user) -> list[dict]:
    """The county office's five checks, as the selectors find them in the user's scope."""
    return selectors.checks(user=user)
