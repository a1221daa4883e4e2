"""Pages for cases. Thin: cases come through selectors (out of scope = 404), writes through services."""


from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from linli.cases import forms as f
from linli.cases import selectors, services
from linli.cases.models import Attachment, Case, Kind, NightTalk, ServiceItem
from linli.core import rollups
from linli.core.audit import audit_access
from linli.core.forms import apply_errors
from linli.core.paging import page_of
from linli.divisions.models import Division
from linli.jobs.views import export_view

S = Case.Status


def _case(request, pk) -> Case:
    return get_object_or_404(selectors.case_detail(user=request.user), pk=pk)


def _staff_only(request):
    if not selectors.is_staff(request.user):
        raise PermissionDenied


# Residents ----------------------------------------------------------------------------------------

@login_required
def home(request):
    """My cases, with the two big buttons; staff and volunteers also see where their work is."""
    mine = selectors.my_cases(user=request.user)[:30]
    return render(request, "cases/home.html", {
        "cases": mine, "is_staff": selectors.is_staff(request.user),
        "offers": selectors.offers(user=request.user).count()})


@login_required
def new(request, kind):
    """A resident orders a service or raises a concern: choose, (say a word,) send — three taps."""
    if kind not in (Kind.ORDER, Kind.CONCERN):
        raise PermissionDenied
    form = f.ResidentCaseForm(request.POST or None, request.FILES or None, kind=kind)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            case = services.case_create(by=request.user, kind=kind, service=d["service"],
                                        description=d["description"], address=d["address"],
                                        files=[d["photo"]] if d.get("photo") else [])
        except ValidationError as e:
            apply_errors(form, e, rename={"file": "photo"})
        else:
            messages.success(request, _("Sent. The community will get back to you; follow its progress here."))
            return redirect("cases:detail", pk=case.pk)
    title = _("Order a service") if kind == Kind.ORDER else _("Raise a concern")
    return render(request, "cases/new.html", {"form": form, "title": title, "kind": kind},
                  status=400 if form.errors else 200)


# Staff intake -------------------------------------------------------------------------------------

@login_required
def take(request, kind):
    """Staff take an order or concern for a resident, or a dispute for mediation."""
    _staff_only(request)
    if kind == Kind.DISPUTE:
        form = f.DisputeForm(request.POST or None, user=request.user)
        title = _("New dispute for mediation")
    elif kind in (Kind.ORDER, Kind.CONCERN):
        form = f.StaffCaseForm(request.POST or None, user=request.user, kind=kind)
        title = _("Take an order for a resident") if kind == Kind.ORDER else _("Take a concern for a resident")
    else:
        raise PermissionDenied
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            if kind == Kind.DISPUTE:
                case = services.case_create(by=request.user, kind=kind, service=d["service"], division=d["division"],
                                            description=d["description"], priority=d["priority"],
                                            parties=form.parties(), contact_name=d["applicant"],
                                            contact_phone=d["applicant_phone"])
            else:
                case = services.case_create(by=request.user, kind=kind, service=d["service"], division=d["division"],
                                            description=d["description"], priority=d["priority"],
                                            contact_name=d["contact_name"], contact_phone=d["contact_phone"],
                                            address=d["address"])
        except ValidationError as e:
            apply_errors(form, e)
        else:
            messages.success(request, _("Received as %(n)s.") % {"n": case.number})
            return redirect("cases:detail", pk=case.pk)
    return render(request, "cases/new.html", {"form": form, "title": title, "kind": kind, "staff": True},
                  status=400 if form.errors else 200)


