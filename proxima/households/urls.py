from django.urls import path

from proxima.households import views

app_name = "households"
urlpatterns = [
    path("", views.household_list, name="list"),
    path("<int:pk>/", views.household_detail, name="detail"),
    path("<int:pk>/consentements/", views.consent_create, name="consent_create"),
    path("<int:pk>/consentements/<int:consent_pk>/retrait/", views.consent_withdraw, name="consent_withdraw"),
]
