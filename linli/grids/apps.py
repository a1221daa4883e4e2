from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GridsConfig(AppConfig):
    name = "linli.grids"
    label = "grids"
    verbose_name = _("Grids and households")

    def ready(self):
        from linli.core.stats import register_section
        from linli.demo.generator import register_extension
        from linli.grids import demo, selectors

        register_section("visits", selectors.visits_figures)
        register_section("campaigns", selectors.campaigns_figures)
        register_extension(demo.extend)
