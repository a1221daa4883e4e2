"""`get_FOO_display()` without re-reading every choice on every call.

Django's `Model._get_FIELD_display` builds `dict(make_hashable(field.flatchoices))` on each call, and
hashing a lazy label translates it: a status with eight choices costs eight gettext calls for one
badge, some five hundred on a page of twenty cases (docs/performance.md). `install()` gives each
choice field of the project's models a display method reading a dict built once per field (values to
their lazy labels); the label shown is translated once, in the active language, as before.
"""

from functools import partialmethod

from django.apps import apps
from django.utils.encoding import force_str
from django.utils.hashable import make_hashable


def _display(self, *, field, labels):
    value = getattr(self, field.attname)
    return force_str(labels.get(make_hashable(value), value), strings_only=True)


def install(prefix: str = "linli.") -> int:
    """For every concrete model of the apps under `prefix`; returns how many fields it covered."""
    n = 0
    for model in apps.get_models():
        if not model.__module__.startswith(prefix):
            continue
        for field in model._meta.concrete_fields:
            if not field.choices or callable(getattr(field, "_choices", None)):
                continue
            name = f"get_{field.name}_display"
            if name in model.__dict__ and not isinstance(model.__dict__[name], partialmethod):
                continue  # the model wrote its own
            labels = {make_hashable(value): label for value, label in field.flatchoices}
            setattr(model, name, partialmethod(_display, field=field, labels=labels))
            n += 1
    return n
