"""Forms check shape (types, lengths, ranges); the services enforce the rules."""

from django import forms
from django.utils.translation import gettext_lazy as _

from linli.core.forms import DATE
from linli.people.models import CareTag

from .models import DietOption, Slot, TierRule


class DinerForm(forms.Form):
    hukou_local = forms.BooleanField(label=_("hukou in the county"), required=False,
                                     help_text=_("As seen in the household register booklet."))
    diet = forms.MultipleChoiceField(label=_("diet"), choices=DietOption.choices, required=False,
                                     widget=forms.CheckboxSelectMultiple)
    allergies = forms.CharField(label=_("allergies"), max_length=200, required=False)
    delivery = forms.BooleanField(label=_("meals delivered home"), required=False)
    route = forms.ModelChoiceField(label=_("delivery route"), queryset=None, required=False)
    consent = forms.BooleanField(label=_("The diner agrees that the canteen keeps their meal records and uses their "
                                         "register data (age, care tags) to work out the subsidy."), required=True)

    def __init__(self, *args, routes=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["route"].queryset = routes


class OrderForm(forms.Form):
    diner = forms.ModelChoiceField(label=_("diner"), queryset=None, empty_label=None)
    date = forms.DateField(label=_("date"), widget=DATE)
    slot = forms.ChoiceField(label=_("meal"), choices=Slot.choices)
    delivery = forms.BooleanField(label=_("deliver home"), required=False)

    def __init__(self, *args, diners=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["diner"].queryset = diners
        self.fields["diner"].label_from_instance = lambda d: f"{d.person.name} · {d.canteen.name}"


class DishForm(forms.Form):
    date = forms.DateField(label=_("date"), widget=DATE)
    slot = forms.ChoiceField(label=_("meal"), choices=Slot.choices)
    name = forms.CharField(label=_("dish"), max_length=60)
    price = forms.DecimalField(label=_("price (yuan)"), max_digits=6, decimal_places=2, min_value=0, required=False)
    allergens = forms.CharField(label=_("allergens"), max_length=100, required=False)
    options = forms.MultipleChoiceField(label=_("diet options"), choices=DietOption.choices, required=False,
                                        widget=forms.CheckboxSelectMultiple)


class HealthCheckForm(forms.Form):
    worker = forms.CharField(label=_("kitchen worker"), max_length=50)
    fever = forms.BooleanField(label=_("fever"), required=False)
    diarrhoea = forms.BooleanField(label=_("diarrhoea"), required=False)
    sore_throat = forms.BooleanField(label=_("sore throat"), required=False)
    skin_wound = forms.BooleanField(label=_("skin wound"), required=False)


class SampleForm(forms.Form):
    slot = forms.ChoiceField(label=_("meal"), choices=Slot.choices)
    dish_name = forms.CharField(label=_("dish"), max_length=60)
    grams = forms.IntegerField(label=_("grams"), min_value=1, max_value=5000)
    keeper = forms.CharField(label=_("kept by"), max_length=50)


class PurchaseForm(forms.Form):
    supplier = forms.CharField(label=_("supplier"), max_length=100)
    supplier_licence = forms.CharField(label=_("supplier's licence"), max_length=60, required=False)
    item = forms.CharField(label=_("item"), max_length=100)
    quantity = forms.DecimalField(label=_("quantity"), max_digits=9, decimal_places=2, min_value=0)
    unit = forms.CharField(label=_("unit"), max_length=10, initial="kg")
    amount = forms.DecimalField(label=_("amount (yuan)"), max_digits=9, decimal_places=2, min_value=0)
    invoice = forms.CharField(label=_("invoice or receipt number"), max_length=60, required=False)


class TierForm(forms.Form):
    code = forms.SlugField(label=_("tier code"), max_length=40)
    name = forms.CharField(label=_("tier name"), max_length=60)
    min_age = forms.IntegerField(label=_("from age"), min_value=0, max_value=120, required=False)
    care_tags = forms.ModelMultipleChoiceField(label=_("any of these care tags"), queryset=CareTag.objects.all(),
                                               required=False, widget=forms.CheckboxSelectMultiple)
    age_or_tag = forms.BooleanField(label=_("age OR tag qualifies"), required=False)
    residence = forms.ChoiceField(label=_("residence rule"), choices=TierRule.Residence.choices)
    amount_per_meal = forms.DecimalField(label=_("subsidy per meal (yuan)"), max_digits=6, decimal_places=2)
    max_per_day = forms.DecimalField(label=_("subsidy cap per day (yuan)"), max_digits=6, decimal_places=2,
                                     required=False)
    meals_per_day = forms.IntegerField(label=_("subsidised meals per day"), min_value=1, max_value=3, initial=1)
    slots = forms.MultipleChoiceField(label=_("meal slots"), choices=Slot.choices, initial=["lunch"],
                                      widget=forms.CheckboxSelectMultiple)
    valid_from = forms.DateField(label=_("valid from"), widget=DATE)
    valid_to = forms.DateField(label=_("valid until"), widget=DATE, required=False)
