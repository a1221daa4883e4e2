from django.apps import AppConfig


class VolunteersConfig(AppConfig):
    name = "linli.volunteers"
    label = "volunteers"