@login_required
def inbox(request):
    """The staff inbox: filters, overdue first, and a one-tap dispatch on new orders."""
    _staff_only(request)
    query = request.GET.copy()
    query.setdefault("status", "open")  # open cases unless asked otherwise, on every page of the list
    filters = f.InboxFilterForm(query, user=request.user)
    d = filters.cleaned_data if filters.is_valid() else {"status": "open"}
    qs = selectors.case_list(user=request.user, kind=d.get("kind") or "", status=d.get("status") or "",
                             division=d.get("division"), overdue=bool(d.get("overdue")),
                             q=(d.get("q") or "").strip())
    page = page_of(request, qs)
    from linli.volunteers.models import Team

    return render(request, "cases/inbox.html", {"page": page, "filters": filters, "teams": list(Team.objects.all()),
                                                "now": timezone.now()})


@login_required
def offers(request):
    """A volunteer's orders: offered to them or their team; accept or decline, then report."""
    page = page_of(request, selectors.offers(user=request.user))
    return render(request, "cases/offers.html", {"cases": page, "page": page})


# One case -----------------------------------------------------------------------------------------

def _action_forms(request, case, bound=None) -> list[tuple[str, str, object]]:
    """(action, label, form) for each action this user may take on the case now."""
    user = request.user
    staff = services.is_staff_for(user, case)
    worker = case.kind == Kind.ORDER and services.is_worker_for(user, case)
    requester = services.is_requester(user, case)
    legal = {a for a in services.TRANSITIONS if services.target_status(case, a)}
    out = []

    def add(action, label, form):
        if bound is not None and bound[0] == action:
            form = bound[1]
        out.append((action, label, form))

    if worker and not staff and "accept" in legal:
        add("accept", _("Accept"), None)
        add("decline", _("Decline"), f.ReasonForm())
    if staff and "accept" in legal and case.organization_id:
        add("accept", _("Accept for the organization"), None)
    if worker and "complete" in legal:
        add("complete", _("Report as done"), f.CompleteForm())
    if requester and "rate" in legal:
        add("rate", _("Rate"), f.RateForm())
    if staff:
        if "dispatch" in legal:
            add("dispatch", _("Dispatch") if case.kind == Kind.ORDER else _("Assign a handler"),
                f.DispatchForm(case=case, user=user))
        if "close" in legal and (case.status != S.ESCALATED or services.is_county_for(user, case)):
            add("close", _("Close with an answer") if case.kind != Kind.DISPUTE else _("Record the outcome"),
                f.CloseForm(case=case))
        if case.kind == Kind.DISPUTE and case.status in (S.IN_PROGRESS, S.ESCALATED):
            add("session", _("Record a mediation session"), f.SessionForm())
        if "escalate" in legal:
            add("escalate", _("Escalate to the county"), f.ReasonForm())
        if "reassign" in legal:
            add("reassign", _("Reassign"), f.ReassignForm(case=case, user=user))
        if "cancel_dispatch" in legal:
            add("cancel_dispatch", _("Cancel the dispatch"), f.ReasonForm())
        if "duplicate" in legal:
            add("duplicate", _("Mark as a duplicate"), f.DuplicateForm())
        if "reopen" in legal:
            add("reopen", _("Reopen"), f.ReasonForm())
        if case.status == S.CLOSED and case.followed_up_at is None:
            add("follow_up", _("Record the follow-up visit"), f.FollowUpForm())
        add("note", _("Note or reply"), f.NoteForm())
    if (requester or staff) and "withdraw" in legal:
        add("withdraw", _("Withdraw"), f.OptionalReasonForm())
    if case.is_open and (requester or staff or worker):
        add("attach", _("Add a photo or PDF"), f.AttachForm())
    return out


