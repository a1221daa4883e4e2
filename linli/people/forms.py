from django import forms
from django.utils.translation import gettext_lazy as _

from linli.people import selectors
from linli.people.models import CareTag, Membership, Person


class HouseholdForm(forms.Form):
    address = forms.CharField(label=_("Address"), max_length=200,
                              help_text=_("Building, unit and room, e.g. 东区3栋2单元501室."))
    division = forms.ModelChoiceField(label=_("Grid or community"), queryset=None)
    lat = forms.FloatField(label=_("Latitude (WGS-84)"), required=False)
    lng = forms.FloatField(label=_("Longitude (WGS-84)"), required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["division"].queryset = selectors.keeper_divisions(user=user)


class PersonForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=50)
    id_number = forms.CharField(label=_("ID-card number"), max_length=30, required=False,
                                help_text=_("18 characters; birth date and sex are read from it."),
                                widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "text",
                                                              "spellcheck": "false"}))
    sex = forms.ChoiceField(label=_("Sex"), choices=[("", "—"), *Person.Sex.choices], required=False)
    birth_date = forms.DateField(label=_("Birth date"), required=False,
                                 widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    phone = forms.CharField(label=_("Phone"), max_length=20, required=False,
                            widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}))
    care_tags = forms.ModelMultipleChoiceField(label=_("Care tags"), queryset=CareTag.objects.all(),
                                               required=False, widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, person: Person | None = None, birth_date_shown: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        # A role without full access never sees the birth date (it would complete the masked number).
        self.keeps_birth_date = person is not None and person.birth_date is not None and not birth_date_shown
        if self.keeps_birth_date:
            self.fields["birth_date"].help_text = _("Age %(age)s. Leave blank to keep the birth date.") % {
                "age": person.age}
        if person is not None and person.id_number_masked:
            # The stored number is never put back into the page; blank keeps it.
            self.fields["id_number"].help_text = _("Now %(masked)s. Leave blank to keep it.") % {
                "masked": person.id_number_masked}
        if person is not None and person.phone:
            self.fields["phone"].help_text = _("Now %(masked)s. Leave blank to keep it.") % {
                "masked": person.phone_masked}

    def changes(self, person: Person) -> dict:
        data = {k: v for k, v in self.cleaned_data.items() if k not in ("id_number", "phone")}
        if self.keeps_birth_date and not data.get("birth_date"):
            data.pop("birth_date", None)
        if self.cleaned_data["id_number"] or not person.id_number_masked:
            data["id_number"] = self.cleaned_data["id_number"]
        if self.cleaned_data["phone"] or not person.phone:
            data["phone"] = self.cleaned_data["phone"]
        return data


class MemberForm(PersonForm):
    """A new person joining a household."""

    relation = forms.ChoiceField(label=_("Relation to the head"), choices=Membership.Relation.choices)
    field_order = ["name", "relation", "id_number", "sex", "birth_date", "phone", "care_tags"]


class PersonCreateForm(PersonForm):
    """A person registered straight into a grid or community (no household yet)."""

    division = forms.ModelChoiceField(label=_("Grid or community"), queryset=None)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["division"].queryset = selectors.keeper_divisions(user=user)
