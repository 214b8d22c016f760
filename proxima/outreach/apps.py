from django.apps import AppConfig


class OutreachConfig(AppConfig):
    name = "proxima.outreach"
    verbose_name = "Programme de lutte contre l'isolement des aînés"
