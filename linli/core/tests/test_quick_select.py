"""core.forms.QuickSelect writes the same HTML as Django's Select through its templates."""

import pytest
from django import forms

from linli.core.forms import QuickSelect
from linli.divisions.models import Division

ATTRS = {"id": "id_f", "required": True, "disabled": False, "data-x": 'q"<'}


class QuickMultiple(QuickSelect, forms.SelectMultiple):
    pass


@pytest.mark.parametrize(("field", "value"), [
    (forms.ChoiceField(choices=[("", "全部"), ("a", "A & <b>"), ("b", 'B"q')]), "a"),
    (forms.ChoiceField(choices=[("", "all"), ("G1", [("x", "X"), ("y", "Y")]), ("z", "Z")]), "y"),
    (forms.TypedChoiceField(choices=[(1, "one"), (2, "two")], coerce=int), 2),
    (forms.MultipleChoiceField(choices=[("a", "A"), ("b", "B")]), ["a", "b"]),
])
def test_the_same_html_as_djangos_select(field, value):
    quick = (QuickMultiple if isinstance(field.widget, forms.SelectMultiple) else QuickSelect)(choices=field.choices)
    assert quick.render("f", value, attrs=ATTRS) == field.widget.render("f", value, attrs=ATTRS)


def test_the_same_html_for_a_model_choice(county):
    field = forms.ModelChoiceField(queryset=Division.objects.order_by("path"), empty_label="全部社区")
    reference = field.widget.render("division", county["A"].pk, attrs=ATTRS)
    field.widget = QuickSelect()
    field.widget.choices = field.choices
    assert field.widget.render("division", county["A"].pk, attrs=ATTRS) == reference
    assert f'<option value="{county["A"].pk}" selected>' in reference
