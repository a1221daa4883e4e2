from django.apps import AppConfig
from django.db.models.signals import post_delete
from django.utils.translation import gettext_lazy as _


def _remove_network_file(sender, instance, **kwargs):
    """The stored arrays go with their record (the source file is not ours and stays)."""
    try:
        instance.path.unlink(missing_ok=True)
    except OSError:
        pass


class CoverageConfig(AppConfig):
    name = "linli.coverage"
    label = "coverage"
    verbose_name = _("15-minute service circle")

    def ready(self):
        from linli.core.home import register_block
        from linli.core.stats import register_section
        from linli.coverage import demo, selectors
        from linli.coverage.models import StreetNetwork
        from linli.demo.generator import register_extension

        register_section("coverage", selectors.figures)
        register_block(order=5, template="coverage/_home_nearest.html", context=selectors.nearest_home_block)
        register_extension(demo.extend)
        post_delete.connect(_remove_network_file, sender=StreetNetwork, dispatch_uid="coverage_network_file")
