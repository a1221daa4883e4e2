import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from linli.core.dates import event_date_validator
from linli.core.forms import DATE, TIME, QuickSelect
from linli.places import selectors, services
from linli.places.models import Booking, OpeningHours, Room, Site

WEEKDAYS = OpeningHours._meta.get_field("weekday").choices


class ServiceModelForm(forms.ModelForm):
    def _post_clean(self):
        # The service validates the model (with clearer station/point and overlap errors); the form
        # only checks what was typed.
        pass


class SiteForm(ServiceModelForm):
    coords_gcj02 = forms.BooleanField(
        label=_("The coordinates are GCJ-02 (from a Chinese map app such as Amap or Tencent Maps)"),
        required=False, initial=True,
        help_text=_("Tick this when you copied the point from a Chinese map app; Linli stores WGS-84."))

    class Meta:
        model = Site
        fields = ["name", "division", "is_neighborhood_center", "practice_role", "station", "placement",
                  "address", "lat", "lng", "floor_area_m2", "contact_name", "contact_phone", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    field_order = Meta.fields[:9] + ["coords_gcj02"] + Meta.fields[9:]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["division"].queryset = selectors.managed_communities(user=user)
        self.fields["station"].queryset = Site.objects.visible_to(user).filter(
            practice_role=Site.PracticeRole.STATION).select_related("division")
        self.fields["station"].help_text = _("Only for a point: the station of the same community.")
        if self.instance.pk:
            self.fields["coords_gcj02"].initial = False
        self.fields["lat"].label, self.fields["lng"].label = _("latitude"), _("longitude")
        for name in ("lat", "lng"):
            self.fields[name].widget.attrs.update({"step": "any", "inputmode": "decimal"})


class OpeningHoursRowForm(forms.Form):
    """One opening interval. A row left entirely empty is ignored (the blank extra rows, or a cleared row)."""

    weekday = forms.TypedChoiceField(label=_("weekday"), choices=[("", "—"), *WEEKDAYS], coerce=int,
                                     empty_value=None, required=False)
    opens = forms.TimeField(label=_("opens"), widget=TIME, required=False)
    closes = forms.TimeField(label=_("closes"), widget=TIME, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():  # the rows have one header, not a label per input
            field.widget.attrs["aria-label"] = field.label

    def clean(self):
        data = super().clean()
        given = [name for name in ("weekday", "opens", "closes") if data.get(name) is not None]
        if given and len(given) < 3:
            for name in {"weekday", "opens", "closes"} - set(given):
                self.add_error(name, forms.Field.default_error_messages["required"])
        elif data.get("opens") and data.get("closes") and data["closes"] <= data["opens"]:
            self.add_error("closes", _("Closing time must be after opening time."))
        return data

    def interval(self):
        data = self.cleaned_data
        if data.get("DELETE") or data.get("weekday") is None:
            return None
        return data["weekday"], data["opens"], data["closes"]


OpeningHoursFormSet = forms.formset_factory(OpeningHoursRowForm, extra=2, can_delete=True, max_num=28,
                                            validate_max=True)


class OpeningExceptionForm(forms.Form):
    date = forms.DateField(label=_("date"), widget=DATE)
    closed = forms.BooleanField(label=_("closed all day"), required=False, initial=True)
    opens = forms.TimeField(label=_("opens"), widget=TIME, required=False)
    closes = forms.TimeField(label=_("closes"), widget=TIME, required=False)
    note = forms.CharField(label=_("note"), max_length=100, required=False,
                           help_text=_("For example: Spring Festival"))


class RoomForm(ServiceModelForm):
    class Meta:
        model = Room
        fields = list(services.ROOM_FIELDS)


class BookingForm(forms.Form):
    date = forms.DateField(label=_("date"), widget=DATE, validators=[event_date_validator])
    start_time = forms.TimeField(label=_("from"), widget=TIME)
    end_time = forms.TimeField(label=_("to"), widget=TIME)
    purpose = forms.CharField(label=_("purpose"), max_length=200,
                              help_text=_("For example: calligraphy class for seniors"))
    attendees = forms.IntegerField(label=_("expected attendees"), min_value=1, max_value=10000, required=False)

    # Service errors name the model's fields; show them under the fields of this form.
    RENAME = {"start": "start_time", "end": "end_time"}

    def span(self) -> tuple[dt.datetime, dt.datetime]:
        tz = timezone.get_current_timezone()
        d = self.cleaned_data["date"]
        return (dt.datetime.combine(d, self.cleaned_data["start_time"], tzinfo=tz),
                dt.datetime.combine(d, self.cleaned_data["end_time"], tzinfo=tz))


class BookingSeriesForm(forms.Form):
    weekdays = forms.TypedMultipleChoiceField(label=_("weekdays"), choices=WEEKDAYS, coerce=int,
                                              widget=forms.CheckboxSelectMultiple)
    start_date = forms.DateField(label=_("first date"), widget=DATE, validators=[event_date_validator])
    end_date = forms.DateField(label=_("last date"), widget=DATE, validators=[event_date_validator])
    start_time = forms.TimeField(label=_("from"), widget=TIME)
    end_time = forms.TimeField(label=_("to"), widget=TIME)
    purpose = forms.CharField(label=_("purpose"), max_length=200)


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("reason"), max_length=200, required=False)


class BookingFilterForm(forms.Form):
    status = forms.ChoiceField(label=_("status"), required=False, widget=QuickSelect,
                               choices=[("", _("All statuses"))] + list(Booking.Status.choices))
    mine = forms.BooleanField(label=_("Only my own bookings"), required=False)
