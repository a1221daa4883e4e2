import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from linli.activities import selectors
from linli.activities.models import Activity, Delivery, Method, Platform
from linli.core.dates import event_date_validator
from linli.core.forms import DATE, TIME, QuickSelect
from linli.places.models import Room
from linli.volunteers.models import Team


def aware(day: dt.date, time: dt.time) -> dt.datetime:
    return dt.datetime.combine(day, time, tzinfo=timezone.get_current_timezone())


class SpanForm(forms.Form):
    date = forms.DateField(label=_("date"), widget=DATE, validators=[event_date_validator])
    start_time = forms.TimeField(label=_("from"), widget=TIME)
    end_time = forms.TimeField(label=_("to"), widget=TIME)

    def span(self) -> tuple[dt.datetime, dt.datetime]:
        d = self.cleaned_data
        return aware(d["date"], d["start_time"]), aware(d["date"], d["end_time"])

    def clean(self):
        data = super().clean()
        if data.get("start_time") and data.get("end_time") and data["end_time"] <= data["start_time"]:
            self.add_error("end_time", _("The end must be after the start."))
        return data


class ActivityForm(SpanForm):
    RENAME = {"start": "date", "end": "end_time"}

    title = forms.CharField(label=pgettext_lazy("activity", "title"), max_length=120)
    kind = forms.ChoiceField(label=_("kind of activity"), choices=Activity.Kind.choices, initial=Activity.Kind.ACTIVITY,
                             required=False,
                             help_text=_("A city night talk's opinions are recorded after it and followed up as cases."))
    site = forms.ModelChoiceField(label=_("site"), queryset=None)
    room = forms.ModelChoiceField(label=_("room"), queryset=None, required=False)
    platform = forms.ModelChoiceField(label=_("service platform"), queryset=Platform.objects.filter(active=True))
    method = forms.ModelChoiceField(label=_("work method"), queryset=Method.objects.filter(active=True))
    delivery = forms.ModelChoiceField(label=_("six deliveries"), queryset=Delivery.objects.filter(active=True),
                                      required=False, help_text=_("Where it applies: who delivers what."))
    organizers = forms.ModelMultipleChoiceField(label=_("organisers"), queryset=None, required=False,
                                                widget=forms.CheckboxSelectMultiple)
    team = forms.ModelChoiceField(label=_("volunteer team"), queryset=Team.objects.all(), required=False)
    capacity = forms.IntegerField(label=_("seats"), min_value=1, max_value=10000, initial=30)
    recurrence = forms.ChoiceField(label=_("repeats"), choices=Activity.Recurrence.choices,
                                   initial=Activity.Recurrence.ONCE)
    until = forms.DateField(label=_("repeat until"), widget=DATE, required=False, validators=[event_date_validator])
    signup_opens_days = forms.IntegerField(label=_("sign-up opens (days before)"), min_value=0, max_value=365,
                                           required=False, help_text=_("Leave empty to open sign-up at once."))
    signup_closes_minutes = forms.IntegerField(label=_("sign-up closes (minutes before the start)"), min_value=0,
                                               max_value=60 * 24 * 30, initial=0)
    description = forms.CharField(label=_("description"), widget=forms.Textarea(attrs={"rows": 3}), required=False)

    field_order = ["title", "kind", "site", "room", "platform", "method", "delivery", "organizers", "team", "date",
                   "start_time", "end_time", "recurrence", "until", "capacity", "signup_opens_days",
                   "signup_closes_minutes", "description"]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        sites = selectors.organised_sites(user=user)
        self.fields["site"].queryset = sites
        self.fields["room"].queryset = Room.objects.filter(site__in=sites).select_related("site")
        self.fields["organizers"].queryset = selectors.organizer_choices(user=user)

    def clean_kind(self):
        return self.cleaned_data.get("kind") or Activity.Kind.ACTIVITY


class ActivityEditForm(forms.Form):
    title = ActivityForm.base_fields["title"]
    platform = ActivityForm.base_fields["platform"]
    method = ActivityForm.base_fields["method"]
    delivery = ActivityForm.base_fields["delivery"]
    team = ActivityForm.base_fields["team"]
    organizers = forms.ModelMultipleChoiceField(label=_("organisers"), queryset=None, required=False,
                                                widget=forms.CheckboxSelectMultiple)
    room = forms.ModelChoiceField(label=_("room"), queryset=None, required=False)
    description = ActivityForm.base_fields["description"]

    def __init__(self, *args, user, activity, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organizers"].queryset = selectors.organizer_choices(user=user)
        self.fields["room"].queryset = Room.objects.filter(site=activity.site)


class OccurrenceForm(SpanForm):
    RENAME = {"start": "date", "end": "end_time"}

    room = forms.ModelChoiceField(label=_("room"), queryset=None, required=False)
    capacity = forms.IntegerField(label=_("seats"), min_value=1, max_value=10000)

    def __init__(self, *args, site, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["room"].queryset = Room.objects.filter(site=site)


class ReviewForm(forms.Form):
    rating = forms.TypedChoiceField(label=_("rating"), coerce=int, widget=forms.RadioSelect,
                                    choices=[(i, "★" * i) for i in range(5, 0, -1)])
    comment = forms.CharField(label=_("comment"), max_length=1000, required=False,
                              widget=forms.Textarea(attrs={"rows": 3}))


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("reason"), max_length=200, required=False)


class CalendarFilterForm(forms.Form):
    view = forms.ChoiceField(choices=[("month", _("Month")), ("week", _("Week")), ("list", _("List"))],
                             required=False)
    date = forms.DateField(required=False, widget=DATE)
    site = forms.ModelChoiceField(label=_("site"), queryset=None, required=False, widget=QuickSelect)
    community = forms.ModelChoiceField(label=_("community"), queryset=None, required=False, widget=QuickSelect)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        from linli.places.models import Site

        self.fields["site"].queryset = Site.objects.visible_to(user)
        self.fields["community"].queryset = selectors.communities(user=user)


class MonthForm(forms.Form):
    month = forms.DateField(label=_("month"), input_formats=["%Y-%m"],
                            widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m"))
    community = forms.ModelChoiceField(label=_("community"), queryset=None, required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["community"].queryset = selectors.communities(user=user)
