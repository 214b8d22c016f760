from django.apps import AppConfig


class TerritoryConfig(AppConfig):
    name = "proxima.territory"
