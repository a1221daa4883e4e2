"""Pages without login for residents who have no account yet: the centers, their activities, the
night talks' results and certificate checks. Thin: each reads a cached selector and renders."""

import datetime as dt

from django import forms
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

from linli.activities.ical import ics_calendar
from linli.places.models import OpeningHours
from linli.public import selectors
from linli.public.blocks import site_blocks

public = cache_control(public=True, max_age=60)


@require_GET
def directory(request):
    groups = selectors.directory()
    now = timezone.now()
    for g in groups:
        for s in g["sites"]:
            s["state"] = selectors.open_state(s["hours"], now)
    return render(request, "public/directory.html", {"section": "directory", "groups": groups})


@require_GET
def site(request, pk):
    page = selectors.site_page(pk)
    if page is None:
        raise Http404
    week = [(day, label, page["hours"]["weekly"].get(day, [])) for day, label in WEEKDAYS]
    return render(request, "public/site.html", {
        "section": "directory", "today_weekday": timezone.localdate().weekday(), "site": page, "state": selectors.open_state(page["hours"]), "week": week,
        "blocks": site_blocks(page), "ical": reverse("public:ical") + f"?site={page['pk']}"})


WEEKDAYS = OpeningHours._meta.get_field("weekday").choices  # the places app's weekday names


class CalendarForm(forms.Form):
    community = forms.TypedChoiceField(label=_("community"), required=False, coerce=int, empty_value=None)
    date = forms.DateField(label=pgettext_lazy("public calendar", "from"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["community"].choices = [("", _("All communities")),
                                            *[(c["pk"], c["name"]) for c in selectors.communities()]]


def _calendar_args(request) -> dict:
    form = CalendarForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    site = request.GET.get("site", "")
    return {"form": form, "first": data.get("date") or timezone.localdate(),
            "community": data.get("community"), "site": int(site) if site.isdigit() else None}


@require_GET
def calendar(request):
    args = _calendar_args(request)
    form = args.pop("form")
    first = args["first"]
    days = selectors.calendar(**args)
    query = request.GET.copy()
    query.pop("date", None)
    ical = reverse("public:ical") + (f"?{query.urlencode()}" if query else "")
    return render(request, "public/calendar.html", {
        "section": "calendar", "form": form, "days": days, "first": first, "last": first + dt.timedelta(days=selectors.DAYS_AHEAD - 1),
        "next": first + dt.timedelta(days=selectors.DAYS_AHEAD), "prev": first - dt.timedelta(days=selectors.DAYS_AHEAD),
        "query": query.urlencode(), "ical": request.build_absolute_uri(ical)})


@require_GET
@public
def ical(request):
    """Public activity dates as an iCal feed (RFC 5545) for calendar apps: the coming 90 days, by
    community or site; no one's personal data."""
    args = _calendar_args(request)
    args.update(first=timezone.localdate(), days=90)
    events = [item for day in selectors.calendar(**{k: v for k, v in args.items() if k != "form"})
              for item in day["items"]]
    body = ics_calendar(name=str(_("Neighborhood center activities")), events=[{
        "uid": f"occurrence-{e['pk']}@linli", "start": e["start"], "end": e["end"], "summary": e["title"],
        "location": " ".join(x for x in (e["site"], e["room"]) if x), "description": e["platform"],
        "url": request.build_absolute_uri(reverse("public:site", args=[e["site_pk"]]))} for e in events])
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="linli-activities.ics"'
    return response


@require_GET
def night_talks(request):
    form = CalendarForm(request.GET or None)
    community = form.cleaned_data.get("community") if form.is_valid() else None
    return render(request, "public/night_talks.html", {"section": "night_talks", "form": form,
                                                       "talks": selectors.night_talks(community=community)})


class VerifyForm(forms.Form):
    code = forms.CharField(label=_("verification code"), max_length=200,
                           help_text=_("The code under the QR code on the certificate, or the whole link."))

    def clean_code(self):
        code = self.cleaned_data["code"].strip().rstrip("/").rsplit("/", 1)[-1]
        if not code or not all(c.isalnum() or c in "-_" for c in code):
            raise forms.ValidationError(_("This is not a certificate's code."))
        return code


@require_GET
def verify(request):
    """Check a volunteer-service certificate: the code leads to the volunteers app's verification page."""
    form = VerifyForm(request.GET or None)
    if request.GET and form.is_valid():
        return redirect("volunteers:verify", token=form.cleaned_data["code"])
    return render(request, "public/verify.html", {"section": "verify", "form": form})
