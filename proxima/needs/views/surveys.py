"""surveys views."""

urlpatterns = []
