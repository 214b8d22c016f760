from django.apps import AppConfig


class OfferConfig(AppConfig):
    name = "proxima.offer"
