"""System check: every schedule entry can be read and its task imported (a typo is a warning on
`linli check`, not a crash of the worker)."""

from django.core.checks import Warning, register


@register()
def schedule_check(app_configs=None, **kwargs):
    from linli.jobs import schedule

    items, problems = schedule.entries()
    out = [Warning(f"LINLI_SCHEDULE entry {p}", id="jobs.W001") for p in problems]
    for entry in items:
        why = entry.problem()
        if why:
            out.append(Warning(f"LINLI_SCHEDULE entry {entry.name!r}: {why}", hint="Fix the dotted path or set the entry to None.",
                               id="jobs.W002"))
    return out
