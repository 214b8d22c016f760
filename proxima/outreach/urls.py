from django.urls import path

from proxima.outreach import views

app_name = "outreach"
urlpatterns = [
    path("", views.programme_list, name="programme_list"),
    path("programmes/nouveau/", views.programme_create, name="programme_create"),
    path("programmes/<int:pk>/", views.programme_detail, name="programme_detail"),
    path("programmes/<int:pk>/modifier/", views.programme_update, name="programme_update"),
    path("programmes/<int:pk>/inscrire-depuis-la-liste/", views.programme_enrol_list, name="programme_enrol_list"),
    path("programmes/<int:pk>/inscrire/", views.programme_enrol, name="programme_enrol"),
    path("suivis/<int:pk>/", views.enrolment_detail, name="enrolment_detail"),
    path("suivis/<int:pk>/accord/", views.enrolment_consent, name="enrolment_consent"),
    path("suivis/<int:pk>/plan/", views.enrolment_plan, name="enrolment_plan"),
    path("suivis/<int:pk>/plans/<int:plan_pk>/arreter/", views.plan_stop, name="plan_stop"),
    path("suivis/<int:pk>/fin/", views.enrolment_end, name="enrolment_end"),
    path("suivis/<int:pk>/contact/", views.contact_record, name="contact_record"),
    path("mes-contacts/", views.my_contacts, name="my_contacts"),
    path("alertes/", views.alert_list, name="alert_list"),
    path("alertes/<int:pk>/", views.alert_detail, name="alert_detail"),
    path("alertes/<int:pk>/etat/", views.alert_transition, name="alert_transition"),
]
