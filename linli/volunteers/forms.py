from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from linli.activities.forms import SpanForm
from linli.volunteers.models import Team


class JoinForm(forms.Form):
    teams = forms.ModelMultipleChoiceField(label=_("teams"), queryset=Team.objects.all(), required=False,
                                           widget=forms.CheckboxSelectMultiple)
    skills = forms.CharField(label=_("skills"), max_length=200, required=False,
                             help_text=_("e.g. tutoring, first aid, calligraphy"))
    availability = forms.CharField(label=_("availability"), max_length=200, required=False,
                                   help_text=_("e.g. weekday evenings, weekends"))


class ShiftForm(forms.Form):
    role = forms.CharField(label=pgettext_lazy("shift", "role"), max_length=60, initial=_("Guide and order"))
    needed = forms.IntegerField(label=_("volunteers needed"), min_value=1, max_value=500, initial=2)
    start_time = forms.TimeField(label=_("from"), widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"))
    end_time = forms.TimeField(label=_("to"), widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"))
    note = forms.CharField(label=_("note"), max_length=200, required=False)


class RecordForm(SpanForm):
    RENAME = {"start": "date", "end": "end_time"}

    content = forms.CharField(label=_("service content"), max_length=200)
    hours = forms.DecimalField(label=_("hours"), min_value=0, max_value=24, decimal_places=2)


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("reason"), max_length=200)


class RedeemForm(forms.Form):
    quantity = forms.IntegerField(label=_("quantity"), min_value=1, max_value=100, initial=1)
