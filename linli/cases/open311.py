"""Open311 GeoReport v2 (wiki.open311.org/GeoReport_v2), so existing civic-tech clients can talk to Linli.

Formats by suffix (.json, .xml), UTF-8; dates ISO 8601 with the time zone; codes as strings; errors as a
list of {code, description} with 400 (missing or bad input), 403 (an invalid API key) or 404 (unknown
jurisdiction, service, request or token). Status is only open/closed in the core responses; the detailed
steps come through the FixMyStreet-style `servicerequestupdates`. Only orders and concerns of services
offered through Open311 are public, and never a name, phone, email, home address or internal note: an
order's description and location stay private; no address is public; a concern's location is rounded to
about 100 m (none from a visit: that is a home), and the words of a case taken by staff (phone, visit, night talk) are replaced by the service name (selectors.public_*).
A wrong method is a 405 in the error list, never an HTML page; discovery.json lists the endpoint.
"""

import datetime as dt
from xml.etree import ElementTree as ET

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpResponse, JsonResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from linli.cases import services
from linli.cases.models import ApiKey, Case, CaseEvent, Kind, ServiceItem
from linli.cases.selectors import STAFF_WORDS, public_description, public_location, scrub
from linli.divisions.models import Division

WINDOW = dt.timedelta(days=90)
LIMIT = 1000
PUBLIC_KINDS = (Kind.ORDER, Kind.CONCERN)
_LIST_ITEMS = {"attributes": "attribute", "values": "value"}


class Open311Error(Exception):
    def __init__(self, status: int, description: str):
        super().__init__(description)
        self.status, self.description = status, description


# Output -------------------------------------------------------------------------------------------

def _xml_value(parent, tag, value):
    el = ET.SubElement(parent, tag)
    if isinstance(value, dict):
        for k, v in value.items():
            _xml_value(el, k, v)
    elif isinstance(value, list):
        for v in value:
            _xml_value(el, _LIST_ITEMS.get(tag, "item"), v)
    elif isinstance(value, bool):
        el.text = "true" if value else "false"
    elif value is not None:
        el.text = str(value)


def _render(fmt: str, rows, root: str, item: str, status: int = 200) -> HttpResponse:
    if fmt == "xml":
        top = ET.Element(root)
        for row in rows if isinstance(rows, list) else [rows]:
            _xml_value(top, item, row)
        body = b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(top, encoding="utf-8")
        return HttpResponse(body, status=status, content_type="text/xml; charset=utf-8")
    return JsonResponse(rows, status=status, safe=False, json_dumps_params={"ensure_ascii": False})


def _errors(fmt: str, status: int, description: str) -> HttpResponse:
    return _render("xml" if fmt == "xml" else "json", [{"code": status, "description": description}],
                   "errors", "error", status)


def endpoint(*methods):
    """Check the method, format and jurisdiction, and turn errors into the spec's error list. No CSRF
    check: Open311 clients are not browsers with a session, and a POST is authorised by its api_key."""
    def decorate(view):
        @csrf_exempt
        def wrapped(request, *args, fmt, **kwargs):
            if request.method not in methods:
                response = _errors(fmt, 405, _("Method %(m)s is not allowed here; use %(allowed)s.") % {
                    "m": request.method[:10], "allowed": ", ".join(methods)})
                response["Allow"] = ", ".join(methods)
                return response
            return _checked(view, request, *args, fmt=fmt, **kwargs)
        wrapped.__name__ = view.__name__
        wrapped.__doc__ = view.__doc__
        return wrapped
    return decorate


def _checked(view, request, *args, fmt, **kwargs):
    if fmt not in ("json", "xml"):
        return _errors("json", 404, _("Unknown format “%(f)s”: use .json or .xml.") % {"f": fmt[:20]})
    try:
        params = request.POST if request.method == "POST" else request.GET
        jurisdiction = params.get("jurisdiction_id")
        if jurisdiction and not Division.objects.filter(code=jurisdiction, level=Division.Level.COUNTY).exists():
            raise Open311Error(404, _("jurisdiction_id %(j)s was not found.") % {"j": jurisdiction[:30]})
        return view(request, *args, fmt=fmt, **kwargs)
    except Open311Error as e:
        return _errors(fmt, e.status, e.description)


def _iso(value) -> str | None:
    return timezone.localtime(value).isoformat(timespec="seconds") if value else None


