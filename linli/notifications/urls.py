from django.urls import path

from linli.notifications import views

app_name = "notifications"
urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("read-all/", views.read_all, name="read_all"),
    path("settings/", views.settings_page, name="settings"),
    path("deliveries/", views.deliveries, name="deliveries"),
    path("<int:pk>/read/", views.read, name="read"),
    path("<int:pk>/open/", views.open_link, name="open"),
]
