import json
import uuid

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from linli.accounts.models import Role, User
from linli.core.forms import preselect_own_division
from linli.divisions.models import Division
from linli.grids.models import Campaign, GridAssignment


class VisitForm(forms.Form):
    """A visit in under a minute: the date is today, the first member is preselected, the rest optional."""

    submission_key = forms.UUIDField(widget=forms.HiddenInput)
    visited_on = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    met = forms.TypedChoiceField(label=_("Who was met"), required=False, coerce=int, empty_value=None,
                                 widget=forms.RadioSelect)
    notes = forms.CharField(label=_("Notes"), required=False, max_length=2000,
                            widget=forms.Textarea(attrs={"rows": 3}))
    needs = forms.CharField(label=_("Needs found"), required=False, max_length=2000,
                            help_text=_("Anything the household needs help with; staff can follow it up."),
                            widget=forms.Textarea(attrs={"rows": 2}))
    need_service = forms.TypedChoiceField(label=_("Raise the need as"), required=False, coerce=int, empty_value=None,
                                          help_text=_("Choose a category to turn the need into a request or a "
                                                      "concern now; leave it empty to note it only."))
    campaigns = forms.TypedMultipleChoiceField(label=_("Delivered on this visit"), required=False, coerce=int,
                                               widget=forms.CheckboxSelectMultiple)
    photo = forms.FileField(label=_("Photo (optional)"), required=False,
                            widget=forms.ClearableFileInput(attrs={"accept": "image/*", "capture": "environment"}))

    NOBODY = -1

    def __init__(self, *args, members, campaigns=(), services=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.campaigns = {c.pk: c for c in campaigns}
        self.services = {s.pk: s for s in services}
        if self.campaigns:
            self.fields["campaigns"].choices = [(c.pk, c.title) for c in campaigns]
            self.fields["campaigns"].help_text = _("A home visit reaches these campaigns too: untick one you did not deliver.")
        else:
            del self.fields["campaigns"]
        groups = {}
        for item in services:
            groups.setdefault(str(item.get_kind_display()), []).append((item.pk, str(item)))
        self.fields["need_service"].choices = [("", _("Note only, no case")), *groups.items()]
        self.members = {m.person_id: m.person for m in members}
        # One assignment: `choices` hands back a copy, so appending to it afterwards is lost.
        self.fields["met"].choices = [(m.person_id, f"{m.person.name}（{m.get_relation_display()}）") for m in members] \
            + [(self.NOBODY, _("Nobody at home"))]
        if not self.is_bound:
            self.initial.setdefault("submission_key", uuid.uuid4())
            self.initial.setdefault("visited_on", timezone.localdate())
            if members:
                self.initial.setdefault("met", members[0].person_id)
            self.initial.setdefault("campaigns", list(self.campaigns))

    def service_kwargs(self) -> dict:
        d = self.cleaned_data
        met = d.get("met")
        return {"visited_on": d["visited_on"], "notes": d["notes"], "needs": d["needs"], "photo": d.get("photo") or None,
                "nobody_home": met == self.NOBODY, "met": self.members.get(met), "submission_key": d["submission_key"],
                "campaigns": [self.campaigns[pk] for pk in d.get("campaigns") or [] if pk in self.campaigns]}

    def clean(self):
        d = super().clean()
        if d.get("need_service") and not (d.get("needs") or "").strip():
            self.add_error("needs", _("Say what the household needs."))
        return d

    def chosen_service(self):
        return self.services.get(self.cleaned_data.get("need_service"))


class ReachForm(forms.Form):
    submission_key = forms.UUIDField(widget=forms.HiddenInput)
    method = forms.ChoiceField(label=_("How"), choices=Campaign.Method.choices)
    note = forms.CharField(label=_("Note"), required=False, max_length=200)

    def __init__(self, *args, campaign, **kwargs):
        super().__init__(*args, **kwargs)
        labels = dict(Campaign.Method.choices)
        self.fields["method"].choices = [(m, labels[m]) for m in campaign.methods if m in labels]
        if not self.is_bound:
            self.initial.setdefault("submission_key", uuid.uuid4())


class CampaignForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=120)
    content = forms.CharField(label=_("What residents must be told"), max_length=5000, widget=forms.Textarea)
    division = forms.ModelChoiceField(label=_("Run by"), queryset=None)
    scope = forms.ModelMultipleChoiceField(label=_("Scope"), queryset=None, required=False,
                                           help_text=_("Leave empty for everything the running division covers."))
    starts_on = forms.DateField(label=_("Starts on"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    deadline = forms.DateField(label=_("Deadline"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    methods = forms.MultipleChoiceField(label=_("Reach methods allowed"), choices=Campaign.Method.choices,
                                        widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        staff = Division.objects.visible_to(user, roles=Role.STAFF).exclude(level=Division.Level.GRID)
        self.fields["division"].queryset = staff
        preselect_own_division(self, "division", user)
        self.fields["scope"].queryset = Division.objects.visible_to(user, roles=Role.STAFF)
        if not self.is_bound:
            self.initial.setdefault("starts_on", timezone.localdate())
            self.initial.setdefault("methods", [Campaign.Method.VISIT, Campaign.Method.PHONE])


class BoundaryForm(forms.Form):
    geojson = forms.CharField(label=_("Boundary (GeoJSON)"), required=False, widget=forms.Textarea(attrs={"rows": 8}),
                              help_text=_("A GeoJSON Polygon in WGS-84 longitude/latitude, as exported by a map tool. "
                                          "Leave empty to remove the boundary."))
    file = forms.FileField(label=_("…or upload a .geojson file"), required=False)

    def clean(self):
        data = super().clean()
        text = data.get("geojson") or ""
        upload = data.get("file")
        if upload:
            if upload.size > 1024 * 1024:
                raise forms.ValidationError(_("A boundary file is at most 1 MB."))
            text = upload.read().decode("utf-8", errors="replace")
        if not text.strip():
            data["boundary"] = None
            return data
        try:
            data["boundary"] = json.loads(text)
        except ValueError:
            self.add_error("geojson", _("This is not valid JSON."))
        return data


class AssignmentForm(forms.Form):
    user = forms.ModelChoiceField(label=_("User"), queryset=User.objects.none(),
                                  help_text=_("Someone with an account; they get the grid-worker role here."))
    kind = forms.ChoiceField(label=_("As"), choices=GridAssignment.Kind.choices)
    start_date = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))

    def __init__(self, *args, grid, **kwargs):
        super().__init__(*args, **kwargs)
        # People who already hold a role somewhere in this community (its staff, workers, volunteers).
        community = grid.parent or grid
        self.fields["user"].queryset = (User.objects.filter(is_active=True, roles__division__path__startswith=community.path)
                                        .distinct().order_by("username"))
        if not self.is_bound:
            self.initial.setdefault("start_date", timezone.localdate())


class ImportForm(forms.Form):
    file = forms.FileField(label=_("Register workbook (.xlsx)"),
                           widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}))
