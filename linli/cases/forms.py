"""Forms for cases: they check what was typed; the rules live in services."""

from django import forms
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from linli.accounts.models import Role, User
from linli.cases import selectors
from linli.cases.models import Case, Kind, ServiceItem
from linli.core.forms import QuickSelect, preselect_own_division
from linli.divisions.models import Division
from linli.orgs.models import Organization
from linli.volunteers.models import Team, Volunteer


class ServiceChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return str(obj)


def _services(kind):
    return ServiceItem.objects.filter(kind=kind, active=True).order_by("order", "code")


class ResidentCaseForm(forms.Form):
    """A resident's order or concern: pick the service, say a word, optionally a photo."""

    service = ServiceChoice(label=_("What do you need?"), queryset=ServiceItem.objects.none(),
                            widget=forms.RadioSelect, empty_label=None)
    description = forms.CharField(label=_("Details"), required=False, max_length=4000,
                                  widget=forms.Textarea(attrs={"rows": 3}))
    address = forms.CharField(label=_("Where (if not at home)"), required=False, max_length=200)
    photo = forms.FileField(label=_("Photo (optional)"), required=False,
                            widget=forms.ClearableFileInput(attrs={"accept": "image/*,application/pdf"}),
                            help_text=_("A photo or a PDF, at most 5 MB."))

    def __init__(self, *args, kind, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind = kind
        self.fields["service"].queryset = _services(kind)
        if kind == Kind.CONCERN:
            self.fields["service"].label = _("What is it about?")
            self.fields["description"].required = True
            self.fields["address"].label = _("Where")


class StaffCaseForm(forms.Form):
    """Staff take an order or a concern for a resident (by phone or at the desk)."""

    division = forms.ModelChoiceField(label=_("community"), queryset=Division.objects.none())
    service = ServiceChoice(label=_("service or category"), queryset=ServiceItem.objects.none())
    contact_name = forms.CharField(label=_("resident's name"), max_length=50)
    contact_phone = forms.CharField(label=_("resident's phone"), max_length=20, required=False)
    description = forms.CharField(label=_("details"), max_length=4000, required=False, widget=forms.Textarea(attrs={"rows": 3}))
    address = forms.CharField(label=_("address"), max_length=200, required=False)
    priority = forms.ChoiceField(label=_("priority"), choices=Case.Priority.choices, initial=Case.Priority.NORMAL)

    def __init__(self, *args, user, kind, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["division"].queryset = selectors.staff_divisions(user).only("pk", "name")
        preselect_own_division(self, "division", user)
        self.fields["service"].queryset = _services(kind)


class DisputeForm(forms.Form):
    """Intake of a dispute for people's mediation (受理登记): the parties and the facts."""

    division = forms.ModelChoiceField(label=_("community"), queryset=Division.objects.none())
    service = ServiceChoice(label=_("kind of dispute"), queryset=ServiceItem.objects.none())
    applicant = forms.CharField(label=_("applicant"), max_length=50)
    applicant_phone = forms.CharField(label=_("applicant's phone"), max_length=20, required=False)
    respondent = forms.CharField(label=_("respondent"), max_length=50)
    respondent_phone = forms.CharField(label=_("respondent's phone"), max_length=20, required=False)
    description = forms.CharField(label=_("facts"), max_length=4000, widget=forms.Textarea(attrs={"rows": 4}))
    priority = forms.ChoiceField(label=_("priority"), choices=Case.Priority.choices, initial=Case.Priority.NORMAL)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["division"].queryset = selectors.staff_divisions(user).only("pk", "name")
        preselect_own_division(self, "division", user)
        self.fields["service"].queryset = _services(Kind.DISPUTE)

    def parties(self):
        d = self.cleaned_data
        return [{"role": "applicant", "name": d["applicant"], "phone": d["applicant_phone"]},
                {"role": "respondent", "name": d["respondent"], "phone": d["respondent_phone"]}]


def staff_users(division):
    ids = [int(p) for p in division.path.strip("/").split("/") if p]
    return User.objects.filter(roles__kind__in=Role.STAFF, roles__division_id__in=ids, is_active=True).distinct()


class DispatchForm(forms.Form):
    team = forms.ModelChoiceField(label=_("volunteer team"), queryset=Team.objects.all(), required=False)
    volunteer = forms.ModelChoiceField(label=_("volunteer"), queryset=Volunteer.objects.none(), required=False)
    organization = forms.ModelChoiceField(label=pgettext_lazy("dispatch", "organization"), queryset=Organization.objects.none(),
                                          required=False)
    assignee = forms.ModelChoiceField(label=_("handler"), queryset=User.objects.none(), required=False)
    note = forms.CharField(label=_("note"), max_length=500, required=False)

    def __init__(self, *args, case, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["volunteer"].queryset = Volunteer.objects.filter(
            division=case.division, active=True).select_related("person")
        self.fields["organization"].queryset = Organization.objects.visible_to(user).filter(
            division_id__in=case.division.ancestor_ids())
        self.fields["assignee"].queryset = staff_users(case.division)
        if case.kind == Kind.ORDER:
            del self.fields["assignee"]
            if case.service.default_team_id and not self.is_bound:
                self.initial.setdefault("team", case.service.default_team_id)
        else:
            for name in ("team", "volunteer", "organization"):
                del self.fields[name]
            self.fields["assignee"].required = True
            self.fields["assignee"].label = _("mediator") if case.kind == Kind.DISPUTE else _("handler")
            self.initial.setdefault("assignee", user.pk)


class ReassignForm(DispatchForm):
    reason = forms.CharField(label=_("reason"), max_length=500)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields.pop("note", None)


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("reason"), max_length=500, widget=forms.TextInput)


class OptionalReasonForm(forms.Form):
    reason = forms.CharField(label=_("reason"), max_length=500, required=False)


class CompleteForm(forms.Form):
    report = forms.CharField(label=_("what was done"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))
    hours = forms.DecimalField(label=_("hours of service"), required=False, min_value=0.25, max_value=24,
                               decimal_places=2)
    photo = forms.FileField(label=_("Photo (optional)"), required=False,
                            widget=forms.ClearableFileInput(attrs={"accept": "image/*,application/pdf"}))


class RateForm(forms.Form):
    rating = forms.TypedChoiceField(label=pgettext_lazy("service rating", "How was it?"), coerce=int, widget=forms.RadioSelect,
                                    choices=[(5, "★★★★★"), (4, "★★★★"), (3, "★★★"), (2, "★★"), (1, "★")])
    comment = forms.CharField(label=_("comment"), max_length=500, required=False)


class CloseForm(forms.Form):
    answer = forms.CharField(label=_("answer to the resident"), max_length=4000, required=False,
                             widget=forms.Textarea(attrs={"rows": 3}))
    resolution = forms.ChoiceField(label=_("outcome"), choices=[
        (Case.Resolution.RESOLVED, _("Resolved")), (Case.Resolution.UNRESOLVED, _("Not resolved (referred)"))])
    agreement_terms = forms.CharField(label=_("agreement terms"), max_length=4000, required=False,
                                      widget=forms.Textarea(attrs={"rows": 3}))
    performance = forms.CharField(label=_("how, where and when it is carried out"), max_length=500,
                                  required=False)
    referred_to = forms.CharField(label=_("referred to"), max_length=200, required=False)

    def __init__(self, *args, case, **kwargs):
        super().__init__(*args, **kwargs)
        if case.kind == Kind.DISPUTE:
            self.fields["resolution"].choices = [(Case.Resolution.RESOLVED, _("Agreement reached")),
                                                 (Case.Resolution.UNRESOLVED, _("Mediation failed, referred"))]
        else:
            for name in ("agreement_terms", "performance", "referred_to"):
                del self.fields[name]


class NoteForm(forms.Form):
    text = forms.CharField(label=_("note or reply"), max_length=4000, widget=forms.Textarea(attrs={"rows": 2}))
    public = forms.BooleanField(label=_("a reply the resident sees (otherwise an internal note)"), required=False)


class DuplicateForm(forms.Form):
    original = forms.IntegerField(label=_("original case (number after the dash)"), min_value=1)


class SessionForm(forms.Form):
    held_at = forms.DateTimeField(label=_("held at"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    place = forms.CharField(label=_("place"), max_length=120, required=False)
    record = forms.CharField(label=_("record"), max_length=8000, widget=forms.Textarea(attrs={"rows": 4}))


class FollowUpForm(forms.Form):
    note = forms.CharField(label=_("what the follow-up visit found"), max_length=500)


class AttachForm(forms.Form):
    file = forms.FileField(label=_("file"), help_text=_("A photo or a PDF, at most 5 MB."),
                           widget=forms.ClearableFileInput(attrs={"accept": "image/*,application/pdf"}))


class NightTalkDateChoice(forms.ModelChoiceField):
    def label_from_instance(self, occ):
        return f"{occ.activity.title} · {occ.activity.site.name} · {date_format(timezone.localtime(occ.start), 'DATETIME_FORMAT')}"


class NightTalkForm(forms.Form):
    occurrence = NightTalkDateChoice(label=_("night talk held"), queryset=None,
                                     help_text=_("A city night talk is an activity: schedule it under Activities "
                                                 "(kind: city night talk), then record it here after it is held."))
    attendees = forms.IntegerField(label=_("attendees"), min_value=0, required=False,
                                   help_text=_("Leave empty to count the check-ins."))
    minutes = forms.CharField(label=_("minutes"), max_length=10000, required=False,
                              widget=forms.Textarea(attrs={"rows": 4}))
    category = ServiceChoice(label=_("category of the opinions"), queryset=ServiceItem.objects.none())
    opinions = forms.CharField(label=_("residents' opinions, one per line"), max_length=10000, required=False,
                               widget=forms.Textarea(attrs={"rows": 5}),
                               help_text=_("Each line becomes a tracked case linked to this night talk."))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["occurrence"].queryset = selectors.night_talk_dates_to_record(user)
        self.fields["category"].queryset = _services(Kind.OPINION)
        self.fields["category"].initial = ServiceItem.objects.filter(code="opinion_other").values_list(
            "pk", flat=True).first()

    def opinion_lines(self):
        return [line.strip() for line in self.cleaned_data.get("opinions", "").splitlines() if line.strip()]


class InboxFilterForm(forms.Form):
    kind = forms.ChoiceField(label=_("kind"), required=False, widget=QuickSelect, choices=[("", _("All kinds")), *Kind.choices])
    status = forms.ChoiceField(label=_("status"), required=False, widget=QuickSelect,
                               choices=[("open", _("Open")), ("", _("All")), *Case.Status.choices])
    division = forms.ModelChoiceField(label=_("community"), required=False, queryset=Division.objects.none(),
                                      empty_label=_("All communities"), widget=QuickSelect)
    overdue = forms.BooleanField(label=_("overdue only"), required=False)
    q = forms.CharField(label=_("search"), required=False, max_length=100)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["division"].queryset = selectors.staff_divisions(user).only("pk", "name")


class LedgerForm(forms.Form):
    year = forms.IntegerField(label=_("year"), min_value=2000, max_value=2100, required=False)
    division = forms.ModelChoiceField(label=_("community"), required=False, queryset=Division.objects.none(),
                                      empty_label=_("All communities"))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["division"].queryset = selectors.staff_divisions(user).only("pk", "name")
