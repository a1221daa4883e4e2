"""Forms check shape (types, lengths, ranges, dates that make sense); the services enforce the rules
(a contract on the day, a duplicate within the interval, a closed cycle, proof of payment)."""

import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from linli.core.forms import DATE

MONTH = forms.DateInput(attrs={"type": "month"}, format="%Y-%m")
SCAN_TYPES = ".pdf,.jpg,.jpeg,.png"
MAX_SCAN = 10 * 1024 * 1024


def _scan(f):
    if f and f.size > MAX_SCAN:
        raise forms.ValidationError(_("The file is larger than 10 MB."))
    if f and not f.name.lower().endswith((".pdf", ".jpg", ".jpeg", ".png")):
        raise forms.ValidationError(_("Upload a PDF, JPEG or PNG file."))
    return f


class WorkerForm(forms.Form):
    contract_kind = forms.ChoiceField(label=_("contract"), choices=())
    contract_start = forms.DateField(label=_("contract from"), widget=DATE)
    contract_end = forms.DateField(label=_("contract until"), widget=DATE, required=False)
    contract_scan = forms.FileField(label=_("contract (scan)"), required=False,
                                    widget=forms.ClearableFileInput(attrs={"accept": SCAN_TYPES}))
    started_on = forms.DateField(label=_("started work on"), widget=DATE)
    bank_account_masked = forms.CharField(label=_("wage card (last digits)"), max_length=30, required=False)

    def __init__(self, *args, **kwargs):
        from .models import Worker

        super().__init__(*args, **kwargs)
        self.fields["contract_kind"].choices = Worker.ContractKind.choices

    def clean_contract_scan(self):
        return _scan(self.cleaned_data.get("contract_scan"))

    def clean(self):
        data = super().clean()
        start, end = data.get("contract_start"), data.get("contract_end")
        if start and end and end < start:
            self.add_error("contract_end", _("The contract cannot end before it starts."))
        return data


