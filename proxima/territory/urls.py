from django.urls import path

from proxima.territory import views

app_name = "territory"
urlpatterns = [
    path("tableau-de-bord/", views.dashboard, name="dashboard"),
    path("residences/", views.site_list, name="site_list"),
    path("residences/<int:pk>/", views.site_detail, name="site_detail"),
    path("logements/", views.dwelling_list, name="dwelling_list"),
]
