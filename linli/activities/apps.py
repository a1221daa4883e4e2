from django.apps import AppConfig


class ActivitiesConfig(AppConfig):
    name = "linli.activities"
    label = "activities"
