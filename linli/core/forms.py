"""What every app's forms share: showing a service's errors on the form, date and time inputs."""

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError

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
