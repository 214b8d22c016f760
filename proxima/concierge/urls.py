"""Staff pages of the concierge: each area of ``proxima.concierge.views`` declares its own patterns."""

from proxima.concierge.views import activities, history, loans, office_hours, requests, settings

app_name = "concierge"
urlpatterns = [
    *requests.urlpatterns,
    *loans.urlpatterns,
    *office_hours.urlpatterns,
    *activities.urlpatterns,
    *history.urlpatterns,
    *settings.urlpatterns,
]
