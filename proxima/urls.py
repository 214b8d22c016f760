from django.urls import include, path

from proxima.api import api

urlpatterns = [
    path("", include("proxima.core.urls")),
    path("comptes/", include("proxima.accounts.urls")),
    path("territoire/", include("proxima.territory.urls")),
    path("menages/", include("proxima.households.urls")),
    path("imports/", include("proxima.imports.urls")),
    path("besoins/", include("proxima.needs.urls")),
    path("repondre/", include("proxima.needs.urls_public")),
    path("agence/", include("proxima.agency.urls")),
    path("agence-mobile/", include("proxima.agency.urls_public")),
    path("offre/", include("proxima.offer.urls")),
    path("aines/", include("proxima.outreach.urls")),
    path("financements/", include("proxima.funding.urls")),
    path("conciergerie/", include("proxima.concierge.urls")),
    path("conciergerie-solidaire/", include("proxima.concierge.urls_public")),
    path("facturation/", include("proxima.billing.urls")),
    path("orientations/", include("proxima.offer.urls_referrals")),
    path("besoins-offre/", include("proxima.offer.urls_gaps")),
    path("api/", api.urls),
]
