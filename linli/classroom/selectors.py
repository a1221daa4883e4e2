"""Reads for the four-thirty classroom: scoped querysets (a guardian sees their own children, a tutor
the sessions they may run, staff their divisions), the tutor's roster, figures and the ledger."""

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.db.models import Count, F, Prefetch, Q, Sum
from django.utils import timezone

from linli.accounts.models import Role
from linli.core.paging import row_count
from linli.core.scoping import role_kinds, scope_paths
from linli.places.models import Site
from linli.volunteers.models import Volunteer

from .models import (
    DESK_ROLES,
    STAFF_ROLES,
    Attendance,
    BackgroundCheck,
    Enrollment,
    LateAlert,
    PickupPerson,
    Program,
    ReleaseAttempt,
    RosterEntry,
    Session,
)

# The personal fields each page shows (recorded in the access log).
ROSTER_FIELDS = ["child_name", "grade", "medical_notes", "pickups.name", "pickups.relation"]
ENROLLMENT_FIELDS = ["child_name", "school", "grade", "medical_notes", "pickups", "attendance"]
LEDGER_FIELDS = ["child_name", "checked_in_at", "released_at", "released_to.name", "released_to.relation"]


def is_staff(user) -> bool:
    return user.is_superuser or bool(scope_paths(user, STAFF_ROLES))


def is_desk(user) -> bool:
    return user.is_superuser or bool(scope_paths(user, DESK_ROLES)) or volunteer_of(user) is not None


def volunteer_of(user) -> Volunteer | None:
    if not user.is_authenticated:
        return None
    cached = user.__dict__.get("_classroom_volunteer", False)
    if cached is False:
        from linli.volunteers.selectors import volunteer_of as volunteer_record

        cached = volunteer_record(user)  # the request's one read, shared with the other home blocks
        user._classroom_volunteer = cached
    return cached


def understaffed_days() -> int:
    return int(getattr(settings, "LINLI_CLASSROOM_UNDERSTAFFED_DAYS", 3))


# Programs -----------------------------------------------------------------------------------------

def program_list(*, user, q: str = ""):
    qs = (Program.objects.visible_to(user).select_related("site__division", "room")
          .annotate(enrolled=Count("enrollments", filter=Q(enrollments__status=Enrollment.Status.ACTIVE)),
                    waiting=Count("enrollments", filter=Q(enrollments__status=Enrollment.Status.WAITLISTED))))
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(site__name__icontains=q) | Q(site__division__name__icontains=q))
    return qs.order_by("site__division__path", "site__name", "name", "pk")


def program_get(*, user, pk: int) -> Program:
    return program_list(user=user).get(pk=pk)


def sessions_ahead(*, program: Program, days: int = 14):
    """The next sessions with their tutor counts; `short` flags those within the warning window that
    have fewer tutors than needed."""
    today = timezone.localdate()
    rows = list(program.sessions.filter(date__gte=today, date__lte=today + dt.timedelta(days=days))
                .annotate(tutors=Count("roster")).order_by("start"))
    warn = today + dt.timedelta(days=understaffed_days())
    for s in rows:
        s.short = s.status == Session.Status.SCHEDULED and s.tutors < s.tutors_needed
        s.urgent = s.short and s.date <= warn
    return rows


def understaffed_sessions(*, user, days: int | None = None):
    """Sessions in the next few days with too few tutors, for the staff page (flagged days ahead)."""
    today = timezone.localdate()
    days = understaffed_days() if days is None else days
    return (Session.objects.visible_to(user, roles=STAFF_ROLES, own=False)  # staffing is staff work by role
            .filter(status=Session.Status.SCHEDULED, date__gte=today, date__lte=today + dt.timedelta(days=days))
            # each coming session's tutors by the roster's session index, not a GROUP BY over every
            # roster entry of the county hashed against them
            .annotate(tutors=row_count(RosterEntry, "session")).filter(tutors__lt=F("tutors_needed"))
            .select_related("program__site").order_by("start"))


# Enrollments --------------------------------------------------------------------------------------

def my_enrollments(*, user):
    return (Enrollment.objects.filter(guardian_user=user).select_related("program__site")
            .order_by("status", "-created_at"))


def enrollment_get(*, user, pk: int) -> Enrollment:
    return (Enrollment.objects.visible_to(user).select_related("program__site__division", "program__room", "child")
            .get(pk=pk))


def enrollment_visits(*, enrollment: Enrollment, limit: int = 30):
    return (enrollment.attendances.select_related("session", "site", "released_to", "late_alert")
            .order_by("-checked_in_at")[:limit])


def program_enrollments(*, program: Program):
    return (program.enrollments.filter(status__in=Enrollment.OPEN).select_related("guardian")
            .order_by("status", "created_at", "pk"))


def household_children(*, user, program: Program):
    """Children of the user's household who fit the program's age range (candidates to enrol)."""
    from linli.classroom.services import _child_age_on, _household_children
    from linli.people.models import Person

    guardian = Person.objects.filter(user=user).first()
    if guardian is None:
        return []
    today = timezone.localdate()
    return [p for p in _household_children(guardian).order_by("birth_date")
            if p.birth_date and program.min_age <= _child_age_on(p.birth_date, today) <= program.max_age]