def _detail(request, case, bound=None, status=200):
    staff = services.is_staff_for(request.user, case)
    if staff and case.kind == Kind.DISPUTE:
        # The parties' names and phones are personal data: every view is logged.
        audit_access(request=request, action="view", model="cases.Case", object_ids=[case.pk], fields=["parties"])
    events = case.events.select_related("by").order_by("at", "pk")
    if not staff:
        events = events.filter(public=True)
    doorstep = selectors.doorstep_for(user=request.user, case=case)
    if doorstep:
        audit_access(request=request, action="view", model="cases.Case", object_ids=[case.pk],
                     fields=["address", "contact_phone"])
    events = list(events)
    for e in events:
        e.label = EVENT_LABELS.get(e.action) or services.ACTION_LABELS.get(e.action, e.action)
    return render(request, "cases/detail.html", {
        "case": case, "events": events, "staff": staff, "actions": _action_forms(request, case, bound),
        "doorstep": doorstep,
        "attachments": case.attachments.all(), "parties": case.parties.all() if staff else [],
        "sessions": case.sessions.select_related("mediator") if staff else [],
        "overdue": case.is_overdue}, status=status)


@login_required
def detail(request, pk):
    return _detail(request, _case(request, pk))


def _original(request, n):
    return get_object_or_404(selectors.case_detail(user=request.user), pk=n)


# action → (form factory, service call)
ACTIONS = {
    "dispatch": (lambda r, c, d=None, fs=None: f.DispatchForm(d, case=c, user=r.user),
                 lambda r, c, d: services.case_dispatch(case=c, by=r.user, team=d.get("team"),
                                                        volunteer=d.get("volunteer"), note=d.get("note", ""),
                                                        organization=d.get("organization"),
                                                        assignee=d.get("assignee"))),
    "accept": (None, lambda r, c, d: services.case_accept(case=c, by=r.user)),
    "decline": (lambda r, c, d=None, fs=None: f.ReasonForm(d),
                lambda r, c, d: services.case_decline(case=c, by=r.user, reason=d["reason"])),
    "reassign": (lambda r, c, d=None, fs=None: f.ReassignForm(d, case=c, user=r.user),
                 lambda r, c, d: services.case_reassign(case=c, by=r.user, reason=d["reason"], team=d.get("team"),
                                                        volunteer=d.get("volunteer"),
                                                        organization=d.get("organization"),
                                                        assignee=d.get("assignee"))),
    "cancel_dispatch": (lambda r, c, d=None, fs=None: f.ReasonForm(d),
                        lambda r, c, d: services.case_cancel_dispatch(case=c, by=r.user, reason=d["reason"])),
    "complete": (lambda r, c, d=None, fs=None: f.CompleteForm(d, fs),
                 lambda r, c, d: services.case_complete(case=c, by=r.user, report=d["report"], hours=d.get("hours"),
                                                        files=[d["photo"]] if d.get("photo") else [])),
    "rate": (lambda r, c, d=None, fs=None: f.RateForm(d),
             lambda r, c, d: services.case_rate(case=c, by=r.user, rating=d["rating"], comment=d["comment"])),
    "escalate": (lambda r, c, d=None, fs=None: f.ReasonForm(d),
                 lambda r, c, d: services.case_escalate(case=c, by=r.user, reason=d["reason"])),
    "close": (lambda r, c, d=None, fs=None: f.CloseForm(d, case=c),
              lambda r, c, d: services.case_close(case=c, by=r.user, answer=d["answer"], resolution=d["resolution"],
                                                  agreement_terms=d.get("agreement_terms", ""),
                                                  performance=d.get("performance", ""),
                                                  referred_to=d.get("referred_to", ""))),
    "withdraw": (lambda r, c, d=None, fs=None: f.OptionalReasonForm(d),
                 lambda r, c, d: services.case_withdraw(case=c, by=r.user, reason=d["reason"])),
    "duplicate": (lambda r, c, d=None, fs=None: f.DuplicateForm(d),
                  lambda r, c, d: services.case_mark_duplicate(case=c, by=r.user,
                                                               original=_original(r, d["original"]))),
    "reopen": (lambda r, c, d=None, fs=None: f.ReasonForm(d),
               lambda r, c, d: services.case_reopen(case=c, by=r.user, reason=d["reason"])),
    "note": (lambda r, c, d=None, fs=None: f.NoteForm(d),
             lambda r, c, d: services.case_note(case=c, by=r.user, text=d["text"], public=d["public"])),
    "session": (lambda r, c, d=None, fs=None: f.SessionForm(d),
                lambda r, c, d: services.mediation_session_add(case=c, by=r.user, held_at=d["held_at"],
                                                               place=d["place"], record=d["record"])),
    "follow_up": (lambda r, c, d=None, fs=None: f.FollowUpForm(d),
                  lambda r, c, d: services.case_follow_up(case=c, by=r.user, note=d["note"])),
    "attach": (lambda r, c, d=None, fs=None: f.AttachForm(d, fs),
               lambda r, c, d: services.case_attach(case=c, by=r.user, files=[d["file"]])),
}
RENAME = {"file": "photo", "text": "text", "original": "original"}

