from django.apps import AppConfig


class PaywallConfig(AppConfig):
    name = "paywall"
    verbose_name = "Paywall and subscriptions"

    def ready(self) -> None:
        from . import checks  # noqa: F401 - registers the billing system checks