def _status(case: Case) -> str:
    return "closed" if case.status == Case.Status.CLOSED else "open"


def _service_row(s: ServiceItem) -> dict:
    return {"service_code": s.code, "service_name": s.name, "description": s.description or s.name_en,
            "metadata": bool(s.attributes), "type": "realtime", "keywords": s.keywords, "group": s.group}


def _public_cases():
    return Case.objects.filter(kind__in=PUBLIC_KINDS, service__open311=True).select_related("service", "division")


def _request_row(case: Case, notes: dict) -> dict:
    concern = case.kind == Kind.CONCERN
    lat, lng = public_location(case) if concern else (None, None)
    return {
        "service_request_id": str(case.pk),
        "status": _status(case),
        "status_notes": scrub(case.public_answer or notes.get(case.pk, "")),
        "service_name": case.service.name,
        "service_code": case.service.code,
        "description": public_description(case) if concern else "",
        "agency_responsible": case.division.name,
        "service_notice": "",
        "requested_datetime": _iso(case.created_at),
        "updated_datetime": _iso(case.updated_at),
        "expected_datetime": _iso(case.due_at),
        "address": "",
        "address_id": "",
        "zipcode": "",
        "lat": lat,
        "long": lng,
        "media_url": case.media_url,
    }


def _latest_replies(cases) -> dict:
    out = {}
    for ev in CaseEvent.objects.filter(case__in=cases, action="reply", public=True).order_by("at", "pk"):
        out[ev.case_id] = ev.note
    return out


# Input --------------------------------------------------------------------------------------------

def _when(value: str, name: str, *, end: bool = False):
    if not value:
        return None
    parsed = parse_datetime(value.replace(" ", "+")) if "T" in value else None
    if parsed is None:
        day = parse_date(value) if "T" not in value else None
        if day is None:
            raise Open311Error(400, _("%(n)s is not an ISO 8601 date.") % {"n": name})
        parsed = dt.datetime.combine(day, dt.time.max if end else dt.time.min)
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)
    return parsed


def _window(params) -> tuple:
    """start_date/end_date, at most 90 days apart; the default is the last 90 days."""
    try:
        start, end = _when(params.get("start_date", ""), "start_date"), _when(params.get("end_date", ""), "end_date",
                                                                             end=True)
    except (ValueError, OverflowError):
        raise Open311Error(400, _("start_date or end_date is not a valid date.")) from None
    if start and end and end < start:
        raise Open311Error(400, _("end_date is before start_date."))
    if start and end and end - start > WINDOW:
        raise Open311Error(400, _("The date range may span at most 90 days."))
    if start is None and end is None:
        end = timezone.now()
    if start is None:
        start = end - WINDOW
    if end is None:
        end = start + WINDOW
    return start, end


def _api_key(params) -> ApiKey:
    key = (params.get("api_key") or "").strip()
    if not key:
        raise Open311Error(400, _("api_key was not provided."))
    found = ApiKey.objects.filter(key=key[:40], active=True).select_related("division").first()
    if found is None:
        raise Open311Error(403, _("api_key is not valid."))
    return found


def _attributes(params) -> dict:
    out = {}
    for name in params:
        if name.startswith("attribute[") and "]" in name:
            code = name[len("attribute["):name.index("]")]
            values = params.getlist(name)
            out[code] = values if name.endswith("[]") or len(values) > 1 else values[0]
    return out


def _place(params, key: ApiKey) -> tuple:
    lat, lng = params.get("lat", "").strip(), params.get("long", "").strip()
    address = params.get("address_string", "").strip()[:200]
    if params.get("address_id") and not (lat or address):
        raise Open311Error(400, _("address_id is not known here: send lat and long, or address_string."))
    if lat or lng:
        try:
            lat, lng = float(lat), float(lng)
        except ValueError:
            raise Open311Error(400, _("lat and long must both be decimal degrees.")) from None
        try:
            from linli.core.geo import validate_in_china

            validate_in_china(lat, lng)
        except ValidationError as e:
            raise Open311Error(400, " ".join(e.messages)) from None
        community = services.locate(lat, lng, key.division)
        if community is None:
            raise Open311Error(400, _("This location is outside the area this api_key serves."))
        return community, lat, lng, address
    if not address:
        raise Open311Error(400, _("A location is required: lat and long, or address_string."))
    under = Division.objects.filter(path__startswith=key.division.path, level=Division.Level.COMMUNITY)
    named = [d for d in under if d.name and d.name in address]
    if len(named) == 1:
        return named[0], None, None, address
    if key.division.level == Division.Level.COMMUNITY:
        return key.division, None, None, address
    raise Open311Error(400, _("Cannot tell the community from address_string: send lat and long."))


