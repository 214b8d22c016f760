from django.urls import path

from proxima.billing import views

app_name = "billing"

urlpatterns = [
    path("services/", views.service_list, name="service_list"),
    path("services/nouveau/", views.service_create, name="service_create"),
    path("services/<int:pk>/", views.service_update, name="service_update"),
    path("services/<int:pk>/regles/", views.rule_add, name="rule_add"),
    path("services/<int:pk>/abonnes/", views.subscription_list, name="subscription_list"),
    path("abonnements/<int:pk>/resilier/", views.subscription_end, name="subscription_end"),
    path("accords/nouveau/", views.agreement_create, name="agreement_create"),
    path("accords/<int:pk>/", views.agreement_update, name="agreement_update"),
    path("mois/", views.run_list, name="run_list"),
    path("mois/lancer/", views.run_start, name="run_start"),
    path("mois/<int:pk>/", views.run_detail, name="run_detail"),
    path("mois/<int:pk>/avancement/", views.run_progress, name="run_progress"),
    path("mois/<int:pk>/cloturer/", views.run_close, name="run_close"),
    path("mois/<int:pk>/lignes/", views.line_list, name="line_list"),
    path("menages/<int:pk>/", views.household_billing, name="household"),
    path("menages/<int:pk>/sortie/", views.exit_record, name="exit_record"),
    path("menages/<int:pk>/abonnements/", views.household_subscribe, name="household_subscribe"),
    path("menages/<int:pk>/decompte/", views.statement, name="statement"),
]