# A timeline line whose status did not change says what happened.
EVENT_LABELS = {
    "session": gettext_lazy("Mediation session"), "follow_up": gettext_lazy("Follow-up visit"),
    "attach": gettext_lazy("File attached"), "rate": gettext_lazy("Rated"), "decline": gettext_lazy("Declined"),
    "reassign": gettext_lazy("Reassigned"), "accept": gettext_lazy("Accepted"), "dispatch": gettext_lazy("Dispatched"),
}

# What the flash message says once an action went through: what was done, not "done".
DONE = {
    "dispatch": gettext_lazy("Dispatched: the handler has been told."),
    "accept": gettext_lazy("Accepted: the order is yours now."),
    "decline": gettext_lazy("Declined: the staff will dispatch it again."),
    "reassign": gettext_lazy("Reassigned."),
    "cancel_dispatch": gettext_lazy("Dispatch cancelled: the order is back in the inbox."),
    "complete": gettext_lazy("Reported as done: the resident is asked to rate it."),
    "rate": gettext_lazy("Thank you for your rating."),
    "escalate": gettext_lazy("Escalated to the county."),
    "close": gettext_lazy("Closed, with the answer sent to the resident."),
    "withdraw": gettext_lazy("Withdrawn."),
    "duplicate": gettext_lazy("Marked as a duplicate and closed."),
    "reopen": gettext_lazy("Reopened."),
    "note": gettext_lazy("Note added."),
    "session": gettext_lazy("Mediation session recorded."),
    "follow_up": gettext_lazy("Follow-up visit recorded."),
    "attach": gettext_lazy("File attached."),
}


@login_required
@require_POST
def act(request, pk, action):
    """One action on one case; on an error the page comes back with the form as typed."""
    case = _case(request, pk)
    if action not in ACTIONS:
        raise PermissionDenied
    make_form, call = ACTIONS[action]
    form = make_form(request, case, request.POST, request.FILES) if make_form else None
    if form is None or form.is_valid():
        try:
            call(request, case, form.cleaned_data if form else {})
        except ValidationError as e:
            if form is None:
                messages.error(request, " ".join(e.messages))
                return redirect("cases:detail", pk=case.pk)
            apply_errors(form, e, rename={"file": "photo" if "photo" in form.fields else "file"})
        else:
            messages.success(request, DONE[action])
            if request.POST.get("next") == "inbox":
                return redirect("cases:inbox")
            return redirect("cases:detail", pk=case.pk)
    return _detail(request, _case(request, pk), bound=(action, form),
                   status=400)


@login_required
def attachment(request, pk, att):
    case = _case(request, pk)
    a = get_object_or_404(Attachment, pk=att, case=case)
    return FileResponse(a.file.open("rb"), content_type=a.content_type, as_attachment=not a.is_image,
                        filename=a.name)


# Night talks --------------------------------------------------------------------------------------

@login_required
def night_talks(request):
    _staff_only(request)
    from django.db.models import Count, Q

    talks = NightTalk.objects.visible_to(request.user).select_related("division").annotate(
        raised=Count("opinions"), answered=Count("opinions", filter=Q(opinions__status=S.CLOSED)))[:50]
    return render(request, "cases/night_talks.html", {"talks": talks})


