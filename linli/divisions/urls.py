from django.urls import path

from linli.divisions import views

app_name = "divisions"
urlpatterns = [
    path("", views.division_tree, name="tree"),
]