class RecordForm(forms.Form):
    """A day's work on a phone: who, which job, how many, which day."""

    worker = forms.ModelChoiceField(label=pgettext_lazy("workshop", "worker"), queryset=None, empty_label=None)
    job = forms.ModelChoiceField(label=_("job or process"), queryset=None, empty_label=None)
    quantity = forms.DecimalField(label=_("quantity"), max_digits=9, decimal_places=2, min_value=0.01,
                                  max_value=100000, widget=forms.NumberInput(attrs={"inputmode": "decimal",
                                                                                   "step": "any"}))
    hours = forms.DecimalField(label=_("hours"), max_digits=5, decimal_places=2, min_value=0, max_value=24,
                               required=False, widget=forms.NumberInput(attrs={"inputmode": "decimal",
                                                                               "step": "any"}))
    date = forms.DateField(label=_("date worked"), widget=DATE)

    def __init__(self, *args, workers=None, jobs=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["worker"].queryset = workers
        self.fields["worker"].label_from_instance = lambda w: w.person.name
        self.fields["job"].queryset = jobs
        self.fields["job"].label_from_instance = lambda j: f"{j.name} · {j.get_pay_kind_display()} · {j.unit}"

    def clean_date(self):
        day = self.cleaned_data["date"]
        if day > timezone.localdate():
            raise forms.ValidationError(_("Work cannot be recorded for a day still to come."))
        if day < timezone.localdate() - dt.timedelta(days=400):
            raise forms.ValidationError(_("That day is more than a year ago."))
        return day


class ReverseForm(forms.Form):
    reason = forms.CharField(label=_("reason"), max_length=200)


class PayRunForm(forms.Form):
    cycle = forms.DateField(label=_("pay cycle (month)"), widget=MONTH, input_formats=["%Y-%m", "%Y-%m-%d"])

    def clean_cycle(self):
        day = self.cleaned_data["cycle"].replace(day=1)
        if day > timezone.localdate():
            raise forms.ValidationError(_("That month has not begun."))
        return day


class PaymentForm(forms.Form):
    """A ledger row paid: the pay date and the proof (a bank transfer reference, or the worker's signature)."""

    pay_date = forms.DateField(label=_("pay date"), widget=DATE)
    transfer_ref = forms.CharField(label=_("bank transfer reference"), max_length=60, required=False)
    signature = forms.FileField(label=_("worker's signature (photo or scan)"), required=False,
                                widget=forms.ClearableFileInput(attrs={"accept": SCAN_TYPES}))

    def clean_signature(self):
        return _scan(self.cleaned_data.get("signature"))

    def clean_pay_date(self):
        day = self.cleaned_data["pay_date"]
        if day > timezone.localdate():
            raise forms.ValidationError(_("A payment cannot be recorded for a day still to come."))
        return day


class ConcernForm(forms.Form):
    description = forms.CharField(label=_("What is wrong?"), max_length=2000,
                                  widget=forms.Textarea(attrs={"rows": 5}),
                                  help_text=_("For example: pieces missing from my record, wages late or short."))


class SubsidyForm(forms.Form):
    kind = forms.ChoiceField(label=_("subsidy"), choices=())
    period_start = forms.DateField(label=_("from"), widget=DATE)
    period_end = forms.DateField(label=_("until"), widget=DATE)
    amount = forms.DecimalField(label=_("amount applied for (yuan)"), max_digits=12, decimal_places=2, min_value=0)

    def __init__(self, *args, **kwargs):
        from .models import SubsidyApplication

        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = SubsidyApplication.Kind.choices

    def clean(self):
        data = super().clean()
        start, end = data.get("period_start"), data.get("period_end")
        if start and end and end < start:
            self.add_error("period_end", _("The period cannot end before it starts."))
        return data


class ContractForm(forms.Form):
    """A contract extended or renewed: its new end and the new scan; its start and the first day stay."""

    contract_kind = forms.ChoiceField(label=_("contract"), choices=())
    contract_end = forms.DateField(label=_("contract until"), widget=DATE, required=False)
    contract_scan = forms.FileField(label=_("contract (scan)"), required=False,
                                    widget=forms.ClearableFileInput(attrs={"accept": SCAN_TYPES}))

    def __init__(self, *args, **kwargs):
        from .models import Worker

        super().__init__(*args, **kwargs)
        self.fields["contract_kind"].choices = Worker.ContractKind.choices

    def clean_contract_scan(self):
        return _scan(self.cleaned_data.get("contract_scan"))


class WorkerEndForm(forms.Form):
    ended_on = forms.DateField(label=_("last day of work"), widget=DATE)
    reason = forms.CharField(label=_("reason"), max_length=200)

    def clean_ended_on(self):
        day = self.cleaned_data["ended_on"]
        if day > timezone.localdate() + dt.timedelta(days=31):
            raise forms.ValidationError(_("Record the end within a month of it."))
        return day


WORKSHOP_NEW = ("name", "operator", "credit_code", "site", "room", "kind", "products", "hours", "opened_on",
                "contract_start", "contract_end", "insurer", "insurance_policy", "insurance_expires",
                "insurance_per_worker_month", "contact_name", "contact_phone")
# What the staff may change afterwards (services.WORKSHOP_FIELDS): the operator, site and opening day stay.
WORKSHOP_EDIT = tuple(f for f in WORKSHOP_NEW if f not in ("operator", "site", "opened_on"))
SCANS = ("licence_scan", "contract_scan")


class WorkshopForm(forms.Form):
    """A workshop registered or changed by the community's staff: the fields and labels of the model,
    the choices limited to the sites, rooms and organisations under the user's staff roles. The
    services check the credit code, the room's site and the contract's dates."""

    def __init__(self, *args, user, editing: bool = False, **kwargs):
        from django.forms.models import fields_for_model

        from linli.orgs.models import Organization
        from linli.places.models import Room, Site

        from .models import STAFF_ROLES, Workshop, WorkshopKind

        super().__init__(*args, **kwargs)
        names = WORKSHOP_EDIT if editing else WORKSHOP_NEW
        dates = {n: DATE for n in ("opened_on", "contract_start", "contract_end", "insurance_expires")}
        self.fields.update(fields_for_model(Workshop, fields=names, widgets=dates))
        for name in SCANS:
            self.fields[name] = forms.FileField(label=Workshop._meta.get_field(name).verbose_name, required=False,
                                                widget=forms.FileInput(attrs={"accept": SCAN_TYPES}))
        if "operator" in self.fields:
            self.fields["operator"].queryset = Organization.objects.visible_to(user, roles=STAFF_ROLES)
        if "site" in self.fields:
            self.fields["site"].queryset = Site.objects.visible_to(user, roles=STAFF_ROLES)
        self.fields["room"].queryset = Room.objects.visible_to(user, roles=STAFF_ROLES).select_related("site")
        self.fields["room"].label_from_instance = lambda r: f"{r.site.name} · {r.name}"
        self.fields["kind"].queryset = WorkshopKind.objects.order_by("pk")
        self.fields["credit_code"].widget.attrs.update({"autocapitalize": "characters", "spellcheck": "false"})
        self.fields["contact_phone"].widget.attrs.update({"inputmode": "tel"})

    def clean_licence_scan(self):
        return _scan(self.cleaned_data.get("licence_scan"))

    def clean_contract_scan(self):
        return _scan(self.cleaned_data.get("contract_scan"))

    def clean(self):
        data = super().clean()
        start, end = data.get("contract_start"), data.get("contract_end")
        if start and end and end < start:
            self.add_error("contract_end", _("The contract cannot end before it starts."))
        return data

    def changes(self) -> dict:
        """The cleaned values for the services, without an empty upload (the scan on file stays)."""
        return {k: v for k, v in self.cleaned_data.items() if not (k in SCANS and not v)}


class RosterForm(forms.Form):
    first = forms.DateField(label=_("from"), widget=DATE)
    last = forms.DateField(label=_("until"), widget=DATE)

    def clean(self):
        data = super().clean()
        first, last = data.get("first"), data.get("last")
        if first and last and last < first:
            self.add_error("last", _("The period cannot end before it starts."))
        if first and last and (last - first).days > 366:
            self.add_error("last", _("Choose a period of a year at most."))
        return data
