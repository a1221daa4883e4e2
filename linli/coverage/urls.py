from django.urls import path

from linli.coverage import views

app_name = "coverage"
urlpatterns = [
    path("", views.index, name="index"),
    path("<int:pk>/", views.division_page, name="division"),
    path("<int:pk>/run/", views.run_start, name="run_start"),
    path("<int:pk>/siting/", views.siting_start, name="siting_start"),
    path("<int:pk>/uncovered/", views.uncovered, name="uncovered"),
    path("<int:pk>/runs/<int:run_pk>/progress/", views.progress, name="progress"),
    path("<int:pk>/runs/<int:run_pk>/map.json", views.map_data, name="map_data"),
]
