from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "linli.notifications"
    label = "notifications"
    verbose_name = _("Notifications")

    def ready(self):
        from linli.core.stats import register_section
        from linli.demo.generator import register_extension
        from linli.notifications import demo, selectors

        register_section("notifications", selectors.figures)
        # Last: the other extensions have built the cases, visits and people the messages are about.
        register_extension(demo.extend, last=True)
