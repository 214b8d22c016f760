from django.apps import AppConfig


class HouseholdsConfig(AppConfig):
    name = "proxima.households"

    def ready(self):
        from proxima.households import signals

        signals.connect()
