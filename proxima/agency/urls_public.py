"""Public pages of the mobile agency (no login): schedules, calendar feeds, posters and booking."""

from proxima.agency.views import booking, public

app_name = "agency_public"
urlpatterns = [
    *public.urlpatterns,
    *booking.public_urlpatterns,
]
