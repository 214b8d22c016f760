from django.apps import AppConfig


class AgencyConfig(AppConfig):
    name = "proxima.agency"
