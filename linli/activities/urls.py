from django.urls import path

from linli.activities import views

app_name = "activities"
urlpatterns = [
    path("", views.occurrence_list, name="list"),
    path("mine/", views.my_registrations, name="mine"),
    path("new/", views.activity_create, name="activity_create"),
    path("calendar/", views.calendar, name="calendar"),
    path("ledger/", views.ledger, name="ledger"),
    path("ical/<str:token>.ics", views.ical, name="ical"),
    path("<int:pk>/", views.activity_detail, name="activity_detail"),
    path("<int:pk>/edit/", views.activity_edit, name="activity_edit"),
    path("<int:pk>/cancel/", views.activity_cancel, name="activity_cancel"),
    path("occurrences/<int:pk>/", views.occurrence_detail, name="occurrence_detail"),
    path("occurrences/<int:pk>/signup/", views.signup, name="signup"),
    path("occurrences/<int:pk>/edit/", views.occurrence_edit, name="occurrence_edit"),
    path("occurrences/<int:pk>/cancel/", views.occurrence_cancel, name="occurrence_cancel"),
    path("occurrences/<int:pk>/roster/", views.roster, name="roster"),
    path("occurrences/<int:pk>/door/", views.door, name="door"),
    path("occurrences/<int:pk>/qr.svg", views.qr, name="qr"),
    path("occurrences/<int:pk>/sheet/", views.sign_in_sheet, name="sheet"),
    path("checkin/<int:pk>/<str:code>/", views.checkin, name="checkin"),
    path("registrations/<int:pk>/cancel/", views.registration_cancel, name="registration_cancel"),
    path("registrations/<int:pk>/review/", views.review, name="review"),
]
