from django.urls import path

from proxima.billing import views

app_name = "billing"

urlpatterns = [
    path("services/", views.service_list, name="service_list"),
    path("services/nouveau/", views.service_create, name="service_create"),
    path("services/<int:pk>/", views.service_update, name="service_update"),
    path("services/<int:pk>/regles/", views.rule_add, name="rule_add"),
    path("accords/nouveau/", views.agreement_create, name="agreement_create"),
    path("mois/", views.run_list, name="run_list"),
    path("mois/lancer/", views.run_start, name="run_start"),
    path("mois/<int:pk>/", views.run_detail, name="run_detail"),
    path("mois/<int:pk>/avancement/", views.run_progress, name="run_progress"),
    path("mois/<int:pk>/cloturer/", views.run_close, name="run_close"),
    path("mois/<int:pk>/lignes/", views.line_list, name="line_list"),
    path("menages/<int:pk>/decompte/", views.statement, name="statement"),
]
