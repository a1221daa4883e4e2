"""Writes for cases: one atomic function per transition.

THE RULES
- Every transition is legal only from the statuses in TRANSITIONS for the case's kind; anything else is a
  ValidationError and changes nothing.
- Every transition locks the case row first (select_for_update), so two people acting at once cannot
  both win: the second sees the first one's status and is refused.
- Every transition writes one history line (who, when, from, to, note); figures are computed from them.
- A volunteer's hours for an order go to the volunteers app as a pending service record marked as from
  a resident's order, through its one door for other apps (service_record_from; never typed twice).
"""

import datetime as dt
import math
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from linli.accounts.models import Role
from linli.cases import conf
from linli.cases.models import (
    Attachment,
    Case,
    CaseEvent,
    Kind,
    MediationSession,
    NightTalk,
    Party,
    ServiceItem,
)
from linli.core.geo import gcj02_to_wgs84, validate_in_china
from linli.core.scoping import has_role_over
from linli.divisions.models import Division

S = Case.Status
O, C, D, P = Kind.ORDER, Kind.CONCERN, Kind.DISPUTE, Kind.OPINION  # noqa: E741
NON_ORDERS = (C, D, P)


def _same(kinds, table):
    return {k: dict(table) for k in kinds}


# action → kind → {from status: to status}
TRANSITIONS: dict[str, dict[str, dict[str, str]]] = {
    "dispatch": {O: {S.NEW: S.DISPATCHED}, **_same(NON_ORDERS, {S.NEW: S.IN_PROGRESS})},
    "accept": {O: {S.DISPATCHED: S.IN_PROGRESS}},
    "decline": {O: {S.DISPATCHED: S.NEW}},
    "reassign": {O: {S.DISPATCHED: S.DISPATCHED, S.IN_PROGRESS: S.DISPATCHED},
                 **_same(NON_ORDERS, {S.IN_PROGRESS: S.IN_PROGRESS})},
    "cancel_dispatch": {O: {S.DISPATCHED: S.NEW, S.IN_PROGRESS: S.NEW}},
    "complete": {O: {S.IN_PROGRESS: S.DONE}},
    "rate": {O: {S.DONE: S.CLOSED}},
    "escalate": _same(NON_ORDERS, {S.NEW: S.ESCALATED, S.IN_PROGRESS: S.ESCALATED}),
    "close": {O: {S.DONE: S.CLOSED}, **_same(NON_ORDERS, {S.IN_PROGRESS: S.CLOSED, S.ESCALATED: S.CLOSED})},
    "withdraw": {O: {S.NEW: S.CLOSED, S.DISPATCHED: S.CLOSED}, **_same(NON_ORDERS, {S.NEW: S.CLOSED})},
    "duplicate": {O: {S.NEW: S.CLOSED, S.DISPATCHED: S.CLOSED, S.IN_PROGRESS: S.CLOSED},
                  **_same(NON_ORDERS, {S.NEW: S.CLOSED, S.IN_PROGRESS: S.CLOSED})},
    "reopen": {O: {S.CLOSED: S.NEW}, **_same(NON_ORDERS, {S.CLOSED: S.IN_PROGRESS})},
}

ACTION_LABELS = {
    "create": gettext_lazy("receive"), "dispatch": gettext_lazy("dispatch"), "accept": gettext_lazy("accept"),
    "decline": gettext_lazy("decline"), "reassign": gettext_lazy("reassign"),
    "cancel_dispatch": gettext_lazy("cancel the dispatch"), "complete": gettext_lazy("report as done"),
    "rate": gettext_lazy("rate"), "escalate": gettext_lazy("escalate"), "close": gettext_lazy("close"),
    "withdraw": gettext_lazy("withdraw"), "duplicate": gettext_lazy("mark as a duplicate"),
    "reopen": gettext_lazy("reopen"), "note": gettext_lazy("add an internal note"),
    "reply": gettext_lazy("reply"), "session": gettext_lazy("record a mediation session"),
    "follow_up": gettext_lazy("record the follow-up visit"), "attach": gettext_lazy("attach a file"),
}

# Sniffed from the first bytes: the declared content type is not trusted.
_SIGNATURES = [(b"\xff\xd8\xff", "image/jpeg"), (b"\x89PNG\r\n\x1a\n", "image/png"), (b"GIF87a", "image/gif"),
               (b"GIF89a", "image/gif"), (b"%PDF-", "application/pdf")]


# Who may act --------------------------------------------------------------------------------------

def is_staff_for(user, case: Case) -> bool:
    return has_role_over(user, Role.STAFF, case.division)


def is_county_for(user, case: Case) -> bool:
    return has_role_over(user, (Role.Kind.COUNTY_ADMIN,), case.division)


def is_requester(user, case: Case) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    return case.reporter_id == user.pk or (case.person_id is not None and case.person.user_id == user.pk)


def volunteer_of(user):
    """The user's volunteer record if it is active (the request's one read of it, shared with the
    volunteers' and the classroom's home blocks)."""
    from linli.volunteers.selectors import volunteer_of as volunteer_record

    if not getattr(user, "is_authenticated", False):
        return None
    volunteer = volunteer_record(user)
    return volunteer if volunteer is not None and volunteer.active else None


