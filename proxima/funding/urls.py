from proxima.funding.views import urlpatterns

app_name = "funding"
__all__ = ["app_name", "urlpatterns"]
