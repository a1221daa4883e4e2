"""Pages for households and persons. Thin: reads through selectors (out of scope = 404), writes through
services, and every page that shows personal data writes an access-log row."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from linli.accounts.models import Role
from linli.core.forms import apply_errors
from linli.core.masking import shown_birth_date
from linli.core.models import AccessLog
from linli.core.paging import page_of
from linli.divisions.models import Division
from linli.jobs.views import export_view
from linli.people import selectors, services
from linli.people.audit import log_persons
from linli.people.forms import HouseholdForm, MemberForm, PersonCreateForm, PersonForm
from linli.people.models import CareTag, Household, Membership, Person

PAGE_SIZE = 20
A = AccessLog.Action


def _page(request, qs):
    return page_of(request, qs, per_page=PAGE_SIZE)


def _visible_households(user):
    return Household.objects.visible_to(user).select_related("division")


def _visible_persons(user):
    return Person.objects.visible_to(user).select_related("division").prefetch_related("care_tags")


@login_required
def household_list(request):
    q = request.GET.get("q", "").strip()[:100]
    page = _page(request, selectors.household_list(user=request.user, q=q))
    members = [m.person_id for h in page for m in h.current_members]
    log_persons(request, action=A.SEARCH if q else A.LIST,
                ids=members, fields=["name", "relation"], query=q)
    can_add = selectors.keeper_divisions(user=request.user).exists()
    return render(request, "people/household_list.html", {"page": page, "q": q, "can_add": can_add,
                                                         "show_access_log": selectors.can_read_access_log(request.user)})


@login_required
def household_detail(request, pk):
    household = get_object_or_404(_visible_households(request.user), pk=pk)
    members = list(selectors.household_members(household=household))
    former = list(selectors.household_members(household=household, current=False))
    workshop_income = selectors.household_workshop_income(household=household)
    log_persons(request, action=A.VIEW,
                ids=[m.person_id for m in members + former],
                 fields=["name", "relation", "sex", "age", "id_number_masked", "care_tags"]
                + (["workshop_income"] if workshop_income else []))
    return render(request, "people/household_detail.html", {
        "household": household, "members": members, "former": former, "workshop_income": workshop_income,
        "can_keep": selectors.can_keep(request.user, household.division),
        **_grid_work(request, household),
    })


def _grid_work(request, household) -> dict:
    """The grid's side of a household: its visits and campaigns, and a visit button for who may record."""
    from django.urls import reverse

    from linli.grids import selectors as grids

    visits = list(grids.visit_list(user=request.user, household=household).select_related("met", "recorded_by")[:10])
    reaches = list(household.reaches.filter(campaign__in=grids.campaign_list(user=request.user))
                   .select_related("campaign").order_by("-reached_at")[:10])
    can_record = grids.can_record(request.user, household.division)
    return {"visits": visits, "reaches": reaches,
            "pending_campaigns": grids.campaigns_to_deliver(user=request.user, household=household),
            "visit_url": (reverse("grids:visit_create", args=[household.pk]) + "?next=" + request.path)
            if can_record else ""}


