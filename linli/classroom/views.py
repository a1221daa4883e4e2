"""Pages for the four-thirty classroom. Thin: reads through selectors (out of scope = 404), writes
through services; every page that shows a child's data writes an access-log row."""


import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from linli.core import rollups
from linli.core.audit import audit_access
from linli.core.forms import apply_errors
from linli.core.models import AccessLog
from linli.core.paging import page_of
from linli.jobs.views import export_start
from linli.people.models import Person
from linli.places.models import Site

from . import exports, selectors, services
from .forms import NEW_CHILD, BackgroundCheckForm, EnrollForm, PickupForm, ProgramForm
from .models import Attendance, Enrollment, PickupPerson, Program, RosterEntry, Session

A = AccessLog.Action
ENROLLMENT = "classroom.Enrollment"


def _error_text(exc: ValidationError) -> str:
    return " ".join(exc.messages)


def _qr_svg(url: str) -> str:
    return segno.make(url, error="m").svg_inline(scale=5, dark="#1f2328", omitsize=True)


def _back(request, fallback: str):
    nxt = request.POST.get("next", "")
    return redirect(nxt if nxt.startswith("/classroom/") else fallback)


# Home ---------------------------------------------------------------------------------------------

HOME_TODAY = 6  # today's sessions on the classroom home; the rest on "Today's roster"

@login_required
def home(request):
    """One page, blocks by role: a guardian's children, a tutor's sessions today, staff figures."""
    user = request.user
    staff = selectors.is_staff(user)
    context = {
        "mine": list(selectors.my_enrollments(user=user)),
        # The first few of today's sessions; all of them a page at a time on "Today's roster".
        "today": list(selectors.today_sessions(user=user)[:HOME_TODAY + 1]) if selectors.is_desk(user) else [],
        "is_staff": staff,
        "volunteer": selectors.volunteer_of(user),
    }
    if staff:
        figures, as_of = rollups.section("classroom", user)
        by_site, _ = rollups.section("classroom.by_site", user)
        context.update({
            "figures": figures, "as_of": as_of,
            "by_site": selectors.figures_by_site_from(by_site),
            "open_alerts": selectors.late_alerts(user=user, open_only=True)[:10],
            # The badge counts every open alert and unreviewed refused release, not the first ten.
            "alert_count": selectors.late_alerts(user=user, open_only=True).count()
            + selectors.release_attempts(user=user).filter(reviewed_at__isnull=True).count(),
            "attempts": selectors.release_attempts(user=user).filter(reviewed_at__isnull=True)[:10],
            "short": list(selectors.understaffed_sessions(user=user)[:20]),
        })
    context["today_more"] = len(context["today"]) > HOME_TODAY
    context["today"] = context["today"][:HOME_TODAY]
    if context["mine"]:
        audit_access(request=request, action=A.LIST, model=ENROLLMENT, object_ids=[e.pk for e in context["mine"]],
                     fields=["child_name", "status"])
    return render(request, "classroom/home.html", context)


# Programs -----------------------------------------------------------------------------------------

@login_required
def program_list(request):
    q = request.GET.get("q", "").strip()[:60]
    programs = page_of(request, selectors.program_list(user=request.user, q=q))
    return render(request, "classroom/program_list.html", {
        "programs": programs, "page": programs, "q": q, "can_create": selectors.ledger_sites(user=request.user).exists()
        or selectors.is_staff(request.user)})


@login_required
def program_create(request):
    sites = Site.objects.visible_to(request.user, roles=services.STAFF_ROLES)
    if not sites.exists():
        raise Http404
    form = ProgramForm(request.POST or None, sites=sites)
    if request.method == "POST" and form.is_valid():
        try:
            program = services.program_create(by=request.user, **form.cleaned_data)
            services.sessions_generate(program=program, by=request.user)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Program created and its sessions planned."))
            return redirect("classroom:program_detail", pk=program.pk)
    return render(request, "classroom/form.html", {"form": form, "title": _("New classroom program")})


