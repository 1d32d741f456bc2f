from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Readers and staff"

    def ready(self):
        from .api import schema  # noqa: F401  (registers the X-Api-Key OpenAPI scheme)
