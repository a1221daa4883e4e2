from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "linli.cases"
    label = "cases"
    verbose_name = _("Residents' voice")

    def ready(self):
        from linli.cases.home import requests
        from linli.core.home import register_block

        register_block(order=30, template="cases/_home_block.html", context=requests)
        from linli.cases import demo, selectors
        from linli.core.stats import register_section
        from linli.demo.generator import register_extension

        register_section("cases", selectors.figures)
        from linli.core.rollups import register_rollup

        register_rollup("cases.top_categories", lambda user: selectors.top_categories(user))
        register_extension(demo.extend)