@login_required
def program_detail(request, pk):
    try:
        program = selectors.program_get(user=request.user, pk=pk)
    except Program.DoesNotExist:
        raise Http404 from None
    can_run = services.can_run(request.user, program.site)
    volunteer = selectors.volunteer_of(request.user)
    sessions = selectors.sessions_ahead(program=program)
    mine = set(RosterEntry.objects.filter(session__in=sessions, volunteer=volunteer).values_list("session_id", flat=True)) \
        if volunteer else set()
    for s in sessions:
        s.mine = s.pk in mine
    enrollments = list(selectors.program_enrollments(program=program)) if can_run else []
    if enrollments:
        audit_access(request=request, action=A.LIST, model=ENROLLMENT, object_ids=[e.pk for e in enrollments],
                     fields=["child_name", "grade", "status"])
    return render(request, "classroom/program_detail.html", {
        "program": program, "sessions": sessions, "can_run": can_run, "volunteer": volunteer,
        "enrollments": enrollments,
        "my_children": Enrollment.objects.filter(program=program, guardian_user=request.user,
                                                 status__in=Enrollment.OPEN)})


@login_required
@require_POST
def program_plan(request, pk):
    program = get_object_or_404(Program.objects.visible_to(request.user), pk=pk)
    try:
        n = services.sessions_generate(program=program, by=request.user)
    except PermissionDenied:
        raise Http404 from None
    messages.success(request, _("%(n)s sessions planned.") % {"n": n})
    return redirect("classroom:program_detail", pk=pk)


@login_required
def enroll(request, pk):
    """A guardian enrols a child on the phone: which child, school and grade, allergies, who else may
    collect the child, whether the child may leave alone, and consent."""
    try:
        program = selectors.program_get(user=request.user, pk=pk)
    except Program.DoesNotExist:
        raise Http404 from None
    children = selectors.household_children(user=request.user, program=program)
    form = EnrollForm(request.POST or None, children=children)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        child = None
        if d["child"] != NEW_CHILD:
            child = next((c for c in children if str(c.pk) == d["child"]), None)
        try:
            enrollment = services.enrollment_create(
                program=program, by=request.user, consent=d["consent"], child=child, child_name=d["child_name"],
                birth_date=d["birth_date"], sex=d["sex"], school=d["school"], grade=d["grade"],
                medical_notes=d["medical_notes"], may_leave_alone=d["may_leave_alone"], pickups=form.pickups())
        except ValidationError as exc:
            apply_errors(form, exc)
        except PermissionDenied:
            raise Http404 from None
        else:
            if enrollment.status == Enrollment.Status.ACTIVE:
                messages.success(request, _("%(child)s is enrolled.") % {"child": enrollment.child_name})
            else:
                messages.warning(request, _("The program is full: %(child)s is on the waiting list and will get "
                                            "the next free place.") % {"child": enrollment.child_name})
            return redirect("classroom:enrollment_detail", pk=enrollment.pk)
    return render(request, "classroom/enroll.html", {"form": form, "program": program, "children": children,
                                                     "has_person": Person.objects.filter(user=request.user).exists()})


# A child's page (guardian and staff) --------------------------------------------------------------

def _enrollment(request, pk) -> Enrollment:
    try:
        return selectors.enrollment_get(user=request.user, pk=pk)
    except Enrollment.DoesNotExist:
        raise Http404 from None


@login_required
def enrollment_detail(request, pk):
    enrollment = _enrollment(request, pk)
    is_guardian = enrollment.guardian_user_id == request.user.pk
    pickups = list(enrollment.pickups.filter(active=True))
    for p in pickups:
        p.qr = _qr_svg(request.build_absolute_uri(reverse("classroom:pickup", args=[p.token]))) if is_guardian else ""
    visits = list(selectors.enrollment_visits(enrollment=enrollment))
    audit_access(request=request, action=A.VIEW, model=ENROLLMENT, object_ids=[enrollment.pk],
                 fields=selectors.ENROLLMENT_FIELDS)
    return render(request, "classroom/enrollment_detail.html", {
        "e": enrollment, "pickups": pickups, "visits": visits, "is_guardian": is_guardian,
        "pickup_form": PickupForm(), "notifications": enrollment.notifications.filter(user=request.user)[:10],
        "can_run": services.can_run(request.user, enrollment.program.site)})


