from django.apps import AppConfig


class OrgsConfig(AppConfig):
    name = "linli.orgs"
    label = "orgs"

    def ready(self):
        from auditlog.registry import auditlog

        from linli.orgs.models import Organization

        auditlog.register(Organization)
