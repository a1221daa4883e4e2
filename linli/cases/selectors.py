"""Reads for cases, always through the division scope (Case.objects.visible_to)."""

import datetime as dt
import re
import statistics
from collections import defaultdict

from django.db.models import Avg, Count, IntegerField, Max, Min, Q, Value, When
from django.db.models import Case as Switch
from django.utils import timezone

from linli.accounts.models import Role
from linli.cases import services
from linli.cases.models import Case, CaseEvent, Kind, NightTalk, ServiceItem
from linli.core.masking import mask_id_number
from linli.core.scoping import has_role_over, role_kinds
from linli.divisions.models import Division
from linli.people.models import Person

_PHONE = re.compile(r"(?<!\d)(1\d{2})\d{4}(\d{4})(?!\d)")
_ID = re.compile(r"(?<![0-9A-Za-z])(\d{4})\d{10}(\d{3}[\dXx])(?![0-9A-Za-z])")


def scrub(text: str) -> str:
    """Mask mobile and ID-card numbers a resident may have typed, before text is shown in public."""
    return _ID.sub(lambda m: mask_id_number(m.group(0)), _PHONE.sub(r"\1****\2", text or ""))


# Cases taken down by staff (on the phone, at a door, at a night talk) hold what a resident said about
# themself or a neighbour: in public they are shown by their service name only.
STAFF_WORDS = ("staff", "visit", "night_talk")


def public_description(case) -> str:
    """What a case says in public: the resident's own words (scrubbed) when they filed it themself,
    else the name of its service."""
    if case.channel in STAFF_WORDS:
        return case.service.name
    return scrub(case.description)


def public_location(case) -> tuple[float | None, float | None]:
    """Where a case is, in public: never a home. Coordinates to 3 decimals (about 100 m), and none at
    all from a visit, whose place is the household's home. (No address is ever public: what a resident
    or a client typed may be a flat's number.)"""
    if case.channel == "visit" or case.lat is None or case.lng is None:
        return None, None
    return round(case.lat, 3), round(case.lng, 3)


def is_staff(user) -> bool:
    return bool(getattr(user, "is_superuser", False) or role_kinds(user) & set(Role.STAFF))


def staff_divisions(user):
    return Division.objects.visible_to(user, roles=Role.STAFF).filter(level=Division.Level.COMMUNITY)


def _with_overdue(qs):
    now = timezone.now()
    return qs.annotate(overdue_flag=Switch(
        When(status__in=Case.WORKING, due_at__lt=now, then=Value(1)), default=Value(0), output_field=IntegerField()))


INBOX_COLUMNS = ("kind", "title", "status", "resolution", "priority", "due_at", "created_at", "division__name",
                 "service__default_team_id", "team__name", "team__name_en", "volunteer__person__name",
                 "organization__name")


def case_list(*, user, kind: str = "", status: str = "", division: Division | None = None, overdue: bool = False,
              q: str = ""):
    """The staff inbox: cases in the user's communities, overdue first, then by deadline. Only the
    columns a row shows (not the descriptions, reports, the community's boundary, the people's records)."""
    qs = Case.objects.visible_to(user).select_related(
        "division", "service", "team", "volunteer__person", "organization").only(*INBOX_COLUMNS)
    if kind:
        qs = qs.filter(kind=kind)
    if status == "open":
        qs = qs.filter(status__in=Case.OPEN)
    elif status:
        qs = qs.filter(status=status)
    if division is not None:
        qs = qs.filter(division__path__startswith=division.path)
    if q:
        qs = qs.filter(Q(title__icontains=q) | Q(description__icontains=q) | Q(address__icontains=q))
    qs = _with_overdue(qs)
    if overdue:
        qs = qs.filter(overdue_flag=1)
    return qs.order_by("-overdue_flag", "status", "due_at", "-pk")


def case_detail(*, user):
    return Case.objects.visible_to(user).select_related(
        "division", "service", "team", "volunteer__person", "organization", "assignee", "person", "reporter",
        "night_talk", "duplicate_of")


def my_cases(*, user):
    # The user's person ids first, so both conditions use their own index (see Case.scope_own).
    persons = list(Person.objects.filter(user=user).values_list("pk", flat=True)) if user.pk else []
    return Case.objects.filter(Q(reporter=user) | Q(person_id__in=persons)).select_related("service").order_by(
        "-created_at", "-pk")


def offers(*, user):
    """Orders offered to the user as a volunteer (to them or to one of their teams) and not yet done."""
    vol = services.volunteer_of(user)
    if vol is None:
        return Case.objects.none()
    teams = list(vol.teams.values_list("pk", flat=True))
    return Case.objects.filter(
        Q(volunteer=vol) | Q(volunteer__isnull=True, team__in=teams, division__path__startswith=vol.division.path),
        kind=Kind.ORDER, status__in=(Case.Status.DISPATCHED, Case.Status.IN_PROGRESS),
    ).select_related("service", "division", "team").order_by("due_at", "pk")