# Views --------------------------------------------------------------------------------------------

@endpoint("GET")
def discovery(request, fmt):
    """GeoReport v2 service discovery (wiki.open311.org/Service_discovery): where the endpoint is."""
    changeset = "2026-12-01T00:00:00+08:00"
    row = {"changeset": changeset, "contact": _("Write to the county's community office."),
           "key_service": _("Ask the county's community office for an api_key."),
           "endpoints": [{"specification": "http://wiki.open311.org/GeoReport_v2",
                          "url": request.build_absolute_uri(reverse("open311:services", kwargs={"fmt": "json"})
                                                            ).rsplit("services.json", 1)[0],
                          "changeset": changeset, "type": "production",
                          "formats": ["application/json", "text/xml"]}]}
    if fmt == "xml":
        top = ET.Element("discovery")
        for k in ("changeset", "contact", "key_service"):
            ET.SubElement(top, k).text = row[k]
        endpoints = ET.SubElement(top, "endpoints")
        for e in row["endpoints"]:
            el = ET.SubElement(endpoints, "endpoint")
            for k in ("specification", "url", "changeset", "type"):
                ET.SubElement(el, k).text = e[k]
            formats = ET.SubElement(el, "formats")
            for f in e["formats"]:
                ET.SubElement(formats, "format").text = f
        return HttpResponse(b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(top, encoding="utf-8"),
                            content_type="text/xml; charset=utf-8")
    return JsonResponse(row, json_dumps_params={"ensure_ascii": False})


@endpoint("GET")
def service_list(request, fmt):
    rows = [_service_row(s) for s in ServiceItem.objects.filter(open311=True, active=True).order_by("order")]
    return _render(fmt, rows, "services", "service")


@endpoint("GET")
def service_definition(request, code, fmt):
    service = ServiceItem.objects.filter(code=code, open311=True, active=True).first()
    if service is None:
        raise Open311Error(404, _("service_code %(c)s was not found.") % {"c": code[:40]})
    attrs = [{"variable": True, "code": a.get("code", ""), "datatype": a.get("datatype", "string"),
              "required": bool(a.get("required")), "datatype_description": a.get("datatype_description", ""),
              "order": a.get("order", i), "description": a.get("description", ""),
              "values": [{"key": str(v.get("key")), "name": v.get("name", "")} for v in a.get("values", [])]}
             for i, a in enumerate(service.attributes or [], start=1)]
    if fmt == "xml":
        return _definition_xml(service.code, attrs)
    return JsonResponse({"service_code": service.code, "attributes": attrs}, json_dumps_params={"ensure_ascii": False})


def _definition_xml(code, attrs):
    top = ET.Element("service_definition")
    ET.SubElement(top, "service_code").text = code
    _xml_value(top, "attributes", attrs)
    body = b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(top, encoding="utf-8")
    return HttpResponse(body, content_type="text/xml; charset=utf-8")


@endpoint("GET", "POST")
def requests(request, fmt):
    if request.method == "POST":
        return _create(request, fmt)
    params = request.GET
    qs = _public_cases()
    if params.get("service_request_id"):
        ids = [i.strip() for i in params["service_request_id"].split(",") if i.strip()]
        if not all(i.isdigit() and len(i) < 12 for i in ids):
            raise Open311Error(400, _("service_request_id must be a comma-separated list of ids."))
        qs = qs.filter(pk__in=[int(i) for i in ids])
    else:
        start, end = _window(params)
        qs = qs.filter(created_at__gte=start, created_at__lte=end)
        if params.get("service_code"):
            qs = qs.filter(service__code__in=[c.strip() for c in params["service_code"].split(",")])
        if params.get("status"):
            wanted = {s.strip() for s in params["status"].split(",") if s.strip()}
            if not wanted <= {"open", "closed"}:
                raise Open311Error(400, _("status is open, closed or both."))
            if wanted == {"open"}:
                qs = qs.exclude(status=Case.Status.CLOSED)
            elif wanted == {"closed"}:
                qs = qs.filter(status=Case.Status.CLOSED)
    cases = list(qs.order_by("-created_at", "-pk")[:LIMIT])
    notes = _latest_replies(cases)
    return _render(fmt, [_request_row(c, notes) for c in cases], "service_requests", "request")


