from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from linli.core.forms import preselect_own_division
from linli.orgs import selectors
from linli.orgs.models import Organization


class OrganizationForm(forms.Form):
    name = forms.CharField(label=pgettext_lazy("of a place or organisation", "Name"), max_length=150)
    kind = forms.ChoiceField(label=_("Kind"), choices=Organization.Kind.choices)
    division = forms.ModelChoiceField(label=_("Division"), queryset=None)
    contact_name = forms.CharField(label=_("Contact person"), max_length=50, required=False)
    contact_phone = forms.CharField(label=_("Contact phone"), max_length=30, required=False,
                                    widget=forms.TextInput(attrs={"inputmode": "tel"}))
    address = forms.CharField(label=_("Address"), max_length=200, required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["division"].queryset = selectors.staff_divisions(user=user)
        preselect_own_division(self, "division", user)