def is_worker_for(user, case: Case) -> bool:
    """The dispatched volunteer, a volunteer of the dispatched team in the case's community, or staff."""
    if is_staff_for(user, case):
        return True
    vol = volunteer_of(user)
    if vol is None or case.kind != O:
        return False
    if case.volunteer_id is not None:
        return case.volunteer_id == vol.pk
    return (case.team_id is not None and vol.teams.filter(pk=case.team_id).exists()
            and case.division.path.startswith(vol.division.path))


def _require(ok: bool, message: str) -> None:
    if not ok:
        raise PermissionDenied(message)


def _require_staff(user, case):
    _require(is_staff_for(user, case), _("Only the community's staff may do this."))


# The machine --------------------------------------------------------------------------------------

def _lock(case: Case) -> Case:
    return Case.objects.select_for_update(of=("self",)).select_related("division", "service", "person").get(
        pk=case.pk)


def target_status(case: Case, action: str) -> str | None:
    return TRANSITIONS.get(action, {}).get(case.kind, {}).get(case.status)


def _illegal(case: Case, action: str) -> ValidationError:
    if action == "rate":
        return ValidationError(_("Only an order that is done can be rated."), code="illegal_transition")
    if action in ("accept", "decline") and case.kind == O:
        return ValidationError(_("This order is not waiting to be accepted: the dispatch was cancelled, "
                                 "reassigned or already answered."), code="illegal_transition")
    return ValidationError(
        _("Cannot %(action)s: the %(kind)s is “%(status)s”.") % {
            "action": ACTION_LABELS.get(action, action), "kind": case.get_kind_display(),
            "status": case.get_status_display()}, code="illegal_transition")


def _move(case: Case, action: str, *, by, note: str = "", public: bool = True, fields=()) -> CaseEvent:
    """Apply a legal transition to a locked case, save it and write the history line."""
    to = target_status(case, action)
    if to is None:
        raise _illegal(case, action)
    now = timezone.now()
    event = CaseEvent(case=case, at=now, by=by if getattr(by, "pk", None) else None, action=action,
                      from_status=case.status, to_status=to, note=note, public=public)
    case.status, case.updated_at = to, now
    if to == S.CLOSED:
        case.closed_at = now
    case.save(update_fields=["status", "updated_at", "closed_at", *fields])
    event.save()
    return event


def _log(case: Case, action: str, *, by, note: str = "", public: bool = False) -> CaseEvent:
    """A history line without a transition (notes, replies, sessions, follow-up visits, files)."""
    now = timezone.now()
    Case.objects.filter(pk=case.pk).update(updated_at=now)
    return CaseEvent.objects.create(case=case, at=now, by=by, action=action, from_status=case.status,
                                    to_status=case.status, note=note, public=public)


def _text(value, field: str, message: str, max_length: int) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationError({field: message})
    if len(value) > max_length:
        raise ValidationError({field: _("At most %(n)d characters.") % {"n": max_length}})
    return value


# Files --------------------------------------------------------------------------------------------

def check_upload(f) -> str:
    """Return the sniffed content type of an upload, or raise: images (JPEG, PNG, GIF, WebP) and PDF only,
    at most 5 MB (LINLI_CASE_MAX_UPLOAD_BYTES)."""
    limit = conf.max_upload_bytes()
    if f.size > limit:
        raise ValidationError({"file": _("%(name)s is larger than %(mb)s MB.") % {
            "name": f.name, "mb": round(limit / 1024 / 1024, 1)}}, code="too_large")
    f.seek(0)
    head = f.read(16)
    f.seek(0)
    for sig, ctype in _SIGNATURES:
        if head.startswith(sig):
            return ctype
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    raise ValidationError({"file": _("%(name)s is not a photo or a PDF.") % {"name": f.name}}, code="file_type")


def _save_files(case: Case, files, by) -> list[Attachment]:
    return [Attachment.objects.create(case=case, file=f, name=(f.name or "file")[-120:], content_type=ctype,
                                      size=f.size, uploaded_by=by if getattr(by, "pk", None) else None)
            for f, ctype in files]


def _checked(files) -> list:
    files = [f for f in (files or []) if f]
    if len(files) > 5:
        raise ValidationError({"file": _("Attach at most 5 files.")})
    return [(f, check_upload(f)) for f in files]


# Places -------------------------------------------------------------------------------------------

def _km(lat1, lng1, lat2, lng2) -> float:
    r = 6371.0
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(math.sqrt(a))


def _rings(boundary) -> list:
    if not boundary:
        return []
    if boundary.get("type") == "Polygon":
        return [boundary["coordinates"][0]]
    if boundary.get("type") == "MultiPolygon":
        return [poly[0] for poly in boundary["coordinates"]]
    return []


def _inside(lat, lng, ring) -> bool:
    inside, j = False, len(ring) - 1
    for i in range(len(ring)):
        xi, yi = ring[i][0], ring[i][1]
        xj, yj = ring[j][0], ring[j][1]
        if (yi > lat) != (yj > lat) and lng < (xj - xi) * (lat - yi) / ((yj - yi) or 1e-12) + xi:
            inside = not inside
        j = i
    return inside


