"""outreach views."""

urlpatterns = []