# Sessions and the tutor's roster ------------------------------------------------------------------

def visible_sessions(*, user):
    return Session.objects.visible_to(user).select_related("program__site__division", "program__room")


def today_sessions(*, user, day: dt.date | None = None):
    """Today's sessions the user may run: those they are rostered on, and those at sites where they
    hold a tutor or staff role. Bounded queries whatever the number of sessions."""
    day = day or timezone.localdate()
    # the cards name the site and room, not the community: no division row (and boundary) a card
    return (visible_sessions(user=user).select_related(None).select_related("program__site", "program__room")
            .filter(date=day, status=Session.Status.SCHEDULED)
            # counted for the shown rows: the county's sessions of the day are not joined to every
            # tutor and child before a page of them (core.paging.row_count)
            .annotate(tutors=row_count(RosterEntry, "session"),
                      present=row_count(Attendance, "session", released_at__isnull=True),
                      arrived=row_count(Attendance, "session"))
            .order_by("start", "program__site__name", "pk"))


def session_roster(*, session: Session):
    """The session's children (active enrollments) with their visit and pick-up list, in a fixed
    number of queries."""
    visits = Attendance.objects.filter(Q(session=session) | Q(released_at__isnull=True)).select_related(
        "released_to", "late_alert")
    rows = list(session.program.enrollments.filter(status=Enrollment.Status.ACTIVE)
                .select_related("child")
                .prefetch_related(Prefetch("pickups", queryset=PickupPerson.objects.filter(active=True),
                                           to_attr="listed"),
                                  Prefetch("attendances", queryset=visits, to_attr="visits"))
                .order_by("child_name", "pk"))
    for e in rows:
        here = [v for v in e.visits if v.session_id == session.pk]
        e.visit = here[0] if here else None
        e.elsewhere = next((v for v in e.visits if v.session_id != session.pk and v.released_at is None), None)
    return rows


def roster_groups(rows, *, q: str = "") -> list[tuple[str, list]]:
    """The desk's roster in the order a tutor works it: children here now, then those not yet come,
    then those who have left; `q` keeps the children whose name contains it."""
    if q:
        rows = [e for e in rows if q in e.child_name]
    here = [e for e in rows if e.visit and not e.visit.released_at]
    waiting = [e for e in rows if not e.visit]
    left = [e for e in rows if e.visit and e.visit.released_at]
    return [(key, group) for key, group in (("here", here), ("waiting", waiting), ("left", left)) if group]


def session_tutors(*, session: Session):
    return list(session.roster.select_related("volunteer__person").order_by("pk"))


def site_self_study(*, site: Site):
    """Children enrolled at the site, with any open visit, for the self-study desk."""
    open_visits = Attendance.objects.filter(released_at__isnull=True).select_related("released_to", "late_alert")
    rows = list(Enrollment.objects.filter(program__site=site, status=Enrollment.Status.ACTIVE)
                .select_related("child", "program")
                .prefetch_related(Prefetch("pickups", queryset=PickupPerson.objects.filter(active=True),
                                           to_attr="listed"),
                                  Prefetch("attendances", queryset=open_visits, to_attr="visits"))
                .order_by("child_name", "pk"))
    for e in rows:
        e.visit = e.visits[0] if e.visits else None
    return rows


def desk_sites(*, user):
    """Sites where the user may check children in for self-study: staff's, and for a tutor the sites
    where they are on a session's roster these weeks (least privilege: not every site of their
    community; services.DESK_ROSTER_WINDOW)."""
    from linli.classroom.services import DESK_ROSTER_WINDOW

    if user.is_superuser:
        return Site.objects.filter(classroom_programs__isnull=False).distinct()
    day = timezone.localdate()
    today = Q(pk__in=RosterEntry.objects.filter(
        volunteer__person__user=user, session__date__range=(day - DESK_ROSTER_WINDOW, day + DESK_ROSTER_WINDOW))
        .values("session__program__site_id")) if user.is_authenticated else Q(pk__in=[])
    staff = Site.objects.visible_to(user, roles=STAFF_ROLES).values("pk")
    return Site.objects.filter(Q(pk__in=staff) | today, classroom_programs__isnull=False).distinct()


# Staff pages --------------------------------------------------------------------------------------

def late_alerts(*, user, open_only: bool = False):
    qs = (LateAlert.objects.visible_to(user).select_related("attendance__enrollment", "site", "resolved_by")
          .order_by("-raised_at"))
    return qs.filter(resolved_at__isnull=True) if open_only else qs


def release_attempts(*, user):
    return (ReleaseAttempt.objects.visible_to(user)
            .select_related("enrollment", "site", "attempted_by", "claimed_pickup", "reviewed_by"))


def background_checks(*, user):
    return BackgroundCheck.objects.visible_to(user).select_related("volunteer__person", "checked_by")


def tutors(*, user):
    """Volunteers the user's staff roles cover (to record checks and assign them to sessions)."""
    return Volunteer.objects.visible_to(user, roles=STAFF_ROLES).select_related("person").order_by("person__name")