def locate(lat: float, lng: float, under: Division) -> Division | None:
    """The community under `under` whose boundary holds the point, else the nearest one whose boundary or
    sites lie within LINLI_CASE_MAX_DISTANCE_KM; None when the point is outside the county."""
    from linli.places.models import Site

    communities = list(Division.objects.filter(path__startswith=under.path, level=Division.Level.COMMUNITY))
    best, best_km = None, conf.max_distance_km()
    sites: dict[int, list] = {}
    for s in Site.objects.filter(division__in=communities, lat__isnull=False).values("division_id", "lat", "lng"):
        sites.setdefault(s["division_id"], []).append((s["lat"], s["lng"]))
    for com in communities:
        points = list(sites.get(com.pk, []))
        for ring in _rings(com.boundary):
            if _inside(lat, lng, ring):
                return com
            points += [(y, x) for x, y in ring]
        for plat, plng in points:
            d = _km(lat, lng, plat, plng)
            if d <= best_km:
                best, best_km = com, d
    return best


def _community(division: Division) -> Division:
    com = division.community()
    if com is None:
        raise ValidationError({"division": _("Choose a community.")})
    return com


def resident_community(user) -> Division | None:
    """A resident's community: from their person record, else from their resident grant."""
    person = getattr(user, "person", None) if getattr(user, "is_authenticated", False) else None
    if person is not None:
        return person.division.community()
    role = user.roles.select_related("division", "division__parent").order_by("pk").first() \
        if getattr(user, "is_authenticated", False) else None
    return role.division.community() if role else None


def _check_attributes(service: ServiceItem, answers: dict) -> dict:
    out = {}
    answers = answers or {}
    for attr in service.attributes or []:
        code, value = attr.get("code"), answers.get(attr.get("code"))
        if value in (None, "", []):
            if attr.get("required"):
                raise ValidationError({"attributes": _("Answer “%(q)s”.") % {
                    "q": attr.get("description") or code}}, code="attribute_required")
            continue
        keys = {str(v.get("key")) for v in attr.get("values", [])}
        if attr.get("datatype") == "singlevaluelist" and str(value) not in keys:
            raise ValidationError({"attributes": _("“%(v)s” is not one of the choices for %(q)s.") % {
                "v": value, "q": code}}, code="attribute_value")
        if attr.get("datatype") == "multivaluelist":
            value = value if isinstance(value, list) else [value]
            if not set(map(str, value)) <= keys:
                raise ValidationError({"attributes": _("“%(v)s” is not one of the choices for %(q)s.") % {
                    "v": ",".join(map(str, value)), "q": code}}, code="attribute_value")
        if attr.get("datatype") == "number":
            try:
                value = float(value)
            except (TypeError, ValueError):
                raise ValidationError({"attributes": _("%(q)s must be a number.") % {"q": code}},
                                      code="attribute_value") from None
        out[code] = value
    return out


# Create -------------------------------------------------------------------------------------------

@transaction.atomic
def case_create(*, by, kind: str, service: ServiceItem, division: Division | None = None, title: str = "",
                description: str = "", priority: str = Case.Priority.NORMAL, person=None, contact_name: str = "",
                contact_phone: str = "", address: str = "", lat: float | None = None, lng: float | None = None,
                coords_gcj02: bool = False, attributes: dict | None = None, files=(), channel: str | None = None,
                night_talk: NightTalk | None = None, parties=(), api_key=None, media_url: str = "") -> Case:
    """Receive a case. A resident files for themself in their own community; staff file for residents
    (by phone or visit), take disputes with their parties (at least two) and record night-talk opinions.
    The location, when given, must lie in China and in the county."""
    if kind not in Kind.values:
        raise ValidationError({"kind": _("Unknown kind of case.")})
    if service is None or service.kind != kind or not service.active:
        raise ValidationError({"service": _("Choose a service or category of this kind.")}, code="service")
    staff_division = division if division is not None and has_role_over(by, Role.STAFF, division) else None
    if api_key is not None:
        channel = Case.Channel.OPEN311
    elif staff_division is not None:
        division = _community(staff_division)
        channel = channel or Case.Channel.STAFF
    else:
        if kind in (D, P):
            raise PermissionDenied(_("Disputes and night-talk opinions are taken by community staff."))
        division = resident_community(by)
        if division is None:
            raise ValidationError(_("Your account is not linked to a community; ask your community office."))
        person = getattr(by, "person", None)
        channel = Case.Channel.WEB
    if kind == P:
        if night_talk is None:
            raise ValidationError({"night_talk": _("An opinion belongs to a night talk.")})
        division, channel = night_talk.division, Case.Channel.NIGHT_TALK
    if priority not in Case.Priority.values:
        raise ValidationError({"priority": _("Unknown priority.")})
    description = (description or "").strip()
    if len(description) > 4000:
        raise ValidationError({"description": _("At most %(n)d characters.") % {"n": 4000}})
    if kind in (C, D, P) and not description:
        raise ValidationError({"description": _("Describe the matter in a few words.")})
    if (lat is None) != (lng is None):
        raise ValidationError({"lat": _("Give both latitude and longitude, or neither.")})
    if lat is not None:
        try:
            lat, lng = float(lat), float(lng)
        except (TypeError, ValueError):
            raise ValidationError({"lat": _("Latitude and longitude must be numbers.")}) from None
        if not (math.isfinite(lat) and math.isfinite(lng)):
            raise ValidationError({"lat": _("Latitude and longitude must be numbers.")})
        validate_in_china(lat, lng)
        if coords_gcj02:
            lat, lng = gcj02_to_wgs84(lat, lng)
        county = Division.objects.filter(pk=division.ancestor_ids()[0]).first() or division
        if locate(lat, lng, county) is None:
            raise ValidationError({"lat": _("This location is outside the county.")}, code="outside_county")
        lat, lng = round(lat, 6), round(lng, 6)
    answers = _check_attributes(service, attributes or {})
    checked = _checked(files)
    parties = [p for p in parties or [] if (p.get("name") or "").strip()]
    if kind == D and len(parties) < 2:
        raise ValidationError({"parties": _("A dispute has at least two parties.")})
    now = timezone.now()
    case = Case(kind=kind, service=service, division=division, description=description, priority=priority,
                channel=channel, reporter=by if getattr(by, "pk", None) else None, person=person,
                contact_name=contact_name[:50], contact_phone=contact_phone[:20], address=address[:200],
                lat=lat, lng=lng, attributes=answers, media_url=media_url[:500], night_talk=night_talk,
                api_key=api_key, created_at=now, updated_at=now,
                due_at=now + dt.timedelta(hours=conf.deadline_hours(kind, priority)),
                title=(title or "").strip()[:120] or _default_title(service, description))
    case.save()
    for p in parties:
        if p.get("role", Party.Role.OTHER) not in Party.Role.values:
            raise ValidationError({"parties": _("Unknown party role.")})
        Party.objects.create(case=case, role=p.get("role", Party.Role.OTHER), name=p["name"].strip()[:50],
                             phone=(p.get("phone") or "")[:20], address=(p.get("address") or "")[:200],
                             person=p.get("person"))
    _save_files(case, checked, by)
    CaseEvent.objects.create(case=case, at=now, by=case.reporter, action="create", to_status=S.NEW, public=True)
    return case


