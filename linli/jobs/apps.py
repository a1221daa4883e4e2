from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class JobsConfig(AppConfig):
    name = "linli.jobs"
    label = "jobs"
    verbose_name = _("Background jobs")

    def ready(self):
        from linli.core.stats import register_section
        from linli.jobs import checks, selectors  # noqa: F401  (checks registers itself)

        register_section("jobs", selectors.figures)
