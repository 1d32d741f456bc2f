from django.apps import AppConfig


class PaywallConfig(AppConfig):
    name = "paywall"
    verbose_name = "Paywall and subscriptions"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from . import checks  # noqa: F401 - registers the billing system checks
        from .models import Plan
        from .selectors import plan_offers_forget

        # cache purge only: the paywall's cached list of offered plans
        post_save.connect(plan_offers_forget, sender=Plan, dispatch_uid="paywall.plans.save")
        post_delete.connect(plan_offers_forget, sender=Plan, dispatch_uid="paywall.plans.delete")