VISIT_KINDS = (Kind.ORDER, Kind.CONCERN, Kind.DISPUTE)


@transaction.atomic
def case_from_visit(*, visit, by, service: ServiceItem) -> Case:
    """A need found on a door-to-door visit becomes a concern without retyping: the household, the
    person met, the place and the words come from the visit. Whoever may see the visit may raise it,
    once."""
    from linli.grids.models import Visit

    visit = Visit.objects.visible_to(by).select_for_update(of=("self",)).select_related(
        "household", "division").filter(pk=visit.pk).first()
    if visit is None:
        raise PermissionDenied(_("You may raise cases only from visits in your own grids."))
    if not visit.needs.strip():
        raise ValidationError({"visit": _("This visit recorded no needs.")})
    if Case.objects.filter(visit=visit).exists():
        raise ValidationError({"visit": _("A case was already raised from this visit.")})
    # Any kind a need found at a door can be: a service order, a concern, a dispute (not a night-talk opinion).
    if service is None or service.kind not in VISIT_KINDS or not service.active:
        raise ValidationError({"service": _("Choose a category of concern.")}, code="service")
    now = timezone.now()
    household = visit.household
    case = Case.objects.create(
        kind=service.kind, service=service, division=_community(visit.division),
        description=visit.needs.strip()[:4000],
        priority=Case.Priority.NORMAL, channel=Case.Channel.VISIT, visit=visit, reporter=by, person=visit.met,
        address=household.address[:200], lat=household.lat, lng=household.lng, created_at=now, updated_at=now,
        due_at=now + dt.timedelta(hours=conf.deadline_hours(service.kind, Case.Priority.NORMAL)),
        title=_default_title(service, visit.needs.strip()))
    CaseEvent.objects.create(case=case, at=now, by=by, action="create", to_status=S.NEW, public=True)
    return case


@transaction.atomic
def concern_from_app(*, by, person, description: str, service: ServiceItem | None = None, address: str = "") -> Case:
    """A concern another app raises for a resident it serves (a canteen volunteer who finds an elder
    unwell at the door): filed in the person's community, for that community's grid worker and staff.
    The calling service has decided that `by` may raise it; the category is the given one, else the
    first active concern category."""
    service = service or ServiceItem.objects.filter(kind=C, active=True).order_by("order", "code").first()
    if service is None or service.kind != C:
        raise ValidationError({"service": _("Choose a category of concern.")}, code="service")
    description = (description or "").strip()[:4000]
    if not description:
        raise ValidationError({"description": _("Describe the matter in a few words.")})
    now = timezone.now()
    case = Case.objects.create(
        kind=C, service=service, division=_community(person.division), description=description,
        priority=Case.Priority.NORMAL, channel=Case.Channel.STAFF, reporter=by if getattr(by, "pk", None) else None,
        person=person, address=address[:200], created_at=now, updated_at=now,
        due_at=now + dt.timedelta(hours=conf.deadline_hours(C, Case.Priority.NORMAL)),
        title=_default_title(service, description))
    CaseEvent.objects.create(case=case, at=now, by=case.reporter, action="create", to_status=S.NEW, public=True)
    return case