@login_required
def household_create(request):
    form = HouseholdForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            household = services.household_create(by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Household registered."))
            return redirect("people:household_detail", pk=household.pk)
    return render(request, "people/form.html", {"form": form, "title": _("New household")})


@login_required
def household_edit(request, pk):
    household = get_object_or_404(_visible_households(request.user), pk=pk)
    if not selectors.can_keep(request.user, household.division):
        raise PermissionDenied
    initial = {"address": household.address, "division": household.division, "lat": household.lat,
               "lng": household.lng}
    form = HouseholdForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.household_update(by=request.user, household=household, data=form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Household saved."))
            return redirect("people:household_detail", pk=household.pk)
    return render(request, "people/form.html", {"form": form, "title": _("Edit household"),
                                                "back": household})


@login_required
def member_add(request, pk):
    household = get_object_or_404(_visible_households(request.user), pk=pk)
    if not selectors.can_keep(request.user, household.division):
        raise PermissionDenied
    has_head = household.memberships.filter(end_date__isnull=True, relation=Membership.Relation.HEAD).exists()
    form = MemberForm(request.POST or None,
                      initial={"relation": Membership.Relation.OTHER if has_head else Membership.Relation.HEAD})
    if request.method == "POST" and form.is_valid():
        try:
            services.person_create(by=request.user, household=household, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Member added."))
            return redirect("people:household_detail", pk=household.pk)
    return render(request, "people/form.html", {
        "form": form, "back": household,
        "title": _("New member of %(address)s") % {"address": household.address}})


@login_required
@require_POST
def member_end(request, pk, membership_pk):
    household = get_object_or_404(_visible_households(request.user), pk=pk)
    membership = get_object_or_404(household.memberships.select_related("household__division", "person"),
                                   pk=membership_pk)
    try:
        services.membership_end(by=request.user, membership=membership)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("%(name)s is no longer a current member.") % {"name": membership.person.name})
    return redirect("people:household_detail", pk=household.pk)


@login_required
def person_list(request):
    q = request.GET.get("q", "").strip()[:100]
    code = request.GET.get("tag", "")
    tag = CareTag.objects.filter(code=code).first() if code else None
    try:
        persons = selectors.person_list(user=request.user, q=q, care_tag=tag)
    except (PermissionDenied, selectors.SearchLimitReached) as exc:
        messages.error(request, str(exc))
        persons = Person.objects.none()
    page = _page(request, persons)
    # An ID-number search is recorded by the number's blind index: traceable, not readable.
    said = f"id_number_index={selectors.id_number_index(q)}" if selectors.is_id_number_like(q) else q
    log_persons(request, action=A.SEARCH if q or tag else A.LIST,
                ids=[p.pk for p in page], fields=selectors.LIST_FIELDS,
                query=" ".join(filter(None, [said, tag.code if tag else ""])))
    return render(request, "people/person_list.html", {
        "page": page, "q": q, "tag": tag, "tags": CareTag.objects.all(),
        "tag_query": f"tag={tag.code}&" if tag else "",
        "show_access_log": selectors.can_read_access_log(request.user),
        "can_add": selectors.keeper_divisions(user=request.user).exists(),
        "export_divisions": Division.objects.visible_to(request.user, roles=Role.PEOPLE_KEEPERS),
        "may_export_full": selectors.may_see_full_somewhere(request.user),
    })


def _person_page(request, person, *, revealed: bool):
    membership = selectors.person_current_membership(person=person)
    full = selectors.can_see_full(request.user, person)
    workshop_income = selectors.person_workshop_income(person=person)
    fields = (selectors.DETAIL_FIELDS if full else selectors.MASKED_DETAIL_FIELDS) + (
        selectors.FULL_FIELDS if revealed else []) + (["workshop_income"] if workshop_income else [])
    log_persons(request, action=A.REVEAL if revealed else A.VIEW,
                ids=[person.pk], fields=fields)
    return render(request, "people/person_detail.html", {
        "person": person, "membership": membership, "revealed": revealed, "workshop_income": workshop_income,
        "can_see_full": full, "birth_date": shown_birth_date(person.birth_date, full=full),
        "can_keep": selectors.can_keep(request.user, person.division),
        "history": person.memberships.select_related("household").order_by("-start_date"),
    })


@login_required
def person_detail(request, pk):
    person = get_object_or_404(_visible_persons(request.user), pk=pk)
    return _person_page(request, person, revealed=False)


@login_required
@require_POST
def person_reveal(request, pk):
    """Show the full ID-card number and phone once, to a role allowed to see them; audited."""
    person = get_object_or_404(_visible_persons(request.user), pk=pk)
    if not selectors.can_see_full(request.user, person):
        raise PermissionDenied
    return _person_page(request, person, revealed=True)


@login_required
def person_create(request):
    form = PersonCreateForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            person = services.person_create(by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Person registered."))
            return redirect("people:person_detail", pk=person.pk)
    return render(request, "people/form.html", {"form": form, "title": _("New person")})


@login_required
def person_edit(request, pk):
    person = get_object_or_404(_visible_persons(request.user), pk=pk)
    if not selectors.can_keep(request.user, person.division):
        raise PermissionDenied
    full = selectors.can_see_full(request.user, person)
    initial = {"name": person.name, "sex": person.sex, "birth_date": shown_birth_date(person.birth_date, full=full),
               "care_tags": list(person.care_tags.all())}
    form = PersonForm(request.POST or None, person=person, initial=initial, birth_date_shown=full)
    if request.method == "POST" and form.is_valid():
        try:
            services.person_update(by=request.user, person=person, data=form.changes(person))
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Person saved."))
            return redirect("people:person_detail", pk=person.pk)
    if request.method == "GET":
        log_persons(request, action=A.VIEW, ids=[person.pk],
                     fields=["name", "sex", "birth_date" if full else "age", "phone_masked", "id_number_masked",
                             "care_tags"])
    return render(request, "people/form.html", {"form": form, "back": person,
                                                "title": _("Edit %(name)s") % {"name": person.name}})


@login_required
def person_export(request):
    """The persons of a division as .xlsx, built by a job (linli.people.exports): masked, or in full on
    request for a role allowed to; every download is audited."""
    def given(name):  # the form posts its fields; an old link (GET, or POST to it) has them in the query
        return request.POST.get(name) or request.GET.get(name, "")

    division_id = given("division")
    if not division_id.isdigit():
        raise Http404
    division = get_object_or_404(Division.objects.visible_to(request.user, roles=Role.PEOPLE_KEEPERS),
                                 pk=division_id)
    full = given("full") == "1"
    if full and not selectors.can_see_full_in(request.user, division):
        raise PermissionDenied
    title = (_("Persons of %(division)s, in full") if full else _("Persons of %(division)s")) % {
        "division": division.name}
    return export_view(request, builder="linli.people.exports.persons_export", title=title,
                       params={"division_id": division.pk, "full": full}, division=division)


@login_required
def access_log(request):
    if not selectors.can_read_access_log(request.user):
        raise Http404
    action = request.GET.get("action", "")
    page = _page(request, selectors.access_log_list(user=request.user, action=action))
    return render(request, "people/access_log.html", {
        "page": page, "action": action, "actions": AccessLog.Action.choices, "show_access_log": True,
        "extra_query": f"action={action}&" if action else ""})
