"""The county office's checks page reads its findings from a rollup (core.rollups), kept by the job
schedule's refresh like the other figures pages: the five checks go through every worker, ledger row
and application of the scope, far more queries than a page may spend. The live computation stays in
selectors.county_checks; the findings' texts are kept in each language the site offers."""

from django.conf import settings
from django.utils import translation

from . import selectors

NAME = "workshops.checks"


def checks_rollup(user) -> dict:
    """{language: {check: [{"workshop_id", "text"}]}} for the viewer's scope."""
    out = {}
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            found = selectors.county_checks(user=user)
            out[code] = {name: [{"workshop_id": f.workshop_id, "text": str(f.text)} for f in rows]
                         for name, rows in found.items()}
    return out


def register() -> None:
    from linli.core.rollups import register_rollup

    register_rollup(NAME, checks_rollup)
