from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ClassroomConfig(AppConfig):
    name = "linli.classroom"
    label = "classroom"
    verbose_name = _("Four-thirty classroom")

    def ready(self):
        from linli.classroom import demo, selectors
        from linli.core.stats import register_section
        from linli.demo.generator import register_extension

        register_section("classroom", selectors.figures)
        from linli.core.rollups import register_rollup

        register_rollup("classroom.by_site", selectors.figures_by_site_rollup)
        register_extension(demo.extend)
