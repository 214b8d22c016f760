"""Referrals: the landlord's pages and the partner's inbox (``proxima.offer.views_referrals``)."""

from django.urls import path

from proxima.offer import views_referrals as views

app_name = "referrals"
urlpatterns = [
    path("", views.referral_list, name="list"),
    path("<int:pk>/", views.referral_detail, name="detail"),
    path("nouvelle/menage/<int:household_pk>/", views.referral_create_household, name="create_household"),
    path("nouvelle/personne/", views.referral_create_person, name="create_person"),
    path("<int:pk>/accepter/", views.referral_accept, name="accept"),
    path("<int:pk>/refuser/", views.referral_refuse, name="refuse"),
    path("<int:pk>/realisee/", views.referral_complete, name="complete"),
    path("<int:pk>/abandonner/", views.referral_abandon, name="abandon"),
    path("delais/", views.referral_settings, name="settings"),
    path("recues/", views.inbox, name="inbox"),
    path("recues/<int:pk>/", views.inbox_detail, name="inbox_detail"),
]
