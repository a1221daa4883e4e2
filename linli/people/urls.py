from django.urls import path

app_name = "people"
urlpatterns = [
    path("households/", lambda r: None, name="household_list"),
]