def public_events(case: Case):
    return case.events.filter(public=True).select_related("by").order_by("at", "pk")


def services_for(kind: str):
    return ServiceItem.objects.filter(kind=kind, active=True).order_by("order", "code")


def night_talk_dates_to_record(user, *, days: int = 90):
    """Night-talk dates of the user's communities held in the last `days` and not yet recorded."""
    from linli.activities.models import Activity, Occurrence

    now = timezone.now()
    return (Occurrence.objects.visible_to(user, roles=Role.STAFF)
            .filter(activity__kind=Activity.Kind.NIGHT_TALK, status=Occurrence.Status.SCHEDULED,
                    start__lte=now + dt.timedelta(minutes=5), start__gte=now - dt.timedelta(days=days),
                    night_talk__isnull=True)
            .select_related("activity__site").order_by("-start"))


def services_for_kinds(kinds) -> list[ServiceItem]:
    """Active categories of several kinds, kind by kind (a form groups them)."""
    order = {k: i for i, k in enumerate(kinds)}
    return sorted(ServiceItem.objects.filter(kind__in=kinds, active=True), key=lambda s: (order[s.kind], s.order, s.code))


# The public board ---------------------------------------------------------------------------------

def board(*, division: Division, months: int = 12) -> dict:
    """"You said, we did" for one community, anonymised: what was raised (category, or the opinion as
    minuted) and what was done (the staff's public answer). No names, no addresses, no phones."""
    since = timezone.now() - dt.timedelta(days=31 * months)
    done = Case.objects.filter(division=division, status=Case.Status.CLOSED, resolution=Case.Resolution.RESOLVED,
                               kind__in=(Kind.CONCERN, Kind.OPINION, Kind.ORDER), closed_at__gte=since)
    answered = done.exclude(public_answer="").select_related("service", "night_talk").order_by("-closed_at")[:30]
    talks = NightTalk.objects.filter(division=division, held_at__gte=since).annotate(
        raised=Count("opinions"),
        answered=Count("opinions", filter=Q(opinions__status=Case.Status.CLOSED))).order_by("-held_at")[:6]
    counts = Case.objects.filter(division=division, created_at__gte=since).exclude(kind=Kind.DISPUTE).aggregate(
        raised=Count("pk"), closed=Count("pk", filter=Q(status=Case.Status.CLOSED)),
        rating=Avg("rating"))
    return {"answered": [{"kind": c.get_kind_display(), "category": str(c.service),
                          "said": public_description(c) if c.kind == Kind.OPINION else "",
                          "did": scrub(c.public_answer), "raised_on": c.created_at, "closed_on": c.closed_at,
                          "night_talk": c.night_talk} for c in answered],
            "talks": talks, "counts": counts}


def night_talk_results(*, months: int = 12, division: Division | None = None, limit: int = 20) -> list[dict]:
    """"You said, we did" of the night talks held in the last `months`, for the pages without login:
    per talk, what residents raised (category and the opinion as minuted, phones and ID numbers masked)
    and what was done (the staff's public answer). No reporter, no handler, no address: no one's
    personal data. Two queries whatever the number of talks."""
    since = timezone.now() - dt.timedelta(days=31 * months)
    talks = NightTalk.objects.filter(held_at__gte=since).select_related("division").order_by("-held_at")
    if division is not None:
        talks = talks.filter(division__path__startswith=division.path)
    talks = list(talks[:limit])
    opinions = defaultdict(list)
    for c in (Case.objects.filter(night_talk__in=talks)
              .exclude(resolution__in=(Case.Resolution.WITHDRAWN, Case.Resolution.DUPLICATE))
              .select_related("service").order_by("pk")):
        done = c.status == Case.Status.CLOSED and c.resolution == Case.Resolution.RESOLVED
        opinions[c.night_talk_id].append({
            "category": str(c.service) if c.service_id else "", "said": scrub(c.description),
            "did": scrub(c.public_answer) if done else "", "done": done, "status": c.get_status_display()})
    return [{"title": t.title, "held_at": t.held_at, "community": t.division.name, "attendees": t.attendees,
             "opinions": opinions.get(t.pk, []), "raised": len(opinions.get(t.pk, [])),
             "done": sum(1 for o in opinions.get(t.pk, []) if o["done"])} for t in talks]


# Figures ------------------------------------------------------------------------------------------

def _median_hours(pairs) -> float | None:
    hours = [(b - a).total_seconds() / 3600 for a, b in pairs if a is not None and b is not None and b >= a]
    return round(statistics.median(hours), 1) if hours else None


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 3) if whole else None


