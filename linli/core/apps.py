from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "linli.core"
    label = "core"

    def ready(self):
        from linli.core.home import charts_block, register_block

        register_block(order=5, template="core/_charts_block.html", context=charts_block)

        from linli.core import trends

        trends.register_rollups()

        from linli.core import rollups

        rollups.connect_marks()

        from linli.core import caching

        caching.connect()

        from linli.core import choices

        choices.install()
