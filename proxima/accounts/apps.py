from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "proxima.accounts"
    verbose_name = "Comptes"

    def ready(self):
        from proxima.accounts import audit

        audit.connect_signals()
