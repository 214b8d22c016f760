"""Staff pages of the offer: each area of ``proxima.offer.views`` declares its own patterns."""

from proxima.offer.views import bundles, catalogue, partners

app_name = "offer"
urlpatterns = [
    *catalogue.urlpatterns,
    *partners.urlpatterns,
    *bundles.urlpatterns,
]
