"""What every app's forms share: showing a service's errors on the form, date and time inputs."""

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
TIME = forms.TimeInput(attrs={"type": "time", "step": 900}, format="%H:%M")


def apply_errors(form, error: ValidationError, rename: dict | None = None) -> None:
    """Show a service's ValidationError on the form: under the field it names (after `rename`), or on
    top of the form when the field is not on it."""
    rename = rename or {}
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for field, errors in error.error_dict.items():
        field = rename.get(field, field)
        form.add_error(field if field in form.fields and field != NON_FIELD_ERRORS else None, errors)


def preselect_own_division(form, field_name: str, user) -> None:
    """A new form starts at the user's own community: the one choice there is, or the one division
    among the choices that a grant of theirs names. A bound form keeps what was sent."""
    from linli.core.scoping import user_grants

    field = form.fields[field_name]
    if form.is_bound or form.initial.get(field_name) or field.initial:
        return
    choices = list(field.queryset.values_list("pk", flat=True)[:2])
    if len(choices) == 1:
        form.initial[field_name] = choices[0]
        return
    granted = field.queryset.filter(pk__in={d for _, _, d in user_grants(user)}).values_list("pk", flat=True)[:2]
    if len(granted) == 1:
        form.initial[field_name] = granted[0]


class QuickSelect(forms.Select):
    """A <select> written in Python rather than through the widget templates: the same HTML as
    Django's select.html / select_option.html / attrs.html, without a template include per option
    (a list page's filter with the county's communities rendered some forty includes per view)."""

    def render(self, name, value, attrs=None, renderer=None):
        context = self.get_context(name, value, attrs)["widget"]
        parts = [format_html('<select name="{}"{}>', context["name"], _attrs(context["attrs"]))]
        for group_name, options, _index in context["optgroups"]:
            if group_name:
                parts.append(format_html('\n  <optgroup label="{}">', group_name))
            for option in options:
                parts.append(format_html('\n  <option value="{}"{}>{}</option>\n', str(option["value"]),
                                         _attrs(option["attrs"]), option["label"]))
            if group_name:
                parts.append(mark_safe("\n  </optgroup>"))
        parts.append(mark_safe("\n</select>"))
        return mark_safe("".join(parts))


def _attrs(attrs: dict) -> str:
    return format_html_join("", "{}", ((format_html(' {}', k) if v is True else format_html(' {}="{}"', k, str(v)),)
                                       for k, v in attrs.items() if v is not False))
