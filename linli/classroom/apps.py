from django.apps import AppConfig


class ClassroomConfig(AppConfig):
    name = "linli.classroom"
    label = "classroom"
