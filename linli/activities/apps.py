from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ActivitiesConfig(AppConfig):
    name = "linli.activities"
    label = "activities"
    verbose_name = _("Civilization-practice activities")

    def ready(self):
        from linli.activities import signals  # noqa: F401  (registrations follow their site)
        from linli.activities.home import my_signups
        from linli.core.home import register_block

        register_block(order=10, template="activities/_home_block.html", context=my_signups)
        from linli.activities import selectors
        from linli.core.stats import register_section

        register_section("activities", selectors.figures)
        from linli.activities import demo
        from linli.demo.generator import register_extension

        register_extension(demo.reading_club, last=True)  # after the volunteers' series, before the holds
        register_extension(demo.hold_rooms, last=True)  # after every extension that writes dates
