"""paper views."""

urlpatterns = []
