"""Job errors and task names in the reader's language: the row keeps a key and its parameters, the
page translates them when it shows them (a job failed in a Chinese worker reads in English too)."""

from django.utils.translation import gettext_lazy as _

MESSAGES = {
    "vanished": _("What this job works on no longer exists (%(what)s); the job gave up."),
    "worker_lost": _("The worker running this job stopped (attempt %(attempt)s of %(allowed)s)."),
    "exception": _("The job failed unexpectedly (%(kind)s)."),
    "unknown_task": _("Unknown task %(task)s: it is not installed on this worker."),
    "export_forbidden": _("You may no longer export this: your role has changed."),
    "message": _("%(text)s"),
}

TASK_LABELS = {
    "linli.grids.services.register_import_commit_job": _("Register import"),
    "linli.coverage.services.coverage_run_execute": _("Coverage run"),
    "linli.coverage.services.coverage_site_execute": _("Siting of new centers"),
    "linli.coverage.services.coverage_runs_interrupt_stale": _("Mark stale coverage runs"),
    "linli.classroom.services.late_pickup_scan": _("Late pick-up scan"),
    "linli.classroom.services.anonymise_expired": _("Classroom retention"),
    "linli.volunteers.services.shift_reminders_send": _("Shift reminders"),
    "linli.jobs.services.jobs_prune": _("Prune old jobs"),
    "linli.notifications.services.deliveries_send": _("Send notifications"),
    "linli.notifications.services.deliveries_send_due": _("Send due notifications"),
    "linli.activities.services.activity_reminders_send": _("Activity reminders"),
    "linli.cases.services.cases_overdue_notify": _("Overdue cases to their owners"),
    "linli.grids.services.care_visits_overdue_notify": _("Overdue care visits to grid workers"),
    "linli.core.rollups.refresh_all": _("Refresh the figures"),
    "linli.core.rollups.refresh_changed": _("Refresh the figures"),
    "linli.core.rollups.scope_compute": _("Refresh the figures"),
    "linli.core.backup.backup_nightly": _("Nightly backup"),
    "linli.jobs.exports.export_build": _("Export"),
}


def _what(label: str) -> str:
    from django.apps import apps

    try:
        return str(apps.get_model(label)._meta.verbose_name)
    except (LookupError, ValueError):
        return label or "?"


def message(key: str, params: dict) -> str:
    template = MESSAGES.get(key, MESSAGES["exception"])
    if key == "vanished":
        params = {**params, "what": _what(params.get("model", ""))}
    try:
        return str(template) % {"what": "", "attempt": "", "allowed": "", "kind": key, "task": "", "text": "",
                                **(params or {})}
    except (TypeError, ValueError, KeyError):
        return str(MESSAGES["exception"]) % {"kind": key}


def task_label(task: str) -> str:
    label = TASK_LABELS.get(task)
    return str(label) if label else task.rsplit(".", 1)[-1].replace("_", " ")
