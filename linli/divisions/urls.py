app_name = "divisions"
urlpatterns = []
