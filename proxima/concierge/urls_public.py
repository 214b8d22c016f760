"""Pages of the concierge for inhabitants (no login): what it offers, requests, appointments, follow-up by code."""

from proxima.concierge.views import public

app_name = "concierge_public"
urlpatterns = public.urlpatterns