def _default_title(service, description: str) -> str:
    first = description.splitlines()[0][:40] if description else ""
    return f"{service.name}：{first}" if first else service.name


# Transitions --------------------------------------------------------------------------------------

def _check_target(by, case, team, volunteer, organization) -> None:
    if team is None and volunteer is None and organization is None:
        raise ValidationError({"team": _("Choose a volunteer team, a volunteer or an organization.")})
    if volunteer is not None:
        if not volunteer.active:
            raise ValidationError({"volunteer": _("This volunteer is no longer active.")})
        if not has_role_over(by, Role.STAFF, volunteer.division) and volunteer.division_id != case.division_id:
            raise ValidationError({"volunteer": _("This volunteer is outside your communities.")})
    if organization is not None and not (case.division.path.startswith(organization.division.path)
                                         or has_role_over(by, Role.STAFF, organization.division)):
        raise ValidationError({"organization": _("This organization is outside your communities.")})


def _check_handler(case, assignee) -> None:
    if assignee is None or not has_role_over(assignee, Role.STAFF, case.division):
        raise ValidationError({"assignee": _("The handler must be staff of this community.")})


def _requesters(case: Case) -> list:
    return [case.reporter, case.person.user if case.person_id and case.person else None]


def _volunteer_users(case: Case) -> list:
    """Who an order is offered to: the volunteer, else the team's active volunteers in its community."""
    from linli.volunteers.models import Volunteer

    if case.volunteer_id:
        return [case.volunteer.person.user]
    if case.team_id:
        return [v.person.user for v in Volunteer.objects.filter(
            teams=case.team, active=True, person__user__isnull=False,
            division__path__in=[p for p in _ancestor_paths(case.division.path)]).select_related("person__user")]
    return []


def _ancestor_paths(path: str) -> list[str]:
    parts = [p for p in path.split("/") if p]
    return ["/" + "/".join(parts[:i]) + "/" for i in range(1, len(parts) + 1)]


def _tell(case: Case, key: str, recipients, **params) -> None:
    """Notify about an order's step, after the transition, in its transaction."""
    from linli.notifications.services import notify_all

    notify_all(recipients=recipients, key=key, obj=case,
               params={"number": case.number, "service": case.service.name, **params})


@transaction.atomic
def case_dispatch(*, case: Case, by, team=None, volunteer=None, organization=None, assignee=None,
                  note: str = "") -> Case:
    """派单: an order goes to a volunteer team, a volunteer or an organization; a concern, dispute or
    opinion goes to a staff handler (a dispute's handler is its mediator)."""
    case = _lock(case)
    if target_status(case, "dispatch") is None:
        raise _illegal(case, "dispatch")
    _require_staff(by, case)
    if case.kind == O:
        _check_target(by, case, team, volunteer, organization)
        case.team, case.volunteer, case.organization = team, volunteer, organization
        case.assignee = assignee or case.assignee or by
        _move(case, "dispatch", by=by, note=note.strip()[:500],
              fields=["team", "volunteer", "organization", "assignee"])
        _tell(case, "case.dispatched", _requesters(case), to=case.volunteer or case.team or case.organization)
        _tell(case, "case.offered", _volunteer_users(case), community=case.division.name)
    else:
        assignee = assignee or by
        _check_handler(case, assignee)
        case.assignee = assignee
        _move(case, "dispatch", by=by, note=note.strip()[:500], fields=["assignee"])
    return case


@transaction.atomic
def case_accept(*, case: Case, by) -> Case:
    """接单: the team (one of its volunteers), the volunteer, or staff for an organization, takes the order."""
    case = _lock(case)
    if target_status(case, "accept") is None:
        raise _illegal(case, "accept")
    _require(is_worker_for(by, case), _("This order was not offered to you."))
    offered = _volunteer_users(case) if case.kind == O else []  # before a team's order becomes one volunteer's
    fields = []
    if case.volunteer_id is None and case.team_id is not None:
        vol = volunteer_of(by)
        if vol is not None and not is_staff_for(by, case):
            case.volunteer = vol
            fields.append("volunteer")
    _move(case, "accept", by=by, fields=fields)
    if case.kind == O:
        who = case.volunteer or case.team or case.organization or by
        _tell(case, "case.accepted", _requesters(case), who=who)
        # The volunteers it was offered to and who did not take it themselves (a team-mate or staff did).
        _tell(case, "case.taken", [u for u in offered if u != by], who=case.volunteer or by)
    return case


@transaction.atomic
def case_decline(*, case: Case, by, reason: str) -> Case:
    """The team or volunteer declines, with a reason; the order goes back to staff to dispatch again."""
    case = _lock(case)
    if target_status(case, "decline") is None:
        raise _illegal(case, "decline")
    _require(is_worker_for(by, case), _("This order was not offered to you."))
    reason = _text(reason, "reason", _("Say why."), 500)
    case.team = case.volunteer = case.organization = None
    _move(case, "decline", by=by, note=reason, public=False, fields=["team", "volunteer", "organization"])
    return case


