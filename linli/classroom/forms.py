import datetime as dt

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from linli.core.forms import DATE, TIME
from linli.people.models import Person
from linli.places.models import Room

from .models import BackgroundCheck, PickupPerson, Program

WEEKDAYS = [(0, _("Monday")), (1, _("Tuesday")), (2, _("Wednesday")), (3, _("Thursday")), (4, _("Friday")),
            (5, _("Saturday")), (6, _("Sunday"))]
PICKUP_ROWS = 2
NEW_CHILD = "new"


class ProgramForm(forms.Form):
    name = forms.CharField(label=pgettext_lazy("of a person", "name"), max_length=100, initial=_("Four-thirty classroom"))
    site = forms.ModelChoiceField(label=_("site"), queryset=None)
    room = forms.ModelChoiceField(label=_("room"), queryset=None, required=False)
    term_start = forms.DateField(label=_("term starts"), widget=DATE)
    term_end = forms.DateField(label=_("term ends"), widget=DATE)
    weekdays = forms.TypedMultipleChoiceField(label=pgettext_lazy("classroom", "weekdays"), choices=WEEKDAYS, coerce=int,
                                              initial=[0, 1, 2, 3, 4], widget=forms.CheckboxSelectMultiple)
    start_time = forms.TimeField(label=_("from"), widget=TIME, initial=dt.time(16, 30))
    end_time = forms.TimeField(label=_("to"), widget=TIME, initial=dt.time(18, 30))
    capacity = forms.IntegerField(label=_("places"), min_value=1, max_value=500, initial=30)
    min_age = forms.IntegerField(label=_("youngest age"), min_value=3, max_value=18, initial=6)
    max_age = forms.IntegerField(label=_("oldest age"), min_value=3, max_value=18, initial=13)
    offers = forms.MultipleChoiceField(label=_("activities offered"), choices=Program.Offer.choices, required=False,
                                       initial=["homework", "reading"], widget=forms.CheckboxSelectMultiple)
    tutors_needed = forms.IntegerField(label=_("tutors per session"), min_value=1, max_value=20, initial=2)
    description = forms.CharField(label=_("description"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, sites, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["site"].queryset = sites
        self.fields["room"].queryset = Room.objects.filter(site__in=sites, function=Room.Function.CLASSROOM)


class EnrollForm(forms.Form):
    child = forms.ChoiceField(label=_("child"), widget=forms.RadioSelect)
    child_name = forms.CharField(label=_("child's name"), max_length=50, required=False)
    birth_date = forms.DateField(label=_("birth date"), required=False, widget=DATE)
    sex = forms.ChoiceField(label=_("sex"), choices=[("", "—"), *Person.Sex.choices], required=False)
    school = forms.CharField(label=_("school"), max_length=100, required=False)
    grade = forms.TypedChoiceField(label=_("grade"), coerce=int, empty_value=None, required=False,
                                   choices=[("", "—")] + [(g, g) for g in range(1, 10)])
    medical_notes = forms.CharField(label=_("allergies and medical notes"), max_length=300, required=False,
                                    help_text=_("Only what the tutors must know to keep the child safe."))
    may_leave_alone = forms.BooleanField(label=_("My child may leave the classroom alone"), required=False)
    consent = forms.BooleanField(
        label=_("I am the child's guardian and consent to the classroom keeping this information about my "
                "child to look after them; it is anonymised a year after the child leaves."), required=False)

    def __init__(self, *args, children=(), **kwargs):
        super().__init__(*args, **kwargs)
        choices = [(str(p.pk), f"{p.name}（{p.age}）") for p in children]
        self.fields["child"].choices = [*choices, (NEW_CHILD, _("Another child (enter below)"))]
        self.fields["child"].initial = choices[0][0] if choices else NEW_CHILD
        for i in range(PICKUP_ROWS):
            self.fields[f"pickup_{i}_name"] = forms.CharField(label=_("Who else may collect the child: name"),
                                                              max_length=50, required=False)
            self.fields[f"pickup_{i}_relation"] = forms.ChoiceField(
                label=_("relation"), required=False, choices=[("", "—"), *PickupPerson.Relation.choices])
            self.fields[f"pickup_{i}_phone"] = forms.CharField(label=_("phone"), max_length=20, required=False)

    def pickups(self) -> list[dict]:
        d = self.cleaned_data
        return [{"name": d.get(f"pickup_{i}_name", ""), "relation": d.get(f"pickup_{i}_relation", ""),
                 "phone": d.get(f"pickup_{i}_phone", "")} for i in range(PICKUP_ROWS)]


class PickupForm(forms.Form):
    name = forms.CharField(label=pgettext_lazy("of a person", "name"), max_length=50)
    relation = forms.ChoiceField(label=_("relation"), choices=PickupPerson.Relation.choices)
    phone = forms.CharField(label=_("phone"), max_length=20)


class BackgroundCheckForm(forms.Form):
    volunteer = forms.ModelChoiceField(label=_("volunteer"), queryset=None)
    checked_on = forms.DateField(label=_("checked on"), widget=DATE)
    valid_until = forms.DateField(label=_("valid until"), widget=DATE, required=False,
                                  help_text=_("Empty: three years after the check."))
    result = forms.ChoiceField(label=_("result"), choices=BackgroundCheck.Result.choices)
    reference = forms.CharField(label=_("certificate or reference number"), max_length=60, required=False)

    def __init__(self, *args, volunteers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["volunteer"].queryset = volunteers
        self.fields["volunteer"].label_from_instance = lambda v: f"{v.person.name} ({v.number})"