def _create(request, fmt):
    params = request.POST
    key = _api_key(params)
    code = (params.get("service_code") or "").strip()
    if not code:
        raise Open311Error(400, _("service_code was not provided."))
    service = ServiceItem.objects.filter(code=code[:40], open311=True, active=True).first()
    if service is None:
        raise Open311Error(404, _("service_code %(c)s was not found.") % {"c": code[:40]})
    description = params.get("description", "")
    if len(description) > 4000:
        raise Open311Error(400, _("description may have at most 4,000 characters."))
    community, lat, lng, address = _place(params, key)
    name = " ".join(x for x in (params.get("first_name", "").strip(), params.get("last_name", "").strip()) if x)
    try:
        with transaction.atomic():
            case = services.case_create(
                by=key.owner, kind=service.kind, service=service, division=community, description=description,
                lat=lat, lng=lng, address=address, attributes=_attributes(params), api_key=key,
                contact_name=name, contact_phone=params.get("phone", "").strip(),
                media_url=params.get("media_url", "").strip() if params.get("media_url", "").startswith(
                    ("http://", "https://")) else "")
    except ValidationError as e:
        raise Open311Error(400, " ".join(e.messages)) from None
    except PermissionDenied as e:
        raise Open311Error(403, str(e)) from None
    ApiKey.objects.filter(pk=key.pk).update(last_used_at=timezone.now())
    row = {"service_request_id": str(case.pk), "token": case.token, "service_notice": "",
           "account_id": params.get("account_id", "")[:60]}
    return _render(fmt, [row], "service_requests", "request", status=201)


@endpoint("GET")
def request_detail(request, rid, fmt):
    case = _public_cases().filter(pk=int(rid)).first() if rid.isdigit() and len(rid) < 12 else None
    if case is None:
        raise Open311Error(404, _("service_request_id %(i)s was not found.") % {"i": rid[:20]})
    return _render(fmt, [_request_row(case, _latest_replies([case]))], "service_requests", "request")


@endpoint("GET")
def token_detail(request, token, fmt):
    case = _public_cases().filter(token=token[:24]).first()
    if case is None:
        raise Open311Error(404, _("token %(t)s was not found.") % {"t": token[:24]})
    return _render(fmt, [{"service_request_id": str(case.pk), "token": case.token}], "service_requests", "request")


def fms_status(event: CaseEvent, case: Case) -> str:
    """The FixMyStreet-style detailed status of one history line."""
    fixed = {"duplicate": "duplicate", "escalate": "internal_referral", "complete": "fixed", "accept": "in_progress",
             "dispatch": "action_scheduled", "create": "open", "reopen": "open", "rate": "closed",
             "withdraw": "closed"}
    if event.action in fixed:
        return fixed[event.action]
    if event.action == "close":
        return "no_further_action" if case.resolution == Case.Resolution.UNRESOLVED else "closed"
    return {Case.Status.NEW: "open", Case.Status.DISPATCHED: "action_scheduled", Case.Status.IN_PROGRESS:
            "in_progress", Case.Status.DONE: "fixed", Case.Status.ESCALATED: "internal_referral"}.get(
        event.to_status, "closed")


@endpoint("GET")
def request_updates(request, fmt):
    start, end = _window(request.GET)
    events = CaseEvent.objects.filter(public=True, at__gte=start, at__lte=end, case__in=_public_cases()).select_related(
        "case", "case__service").order_by("at", "pk")[:LIMIT]
    rows = []
    for ev in events:
        said = ev.action in ("reply", "close", "escalate") or (ev.action == "complete" and ev.case.kind == Kind.CONCERN)
        rows.append({"update_id": str(ev.pk), "service_request_id": str(ev.case_id), "status": fms_status(ev, ev.case),
                     "updated_datetime": _iso(ev.at), "description": scrub(ev.note) if said and ev.case.channel not in STAFF_WORDS else "",
                     "media_url": "", "external_status_code": ev.to_status})
    return _render(fmt, rows, "service_request_updates", "request_update")
