app_name = "households"
urlpatterns = []
