from django.apps import AppConfig


class CoverageConfig(AppConfig):
    name = "linli.coverage"
    label = "coverage"
