from django.urls import path

app_name = "places"
urlpatterns = [
    path("sites/", lambda r: None, name="site_list"),
    path("bookings/", lambda r: None, name="booking_list"),
    path("bookings/<int:pk>/", lambda r, pk: None, name="booking_detail"),
]