@login_required
@require_POST
def enrollment_action(request, pk):
    enrollment = _enrollment(request, pk)
    action = request.POST.get("action")
    try:
        if action == "pickup_add":
            form = PickupForm(request.POST)
            if not form.is_valid():
                raise ValidationError(form.errors.as_data())
            services.pickup_add(enrollment=enrollment, by=request.user, **form.cleaned_data)
            messages.success(request, _("Added to the pick-up list."))
        elif action == "pickup_withdraw":
            pickup = get_object_or_404(enrollment.pickups, pk=request.POST.get("pickup"))
            services.pickup_withdraw(pickup=pickup, by=request.user)
            messages.success(request, _("Taken off the pick-up list; their code no longer works."))
        elif action in ("self_release_on", "self_release_off"):
            services.self_release_set(enrollment=enrollment, by=request.user, allowed=action == "self_release_on")
            messages.success(request, _("Saved."))
        elif action == "leave":
            services.enrollment_leave(enrollment=enrollment, by=request.user)
            messages.success(request, _("%(child)s has left the program.") % {"child": enrollment.child_name})
        else:
            raise Http404
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
    except PermissionDenied as exc:
        messages.error(request, str(exc))
    return redirect("classroom:enrollment_detail", pk=pk)


# The tutor's phone: today, a session's roster, self-study, QR pick-up -----------------------------

@login_required
def today(request):
    page = page_of(request, selectors.today_sessions(user=request.user), per_page=20)
    return render(request, "classroom/today.html", {"sessions": page.object_list, "page": page,
                                                    "sites": selectors.desk_sites(user=request.user)})


def _session(request, pk) -> Session:
    return get_object_or_404(selectors.visible_sessions(user=request.user), pk=pk)


def _release_kwargs(request, enrollment) -> dict:
    pickup_id = request.POST.get("pickup", "")
    pickup = PickupPerson.objects.filter(pk=pickup_id).first() if pickup_id.isdigit() else None
    return {"pickup": pickup, "phone_last4": request.POST.get("phone_last4", ""),
            "self_release": request.POST.get("self_release") == "1",
            "claimed_name": request.POST.get("claimed_name", "")[:50]}


def _desk_post(request, enrollment, *, session=None, site=None):
    """Check in, release or note for one child; errors shown as messages (the page is a list)."""
    action = request.POST.get("action")
    card = _card(enrollment)
    try:
        if action == "check_in" and session is not None:
            services.child_check_in(session=session, enrollment=enrollment, by=request.user)
            messages.success(request, extra_tags=card, message=_("%(child)s checked in.") % {"child": enrollment.child_name})
        elif action == "check_in":
            services.self_study_check_in(site=site, enrollment=enrollment, by=request.user)
            messages.success(request, extra_tags=card, message=_("%(child)s checked in for self-study.") % {"child": enrollment.child_name})
        elif action == "release":
            visit = services.child_release(enrollment=enrollment, by=request.user, **_release_kwargs(request, enrollment))
            who = visit.released_to.name if visit.released_to else _("alone")
            messages.success(request, extra_tags=card, message=_("%(child)s released to %(who)s.") % {"child": enrollment.child_name, "who": who})
        elif action == "note":
            visit = get_object_or_404(Attendance, enrollment=enrollment, pk=request.POST.get("visit"))
            services.attendance_note(visit=visit, by=request.user, note=request.POST.get("note", ""))
            messages.success(request, extra_tags=card, message=_("Note saved for the guardian."))
        else:
            raise Http404
    except ValidationError as exc:
        text = _error_text(exc)
        if action == "release":
            text = f"{text} {_guardians_to_call(request, enrollment)}"
        messages.error(request, extra_tags=card, message=text)
    except PermissionDenied as exc:
        messages.error(request, extra_tags=card, message=str(exc))


def _card(enrollment) -> str:
    """The message of a desk action is shown inside the child's card the page returns to."""
    return f"in-card child-{enrollment.pk}"


def _guardians_to_call(request, enrollment) -> str:
    """A refused pick-up: the tutor must call the guardian now, so the message gives the number in full
    (to the desk only; the view is logged)."""
    guardians = list(enrollment.pickups.filter(active=True, is_guardian=True).order_by("pk"))
    if not guardians:
        return ""
    audit_access(request=request, action=A.VIEW, model="classroom.PickupPerson", object_ids=[g.pk for g in guardians],
                 fields=["name", "phone"])
    return _("Call the guardian: %(who)s.") % {
        "who": "、".join(f"{g.name}（{g.get_relation_display()}）{g.phone}" for g in guardians)}


