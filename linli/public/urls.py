from django.urls import path

from linli.public import views

app_name = "public"
urlpatterns = [
    path("", views.directory, name="directory"),
    path("sites/<int:pk>/", views.site, name="site"),
    path("calendar/", views.calendar, name="calendar"),
    path("calendar.ics", views.ical, name="ical"),
    path("night-talks/", views.night_talks, name="night_talks"),
    path("verify/", views.verify, name="verify"),
]
