"""collect views."""

urlpatterns = []
