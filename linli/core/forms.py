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
