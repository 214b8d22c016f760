"""analysis views."""

urlpatterns = []
