"""Staff pages of the mobile agency: each area of ``proxima.agency.views`` declares its own patterns."""

app_name = "agency"
urlpatterns = []
