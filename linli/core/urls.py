from django.urls import path

from linli.core import views

app_name = "core"
urlpatterns = [
    path("", views.home, name="home"),
    path("map/", views.map_page, name="map"),
    path("map/data.json", views.map_data, name="map_data"),
    path("healthz", views.healthz, name="healthz"),
]
