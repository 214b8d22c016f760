from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "proxima.core"

    def ready(self):
        from proxima.core import lookups  # noqa: F401 - registers the any_of lookup
