app_name = "classroom"
urlpatterns = []