def figures(user=None, *, division: Division | None = None) -> dict:
    """The cases section of `linli stats --json`, computed from the cases and their history: time to
    dispatch is receipt → first dispatch line; time to close is receipt → last closing line (withdrawn and
    duplicate cases left out); overdue means still open past the deadline or closed after it; a dispute is
    resolved in the community when it ended in an agreement with no escalation line."""
    qs = Case.objects.all() if user is None else Case.objects.visible_to(user, roles=Role.Kind.values)
    if division is not None:
        qs = qs.filter(division__path__startswith=division.path)
    now = timezone.now()
    total = qs.count()
    by_kind = dict.fromkeys(Kind.values, 0)
    for row in qs.order_by().values("kind").annotate(n=Count("pk")):
        by_kind[row["kind"]] = row["n"]
    handled = qs.exclude(resolution__in=(Case.Resolution.WITHDRAWN, Case.Resolution.DUPLICATE))
    dispatched = handled.annotate(first=Min("events__at", filter=Q(events__action="dispatch"))).filter(
        first__isnull=False).values_list("created_at", "first")
    closed = handled.filter(status=Case.Status.CLOSED).annotate(
        last=Max("events__at", filter=Q(events__to_status=Case.Status.CLOSED))).values_list("created_at", "last")
    closed = list(closed)
    settled = (Case.Status.DONE, Case.Status.CLOSED)
    due = list(handled.filter(due_at__isnull=False).annotate(
        first=Min("events__at", filter=Q(events__to_status__in=settled))).values_list("status", "due_at", "first"))
    late = sum(1 for status, due_at, first in due
               if (status not in settled and due_at < now) or (status in settled and first and first > due_at))
    rating = qs.filter(rating__isnull=False).aggregate(a=Avg("rating"))["a"]
    disputes = handled.filter(kind=Kind.DISPUTE, status=Case.Status.CLOSED)
    escalated = CaseEvent.objects.filter(case__in=disputes, action="escalate").values("case_id")
    in_community = disputes.filter(resolution=Case.Resolution.RESOLVED).exclude(pk__in=escalated).count()
    return {
        "total": total,
        "open": qs.filter(status__in=Case.OPEN).count(),
        "by_kind": by_kind,
        "median_hours_to_dispatch": _median_hours(dispatched),
        "median_hours_to_close": _median_hours(closed),
        "overdue_share": _share(late, len(due)),
        "average_rating": round(float(rating), 2) if rating is not None else None,
        "disputes_resolved_in_community_share": _share(in_community, disputes.count()),
    }


def top_categories(user, *, division: Division | None = None, since=None, limit: int = 5) -> list[dict]:
    qs = Case.objects.all() if user is None else Case.objects.visible_to(user, roles=Role.Kind.values)
    if division is not None:
        qs = qs.filter(division__path__startswith=division.path)
    since = since or timezone.localtime().replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    rows = qs.filter(created_at__gte=since).order_by().values("service").annotate(n=Count("pk")).order_by("-n")[:limit]
    names = {s.pk: str(s) for s in ServiceItem.objects.filter(pk__in=[r["service"] for r in rows])}
    return [{"category": names.get(r["service"], ""), "n": r["n"]} for r in rows]


def communities_for(user):
    return Division.objects.visible_to(user, roles=Role.Kind.values).filter(level=Division.Level.COMMUNITY)


def community_rows(user) -> list[dict]:
    """Figures per community under the user's grants, for the figures page."""
    out = []
    for com in Division.objects.visible_to(user, roles=Role.Kind.values).filter(level=Division.Level.COMMUNITY):
        out.append({"division": com, **figures(user, division=com)})
    return out


# Mediation ledger ---------------------------------------------------------------------------------

def ledger_disputes(*, user, year: int | None = None, division: Division | None = None):
    qs = Case.objects.visible_to(user, roles=Role.STAFF).filter(kind=Kind.DISPUTE)
    if year:
        qs = qs.filter(created_at__year=year)
    if division is not None:
        qs = qs.filter(division__path__startswith=division.path)
    return qs.select_related("division", "service", "assignee").prefetch_related("parties", "sessions").annotate(
        escalations=Count("events", filter=Q(events__action="escalate"))).order_by("created_at", "pk")


def can_see_ledger(user) -> bool:
    return is_staff(user)


def can_staff(user, case) -> bool:
    return has_role_over(user, Role.STAFF, case.division)


def doorstep_for(*, user, case: Case) -> dict | None:
    """What the volunteer who accepted a home-service order needs to do it: where to go and whom to
    call. Only that volunteer (not the team, not staff through this view), only once accepted, and only
    until the order closes. The caller logs each view (personal data)."""
    if case.kind != Kind.ORDER or case.volunteer_id is None or case.status not in (
            Case.Status.IN_PROGRESS, Case.Status.DONE):
        return None
    volunteer = services.volunteer_of(user)
    if volunteer is None or volunteer.pk != case.volunteer_id:
        return None
    person = case.person
    address = case.address
    if not address and person is not None:
        membership = person.memberships.filter(end_date__isnull=True).select_related("household").first()
        address = membership.household.address if membership else ""
    phone = case.contact_phone or (person.phone if person is not None else "")
    name = case.contact_name or (person.name if person is not None else "")
    return {"address": address, "phone": phone, "name": name}