@transaction.atomic
def case_reassign(*, case: Case, by, reason: str, team=None, volunteer=None, organization=None,
                  assignee=None) -> Case:
    """Staff send an order to someone else (or give a case another handler), with a reason."""
    case = _lock(case)
    if target_status(case, "reassign") is None:
        raise _illegal(case, "reassign")
    _require_staff(by, case)
    reason = _text(reason, "reason", _("Say why."), 500)
    if case.kind == O:
        _check_target(by, case, team, volunteer, organization)
        case.team, case.volunteer, case.organization = team, volunteer, organization
        fields = ["team", "volunteer", "organization"]
    else:
        _check_handler(case, assignee)
        case.assignee, fields = assignee, ["assignee"]
    _move(case, "reassign", by=by, note=reason, public=False, fields=fields)
    return case


@transaction.atomic
def case_cancel_dispatch(*, case: Case, by, reason: str) -> Case:
    """Staff withdraw a dispatch, with a reason; whoever it was offered to can no longer accept it."""
    case = _lock(case)
    if target_status(case, "cancel_dispatch") is None:
        raise _illegal(case, "cancel_dispatch")
    _require_staff(by, case)
    reason = _text(reason, "reason", _("Say why."), 500)
    case.team = case.volunteer = case.organization = None
    _move(case, "cancel_dispatch", by=by, note=reason, public=False, fields=["team", "volunteer", "organization"])
    return case


def _accepted_at(case: Case):
    ev = case.events.filter(action="accept").order_by("-at").first()
    return ev.at if ev else case.created_at


@transaction.atomic
def case_complete(*, case: Case, by, report: str, hours=None, files=()) -> Case:
    """Work done, with a short report and an optional photo. The volunteer's hours become a pending
    service record from a resident's order (volunteers.services.service_record_from), confirmed later
    by the organiser."""
    case = _lock(case)
    if target_status(case, "complete") is None:
        raise _illegal(case, "complete")
    _require(is_worker_for(by, case), _("This order was not offered to you."))
    report = _text(report, "report", _("Say in a line what was done."), 2000)
    if hours not in (None, ""):
        try:
            hours = Decimal(str(hours)).quantize(Decimal("0.01"))
        except (InvalidOperation, ValueError):
            raise ValidationError({"hours": _("Give the hours as a number.")}) from None
        if not (Decimal(0) < hours <= Decimal(24)):
            raise ValidationError({"hours": _("Give between 0 and 24 hours.")})
    else:
        hours = None
    checked = _checked(files)
    case.report, case.hours = report, hours
    fields = ["report", "hours"]
    if hours is not None and case.volunteer_id is not None:
        case.service_record = _service_record(case, by, hours)
        fields.append("service_record")
    _move(case, "complete", by=by, note=report, fields=fields)
    _save_files(case, checked, by)
    if case.kind == O:
        _tell(case, "case.done", _requesters(case), report=report[:300])
        # The volunteer is told when somebody else (staff) reported their order done.
        _tell(case, "case.completed", [u for u in _volunteer_users(case) if u != by], who=by, report=report[:300])
    return case


def _service_record(case: Case, by, hours: Decimal):
    """Recorded by whoever reports the work done (is_worker_for has allowed them), marked as from a
    resident's order."""
    from linli.volunteers import services as volunteer_services
    from linli.volunteers.models import ServiceRecord

    end = timezone.now()
    start = min(_accepted_at(case), end - dt.timedelta(hours=float(hours)))
    return volunteer_services.service_record_from(
        source=ServiceRecord.Source.ORDER, volunteer=case.volunteer, by=by, start=start, end=end, hours=hours,
        content=_("Service order %(n)s: %(s)s") % {"n": case.number, "s": case.service.name})


@transaction.atomic
def case_rate(*, case: Case, by, rating, comment: str = "") -> Case:
    """评单: the resident rates the done order (1–5, with a comment); that closes it."""
    case = _lock(case)
    if target_status(case, "rate") is None:
        raise _illegal(case, "rate")
    _require(is_requester(by, case) or by.is_superuser, _("Only the resident who asked may rate it."))
    try:
        rating = int(rating)
    except (TypeError, ValueError):
        rating = 0
    if not 1 <= rating <= 5:
        raise ValidationError({"rating": _("Give 1 to 5 stars.")})
    case.rating, case.rating_comment, case.resolution = rating, (comment or "").strip()[:500], Case.Resolution.RESOLVED
    _move(case, "rate", by=by, note=case.rating_comment, fields=["rating", "rating_comment", "resolution"])
    _tell(case, "case.rated", [*_volunteer_users(case), case.assignee], rating=rating, comment=case.rating_comment)
    return case


@transaction.atomic
def case_escalate(*, case: Case, by, reason: str) -> Case:
    """The community hands a concern, dispute or opinion up to the county, with a reason the resident
    sees. An escalated dispute does not count as resolved in the community."""
    case = _lock(case)
    if target_status(case, "escalate") is None:
        raise _illegal(case, "escalate")
    _require_staff(by, case)
    reason = _text(reason, "reason", _("Say why it goes to the county."), 500)
    _move(case, "escalate", by=by, note=reason)
    return case


