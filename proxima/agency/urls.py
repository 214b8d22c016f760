"""Staff pages of the mobile agency: each area of ``proxima.agency.views`` declares its own patterns."""

from proxima.agency.views import maps, visits

app_name = "agency"
urlpatterns = [
    *visits.urlpatterns,
    *maps.urlpatterns,
]
