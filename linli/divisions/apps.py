from django.apps import AppConfig


class DivisionsConfig(AppConfig):
    name = "linli.divisions"
    label = "divisions"
