"""Staff pages of the mobile agency: each area of ``proxima.agency.views`` declares its own patterns."""

from proxima.agency.views import booking, letters, plans, stops

app_name = "agency"
urlpatterns = [
    *stops.urlpatterns,
    *plans.urlpatterns,
    *booking.urlpatterns,
    *letters.urlpatterns,
]
