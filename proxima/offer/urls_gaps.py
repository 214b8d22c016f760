"""Needs versus offer (``proxima.offer.views_gaps``)."""

from django.urls import path

from proxima.offer import views_gaps as views

app_name = "gaps"
urlpatterns = [
    path("", views.gap_list, name="list"),
    path("<str:level>/<str:key>/<str:need>/menages/", views.gap_households, name="households"),
]