# Figures ------------------------------------------------------------------------------------------

def _scoped(model, user):
    if user is None:
        return model.objects.all()
    # Counts reveal nobody's data: any grant shows its subtree's totals (like core.stats).
    return model.objects.visible_to(user, roles=Role.Kind.values)


def figures(user=None, *, site: Site | None = None) -> dict:
    """`linli stats` section "classroom", counted from records. Survives anonymisation: visits,
    sessions, hours and alerts are kept when the children's names go."""
    programs, sessions = _scoped(Program, user), _scoped(Session, user)
    enrollments, visits = _scoped(Enrollment, user), _scoped(Attendance, user)
    roster, alerts = _scoped(RosterEntry, user), _scoped(LateAlert, user)
    if site is not None:
        programs, sessions = programs.filter(site=site), sessions.filter(program__site=site)
        enrollments, visits = enrollments.filter(program__site=site), visits.filter(site=site)
        roster, alerts = roster.filter(session__program__site=site), alerts.filter(site=site)
    hours = roster.aggregate(s=Sum("hours"))["s"] or Decimal(0)
    return {
        "programs": programs.count(),
        "enrolled_children": enrollments.filter(status=Enrollment.Status.ACTIVE).aggregate(
            n=Count("child", distinct=True))["n"],
        "sessions": sessions.filter(status=Session.Status.SCHEDULED, end__lte=timezone.now()).count(),
        "student_visits": visits.count(),
        "teacher_volunteers": roster.filter(checked_in_at__isnull=False).aggregate(
            n=Count("volunteer", distinct=True))["n"],
        "tutor_hours": float(hours),
        "late_pickups": alerts.count(),
    }


def figures_by_site(*, user) -> list[dict]:
    """Per site: the same figures, in one grouped query per kind of record."""
    visible = Site.objects.all() if user is None else Site.objects.visible_to(user, roles=Role.Kind.values)
    sites = {s.pk: s for s in visible.filter(classroom_programs__isnull=False).distinct().select_related("division")}

    def grouped(qs, key, **agg):
        return {row[key]: row for row in qs.order_by().values(key).annotate(**agg)}

    now = timezone.now()
    progs = grouped(_scoped(Program, user), "site", n=Count("pk"))
    kids = grouped(_scoped(Enrollment, user).filter(status=Enrollment.Status.ACTIVE), "program__site",
                   n=Count("child", distinct=True))
    held = grouped(_scoped(Session, user).filter(status=Session.Status.SCHEDULED, end__lte=now), "program__site",
                   n=Count("pk"))
    visits = grouped(_scoped(Attendance, user), "site", n=Count("pk"),
                     selfstudy=Count("pk", filter=Q(kind=Attendance.Kind.SELF_STUDY)))
    roster = grouped(_scoped(RosterEntry, user).filter(checked_in_at__isnull=False), "session__program__site",
                     n=Count("volunteer", distinct=True), h=Sum("hours"))
    late = grouped(_scoped(LateAlert, user), "site", n=Count("pk"))
    out = []
    for pk, site in sorted(sites.items(), key=lambda kv: (kv[1].division.path, kv[1].name)):
        out.append({"site": site, "programs": progs.get(pk, {}).get("n", 0),
                    "enrolled_children": kids.get(pk, {}).get("n", 0), "sessions": held.get(pk, {}).get("n", 0),
                    "student_visits": visits.get(pk, {}).get("n", 0),
                    "self_study": visits.get(pk, {}).get("selfstudy", 0),
                    "teacher_volunteers": roster.get(pk, {}).get("n", 0),
                    "tutor_hours": roster.get(pk, {}).get("h") or Decimal(0),
                    "late_pickups": late.get(pk, {}).get("n", 0)})
    return out


def figures_by_site_rollup(user=None) -> list[dict]:
    """`figures_by_site` as JSON for core.rollups (sites by id; the page fetches the few sites)."""
    return [{**{k: v for k, v in row.items() if k != "site"}, "site_id": row["site"].pk,
             "tutor_hours": float(row["tutor_hours"])} for row in figures_by_site(user=user)]


def figures_by_site_from(rows: list[dict]) -> list[dict]:
    sites = (Site.objects.select_related("division").only("pk", "name", "division__name")
             .in_bulk([r["site_id"] for r in rows]))
    return [{**r, "site": sites[r["site_id"]]} for r in rows if r["site_id"] in sites]


# Ledger -------------------------------------------------------------------------------------------

def ledger_sites(*, user):
    return Site.objects.visible_to(user, roles=STAFF_ROLES).filter(classroom_programs__isnull=False).distinct()


def ledger_rows(*, site: Site, year: int, month: int):
    """The monthly sign-in ledger (签到台账): every visit at the site in the month."""
    first = dt.date(year, month, 1)
    last = (first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
    return (Attendance.objects.filter(site=site, date__range=(first, last))
            .select_related("enrollment__program", "session", "released_to", "checked_in_by", "released_by")
            .order_by("date", "checked_in_at", "pk"))


def has_any_role(user) -> bool:
    return user.is_superuser or bool(role_kinds(user))