@transaction.atomic
def case_close(*, case: Case, by, answer: str = "", resolution: str = Case.Resolution.RESOLVED,
               agreement_terms: str = "", performance: str = "", referred_to: str = "") -> Case:
    """Close with an answer the resident sees. A dispute closes with its outcome: an agreement (terms and
    how, where and when they are carried out) or a failed mediation and where it was referred. An
    escalated case is closed by the county."""
    case = _lock(case)
    if target_status(case, "close") is None:
        raise _illegal(case, "close")
    _require_staff(by, case)
    if case.status == S.ESCALATED:
        _require(is_county_for(by, case), _("An escalated case is closed by the county."))
    answer = (answer or "").strip()
    if len(answer) > 4000:
        raise ValidationError({"answer": _("At most %(n)d characters.") % {"n": 4000}})
    fields = ["public_answer", "resolution"]
    if case.kind == D:
        if resolution == Case.Resolution.RESOLVED:
            case.agreement_terms = _text(agreement_terms, "agreement_terms", _("Write down the agreed terms."), 4000)
            case.performance = _text(performance, "performance",
                                     _("Say how, where and when the agreement is carried out."), 500)
        elif resolution == Case.Resolution.UNRESOLVED:
            case.referred_to = _text(referred_to, "referred_to", _("Say where the dispute was referred."), 200)
        else:
            raise ValidationError({"resolution": _("A dispute ends in an agreement or a referral.")})
        fields += ["agreement_terms", "performance", "referred_to"]
    elif case.kind != O and not answer:
        raise ValidationError({"answer": _("Write the answer the resident will see.")})
    elif resolution not in (Case.Resolution.RESOLVED, Case.Resolution.UNRESOLVED):
        raise ValidationError({"resolution": _("Unknown outcome.")})
    case.public_answer, case.resolution = answer, resolution
    _move(case, "close", by=by, note=answer, fields=fields)
    return case


@transaction.atomic
def case_withdraw(*, case: Case, by, reason: str = "") -> Case:
    """The resident (or staff for them) withdraws a case that no one has started on."""
    case = _lock(case)
    if target_status(case, "withdraw") is None:
        raise _illegal(case, "withdraw")
    _require(is_requester(by, case) or is_staff_for(by, case), _("Only the resident who asked may withdraw it."))
    case.resolution = Case.Resolution.WITHDRAWN
    _move(case, "withdraw", by=by, note=(reason or "").strip()[:500], fields=["resolution"])
    return case


@transaction.atomic
def case_mark_duplicate(*, case: Case, by, original: Case) -> Case:
    """Close a case as a duplicate of another in the same community (chains point at the first)."""
    case = _lock(case)
    if target_status(case, "duplicate") is None:
        raise _illegal(case, "duplicate")
    _require_staff(by, case)
    while original.duplicate_of_id is not None:
        original = original.duplicate_of
    if original.pk == case.pk:
        raise ValidationError({"original": _("A case cannot duplicate itself.")})
    if original.division_id != case.division_id:
        raise ValidationError({"original": _("The original must be in the same community.")})
    case.duplicate_of, case.resolution = original, Case.Resolution.DUPLICATE
    _move(case, "duplicate", by=by, note=_("Same matter as %(n)s.") % {"n": original.number},
          fields=["duplicate_of", "resolution"])
    return case


@transaction.atomic
def case_reopen(*, case: Case, by, reason: str) -> Case:
    """Staff reopen a closed case, with a reason; its outcome and rating are cleared (they stay in the
    history)."""
    case = _lock(case)
    if target_status(case, "reopen") is None:
        raise _illegal(case, "reopen")
    _require_staff(by, case)
    reason = _text(reason, "reason", _("Say why."), 500)
    case.resolution, case.closed_at, case.rating, case.rating_comment, case.duplicate_of = "", None, None, "", None
    if case.kind == O:
        case.team = case.volunteer = case.organization = None
    _move(case, "reopen", by=by, note=reason,
          fields=["resolution", "rating", "rating_comment", "duplicate_of", "team", "volunteer", "organization"])
    return case


# Lines without a transition -----------------------------------------------------------------------

@transaction.atomic
def case_note(*, case: Case, by, text: str, public: bool = False) -> CaseEvent:
    """An internal note (staff only see it) or, with public=True, a reply the resident sees."""
    case = _lock(case)
    _require_staff(by, case)
    text = _text(text, "text", _("Write something first."), 4000)
    return _log(case, "reply" if public else "note", by=by, note=text, public=public)


@transaction.atomic
def case_attach(*, case: Case, by, files) -> list[Attachment]:
    case = _lock(case)
    _require(is_staff_for(by, case) or is_requester(by, case) or is_worker_for(by, case),
             _("You may not add files to this case."))
    if not case.is_open:
        raise ValidationError({"file": _("This case is closed.")})
    checked = _checked(files)
    if not checked:
        raise ValidationError({"file": _("Choose a file.")})
    saved = _save_files(case, checked, by)
    _log(case, "attach", by=by, note=", ".join(a.name for a in saved), public=False)
    return saved


