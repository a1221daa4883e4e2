from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CanteenConfig(AppConfig):
    name = "linli.canteen"
    label = "canteen"
    verbose_name = _("Elderly canteen")

    def ready(self):
        from linli.canteen import demo, selectors
        from linli.core.stats import register_section
        from linli.demo.generator import register_extension

        register_section("canteen", selectors.figures)
        from linli.canteen.public import site_menu
        from linli.public.blocks import register_site_block

        register_site_block(order=50, template="canteen/_public_menu.html", context=site_menu)
        register_extension(demo.extend)
