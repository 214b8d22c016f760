"""respond views."""

urlpatterns = []