@login_required
def night_talk_new(request):
    _staff_only(request)
    form = f.NightTalkForm(request.POST or None, user=request.user,
                           initial={"occurrence": request.GET.get("occurrence", "")})
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            talk = services.night_talk_record(
                by=request.user, occurrence=d["occurrence"], attendees=d["attendees"], minutes=d["minutes"],
                opinions=[(d["category"], line) for line in form.opinion_lines()])
        except ValidationError as e:
            apply_errors(form, e)
        else:
            messages.success(request, _("Recorded, with %(n)d opinions to follow up.") % {"n": talk.opinions.count()})
            return redirect("cases:night_talk", pk=talk.pk)
    return render(request, "cases/new.html", {"form": form, "title": _("Record a city night talk")},
                  status=400 if form.errors else 200)


@login_required
def night_talk(request, pk):
    talk = get_object_or_404(NightTalk.objects.visible_to(request.user).select_related("division"), pk=pk)
    return render(request, "cases/night_talk.html", {
        "talk": talk, "opinions": talk.opinions.select_related("service", "assignee").order_by("pk")})


# Public board -------------------------------------------------------------------------------------

def board_index(request):
    communities = Division.objects.filter(level=Division.Level.COMMUNITY).order_by("path")
    return render(request, "cases/board_index.html", {"communities": communities})


def board(request, division_id):
    """"You said, we did" for one community: anonymised, no login."""
    division = get_object_or_404(Division, pk=division_id, level=Division.Level.COMMUNITY)
    return render(request, "cases/board.html", {"division": division, **selectors.board(division=division)})


# Figures and the mediation ledger -----------------------------------------------------------------

@login_required
def figures(request):
    _staff_only(request)
    # From the rollups (core.rollups): the page's cost does not grow with the number of cases.
    total, as_of = rollups.section("cases", request.user)
    top, _ = rollups.section("cases.top_categories", request.user)
    rows, rows_as_of = rollups.section_by_division("cases", request.user, selectors.communities_for(request.user))
    return render(request, "cases/figures.html", {
        "total": total, "rows": [{"division": d, **f} for d, f in rows], "top": top,
        "kinds": dict(Kind.choices), "as_of": min((a for a in (as_of, rows_as_of) if a), default=None)})


@login_required
def ledger(request):
    """The people's mediation ledger (人民调解台账) as .xlsx, built by a job (linli.cases.exports); the
    download is audited (it names the parties)."""
    if not selectors.can_see_ledger(request.user):
        raise PermissionDenied
    form = f.LedgerForm(request.GET or None, user=request.user)
    d = form.cleaned_data if form.is_valid() else {}
    year = d.get("year") or timezone.localdate().year
    return export_view(request, builder="linli.cases.exports.mediation_ledger",
                       title=_("People's mediation ledger %(year)s") % {"year": year},
                       params={"query": request.GET.dict()}, division=d.get("division"))


def services_page(request):
    """The service catalogue (public): what residents can order."""
    items = ServiceItem.objects.filter(active=True, kind=Kind.ORDER).select_related("delivery").order_by("order")
    return render(request, "cases/catalogue.html", {"items": items})


# From a grid worker's visit -------------------------------------------------------------------------

@login_required
@require_POST
def from_visit(request, visit_pk):
    """Raise a concern from the needs a visit recorded (one tap on the visit page; nothing retyped)."""
    from linli.grids.models import Visit

    visit = get_object_or_404(Visit.objects.visible_to(request.user), pk=visit_pk)
    service = ServiceItem.objects.filter(pk=request.POST.get("service") or 0).first()
    try:
        case = services.case_from_visit(visit=visit, by=request.user, service=service)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect(request.POST.get("next") or "grids:home")
    messages.success(request, _("Case %(number)s raised from the visit.") % {"number": case.number})
    return redirect("cases:detail", case.pk)
