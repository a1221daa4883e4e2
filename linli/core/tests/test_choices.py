"""get_FOO_display() reads the same labels as Django's, in the active language, with fewer gettext calls."""

from unittest import mock

import pytest
from django.db.models import Model
from django.utils import translation

from linli.cases.models import Case
from linli.places.models import Booking


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_labels_are_djangos_in_each_language(language):
    with translation.override(language):
        for status in Case.Status.values:
            case = Case(status=status, kind="order", priority="normal")
            assert case.get_status_display() == Model._get_FIELD_display(case, Case._meta.get_field("status"))
        for status in Booking.Status.values:
            booking = Booking(status=status)
            assert booking.get_status_display() == Model._get_FIELD_display(booking, Booking._meta.get_field("status"))
    assert Case(status="no-such").get_status_display() == "no-such"  # an unknown value shows as itself
    assert Case(status=None).get_status_display() is None


def test_one_label_translated_per_call():
    from django.utils.translation import trans_real

    case = Case(status=Case.Status.NEW)
    with translation.override("en"):
        catalogue = trans_real._active.value  # the active language's translations
        with mock.patch.object(catalogue, "gettext", wraps=catalogue.gettext) as gettext:
            case.get_status_display()
            ours = gettext.call_count
            Model._get_FIELD_display(case, Case._meta.get_field("status"))
            djangos = gettext.call_count - ours
    assert ours == 1 and djangos >= len(Case.Status.choices)  # Django translates every label
