from django.apps import AppConfig


class GridsConfig(AppConfig):
    name = "linli.grids"
    label = "grids"
