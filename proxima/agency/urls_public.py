"""Public pages of the mobile agency (no login): schedules, calendar feeds, posters and booking."""

app_name = "agency_public"
urlpatterns = []
