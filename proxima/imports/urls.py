from django.urls import path

from proxima.imports import views

app_name = "imports"
urlpatterns = [
    path("", views.import_list, name="list"),
    path("<int:pk>/", views.import_detail, name="detail"),
    path("<int:pk>/progression/", views.import_progress, name="progress"),
    path("<int:pk>/confirmer/", views.import_confirm, name="confirm"),
    path("<int:pk>/abandonner/", views.import_discard, name="discard"),
    path("<int:pk>/erreurs/", views.import_issues, name="issues"),
]
