from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkshopsConfig(AppConfig):
    name = "linli.workshops"
    label = "workshops"
    verbose_name = _("Employment-assistance workshops")

    def ready(self):
        from linli.core.stats import register_section
        from linli.demo.generator import register_extension
        from linli.workshops import demo, notices, selectors

        register_section("workshops", selectors.figures)
        register_extension(demo.extend)
        notices.register()
        from linli.grids.selectors import register_visit_prompt

        register_visit_prompt(selectors.visit_prompts)
        from linli.workshops import page_rollups  # the checks page's rollup (UI side)

        page_rollups.register()