def _to_child(url: str, enrollment_pk) -> HttpResponseRedirect:
    """Back to the page at the child's card, not at its top."""
    return HttpResponseRedirect(f"{url}#child-{enrollment_pk}")


@login_required
def session_detail(request, pk):
    session = _session(request, pk)
    site = session.program.site
    if request.method == "POST":
        enrollment = get_object_or_404(Enrollment, program=session.program, pk=request.POST.get("enrollment"))
        _desk_post(request, enrollment, session=session)
        return _to_child(reverse("classroom:session_detail", args=[pk]), enrollment.pk)
    rows = selectors.session_roster(session=session)
    q = request.GET.get("q", "").strip()[:20]
    audit_access(request=request, action=A.LIST, model=ENROLLMENT, object_ids=[e.pk for e in rows],
                 fields=selectors.ROSTER_FIELDS)
    tutors = selectors.session_tutors(session=session)
    volunteer = selectors.volunteer_of(request.user)
    return render(request, "classroom/session.html", {
        "session": session, "program": session.program, "rows": rows, "tutors": tutors,
        "my_entry": next((t for t in tutors if volunteer and t.volunteer_id == volunteer.pk), None),
        "can_desk": services.can_desk(request.user, site, session),
        "present": sum(1 for e in rows if e.visit and e.visit.released_at is None),
        "arrived": sum(1 for e in rows if e.visit), "groups": selectors.roster_groups(rows, q=q), "q": q})


@login_required
@require_POST
def session_tutor(request, pk):
    """A tutor signs up, checks in or out (hours go to their volunteer record), or leaves the roster."""
    # Sign-up is open to any volunteer who can see the program (programs are public, like sites).
    session = get_object_or_404(Session.objects.select_related("program__site").filter(
        program__in=Program.objects.visible_to(request.user)), pk=pk)
    volunteer = selectors.volunteer_of(request.user)
    action = request.POST.get("action")
    try:
        if volunteer is None:
            raise ValidationError(_("Only registered volunteers can tutor; join as a volunteer first."))
        entry = RosterEntry.objects.filter(session=session, volunteer=volunteer).first()
        if action == "signup":
            services.roster_add(session=session, volunteer=volunteer, by=request.user)
            messages.success(request, _("You are on the roster."))
        elif entry is None:
            raise Http404
        elif action == "withdraw":
            services.roster_remove(entry=entry, by=request.user)
            messages.success(request, _("You are off the roster."))
        elif action == "check_in":
            services.tutor_check_in(entry=entry, by=request.user)
            messages.success(request, _("Checked in. Thank you for coming!"))
        elif action == "check_out":
            record = services.tutor_check_out(entry=entry, by=request.user)
            messages.success(request, _("Checked out: %(h)s hours sent for confirmation.") % {"h": record.hours})
        else:
            raise Http404
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
    except PermissionDenied as exc:
        messages.error(request, str(exc))
    return _back(request, reverse("classroom:program_detail", args=[session.program_id]))


@login_required
def self_study(request, site_pk):
    site = get_object_or_404(selectors.desk_sites(user=request.user), pk=site_pk)
    if request.method == "POST":
        enrollment = get_object_or_404(Enrollment, program__site=site, pk=request.POST.get("enrollment"))
        _desk_post(request, enrollment, site=site)
        return _to_child(reverse("classroom:self_study", args=[site.pk]), enrollment.pk)
    rows = selectors.site_self_study(site=site)
    q = request.GET.get("q", "").strip()[:20]
    audit_access(request=request, action=A.LIST, model=ENROLLMENT, object_ids=[e.pk for e in rows],
                 fields=selectors.ROSTER_FIELDS)
    return render(request, "classroom/self_study.html", {
        "site": site, "rows": rows, "closes": services.site_closes_at(site, timezone.localdate()),
        "self_study_day": services.is_self_study_day(site, timezone.localdate()),
        "groups": selectors.roster_groups(rows, q=q), "q": q})