@transaction.atomic
def mediation_session_add(*, case: Case, by, held_at: dt.datetime, record: str, place: str = "") -> MediationSession:
    """A mediation session with its record (调解笔录), while the dispute is being mediated."""
    case = _lock(case)
    _require_staff(by, case)
    if case.kind != D or case.status not in (S.IN_PROGRESS, S.ESCALATED):
        raise ValidationError(_("Sessions are recorded while a dispute is being mediated."), code="illegal_transition")
    if held_at > timezone.now() + dt.timedelta(minutes=5):
        raise ValidationError({"held_at": _("Record a session after it is held.")})
    record = _text(record, "record", _("Write the session record."), 8000)
    session = MediationSession.objects.create(case=case, held_at=held_at, place=place[:120], mediator=by,
                                              record=record)
    _log(case, "session", by=by, note=place[:120], public=False)
    return session


@transaction.atomic
def case_follow_up(*, case: Case, by, note: str) -> Case:
    """The follow-up visit (回访) after a case is closed: once, with what was found."""
    case = _lock(case)
    _require_staff(by, case)
    if case.status != S.CLOSED:
        raise ValidationError(_("A follow-up visit comes after the case is closed."), code="illegal_transition")
    if case.followed_up_at is not None:
        raise ValidationError(_("The follow-up visit is already recorded."), code="illegal_transition")
    case.follow_up_note = _text(note, "note", _("Say what the visit found."), 500)
    case.followed_up_at = timezone.now()
    case.save(update_fields=["follow_up_note", "followed_up_at"])
    _log(case, "follow_up", by=by, note=case.follow_up_note, public=False)
    return case


# Night talks --------------------------------------------------------------------------------------

@transaction.atomic
def night_talk_record(*, by, occurrence, minutes: str = "", attendees: int | None = None, opinions=()) -> NightTalk:
    """Record a city night talk after it is held. A night talk is an activity of its own kind
    (activities.Activity.Kind.NIGHT_TALK: sign-up, room hold, reminder and ledger are the activity's);
    what is recorded here is its minutes, and each resident opinion raised there ((service item, text)
    pairs) becomes an opinion case linked to it. Attendance, when not given, is the date's check-ins."""
    from linli.activities.models import Activity, Occurrence, Registration

    occ = (Occurrence.objects.select_for_update(of=("self",)).select_related("activity__site__division", "room")
           .get(pk=occurrence.pk))
    activity = occ.activity
    division = _community(activity.site.division)
    _require(has_role_over(by, Role.STAFF, division), _("Only the community's staff may do this."))
    if activity.kind != Activity.Kind.NIGHT_TALK:
        raise ValidationError({"occurrence": _("Choose a date of a city night talk.")})
    if occ.is_cancelled:
        raise ValidationError({"occurrence": _("This date is cancelled.")})
    if occ.start > timezone.now() + dt.timedelta(minutes=5):
        raise ValidationError({"occurrence": _("Record a night talk after it is held.")})
    if NightTalk.objects.filter(occurrence=occ).exists():
        raise ValidationError({"occurrence": _("This night talk is already recorded.")})
    if attendees is None:
        attendees = occ.registrations.filter(checked_in_at__isnull=False).exclude(
            status=Registration.Status.CANCELLED).count() or None
    place = f"{activity.site.name} {occ.room.name}" if occ.room else activity.site.name
    talk = NightTalk.objects.create(division=division, title=activity.title[:120], held_at=occ.start,
                                    place=place[:120], attendees=attendees, minutes=(minutes or "")[:10000],
                                    recorded_by=by, occurrence=occ)
    for service, text in opinions:
        case_create(by=by, kind=P, service=service, division=division, description=text, night_talk=talk)
    return talk


# Overdue cases (each morning) --------------------------------------------------------------------

def cases_overdue_notify(*, now: dt.datetime | None = None) -> int:
    """Tell each owner of cases past their deadline (the handler, else the community's staff) once a
    day, in one message with the count and the oldest. Idempotent per day: a second run that day sends
    nothing. Returns how many owners were told."""
    from linli.accounts.models import User
    from linli.notifications.services import already_notified, notify

    now = now or timezone.now()
    overdue = (Case.objects.filter(status__in=Case.WORKING, due_at__lt=now)
               .select_related("division").order_by("due_at", "pk"))
    by_owner: dict[int, list[Case]] = {}
    staff_of: dict[int, list[int]] = {}
    for case in overdue:
        owners = [case.assignee_id] if case.assignee_id else staff_of.setdefault(case.division_id, list(
            Role.objects.filter(kind=Role.Kind.COMMUNITY_STAFF, division=case.division).values_list("user_id", flat=True)))
        for owner in owners:
            by_owner.setdefault(owner, []).append(case)
    dedup = f"cases.overdue:{timezone.localdate(now).isoformat()}"
    done = already_notified(dedup_key=dedup, user_ids=list(by_owner))
    told = 0
    for user in User.objects.filter(pk__in=set(by_owner) - done, is_active=True):
        cases = by_owner[user.pk]
        with transaction.atomic():
            notify(recipient=user, key="cases.overdue", dedup_key=dedup, params={
                "count": len(cases), "oldest": f"{cases[0].number} {cases[0].title}",
                "due": timezone.localtime(cases[0].due_at).strftime("%Y-%m-%d %H:%M")})
        told += 1
    return told
