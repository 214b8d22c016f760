"""Staff pages of the mobile agency: each area of ``proxima.agency.views`` declares its own patterns."""

from proxima.agency.views import booking, letters

app_name = "agency"
urlpatterns = [
    *booking.urlpatterns,
    *letters.urlpatterns,
]
