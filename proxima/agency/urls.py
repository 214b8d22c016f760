"""Staff pages of the mobile agency: each area of ``proxima.agency.views`` declares its own patterns."""

from proxima.agency.views import booking, letters, maps, plans, stops, visits

app_name = "agency"
urlpatterns = [
    *stops.urlpatterns,
    *plans.urlpatterns,
    *visits.urlpatterns,
    *maps.urlpatterns,
    *booking.urlpatterns,
    *letters.urlpatterns,
]