@login_required
def pickup(request, token):
    """What the tutor's phone opens when it scans a guardian's pick-up QR code: the child this person
    may collect, and one button to release the child to them."""
    listed = PickupPerson.objects.filter(token=token, active=True).select_related("enrollment__program__site").first()
    visit = None
    if listed is not None:
        visit = Attendance.objects.filter(enrollment=listed.enrollment, released_at__isnull=True).select_related(
            "site", "session").first()
        if visit is not None and not services.can_desk(request.user, visit.site, visit.session):
            raise Http404
        if visit is None and not services.can_desk(request.user, listed.enrollment.program.site):
            raise Http404
    if request.method == "POST":
        enrollment = listed.enrollment if listed else get_object_or_404(
            Enrollment, pk=request.POST.get("enrollment", "0"))
        try:
            services.child_release(enrollment=enrollment, by=request.user, token=token)
        except ValidationError as exc:
            messages.error(request, _error_text(exc))
        except PermissionDenied:
            raise Http404 from None
        else:
            messages.success(request, _("%(child)s released to %(who)s.") % {
                "child": enrollment.child_name, "who": listed.name})
            return redirect("classroom:today")
        return redirect("classroom:pickup", token=token)
    if listed is None:
        return render(request, "classroom/pickup.html", {"listed": None}, status=404)
    audit_access(request=request, action=A.VIEW, model=ENROLLMENT, object_ids=[listed.enrollment_id],
                 fields=["child_name", "pickups.name"])
    return render(request, "classroom/pickup.html", {"listed": listed, "visit": visit})


# Staff: alerts, refused releases, background checks, ledger --------------------------------------

def _require_staff(request):
    if not selectors.is_staff(request.user):
        raise Http404


@login_required
def alerts(request):
    _require_staff(request)
    if request.method == "POST":
        try:
            if request.POST.get("alert"):
                alert = get_object_or_404(selectors.late_alerts(user=request.user), pk=request.POST["alert"])
                services.late_alert_resolve(alert=alert, by=request.user)
            else:
                attempt = get_object_or_404(selectors.release_attempts(user=request.user), pk=request.POST.get("attempt"))
                services.release_attempt_review(attempt=attempt, by=request.user)
            messages.success(request, _("Marked as followed up."))
        except PermissionDenied as exc:
            messages.error(request, str(exc))
        return redirect("classroom:alerts")
    late = page_of(request, selectors.late_alerts(user=request.user), param="late_page")
    attempts = page_of(request, selectors.release_attempts(user=request.user))
    ids = {a.attendance.enrollment_id for a in late} | {a.enrollment_id for a in attempts}
    if ids:
        audit_access(request=request, action=A.LIST, model=ENROLLMENT, object_ids=sorted(ids),
                     fields=["child_name", "claimed_name"])
    return render(request, "classroom/alerts.html", {"late": late, "attempts": attempts})


@login_required
def checks(request):
    _require_staff(request)
    volunteers = selectors.tutors(user=request.user)
    form = BackgroundCheckForm(request.POST or None, volunteers=volunteers)
    if request.method == "POST" and form.is_valid():
        try:
            services.background_check_record(by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Background check recorded."))
            return redirect("classroom:checks")
    rows = page_of(request, selectors.background_checks(user=request.user))
    today_ = timezone.localdate()
    for c in rows:
        c.valid_today = c.is_valid_on(today_)
    return render(request, "classroom/checks.html", {"form": form, "rows": rows})


@login_required
def ledger(request):
    """The monthly sign-in ledger (签到台账) of a site: printable on screen; its .xlsx is built by a job
    (POST with format=xlsx, linli.classroom.exports) and downloaded, audited, from the export's page."""
    sites = selectors.ledger_sites(user=request.user)
    if not sites.exists():
        raise Http404
    site = sites.filter(pk=request.GET.get("site") or 0).first() or sites.first()
    year, month = exports.month_of(request.GET.get("month", ""))
    if request.method == "POST" and request.GET.get("format") == "xlsx":
        return export_start(request, builder="linli.classroom.exports.signin_ledger",
                            title=exports.ledger_title(site, year, month),
                            params={"site": site.pk, "month": f"{year}-{month:02d}"}, division=site.division)
    rows = list(selectors.ledger_rows(site=site, year=year, month=month))
    ids = sorted({r.enrollment_id for r in rows})
    if ids:
        audit_access(request=request, action=A.LIST, model=ENROLLMENT, object_ids=ids, fields=selectors.LEDGER_FIELDS)
    return render(request, "classroom/ledger.html", {"sites": sites, "site": site, "month": f"{year}-{month:02d}",
                                                     "year": year, "month_n": month, "rows": rows,
                                                     "print": request.GET.get("print") == "1"})

