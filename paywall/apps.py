from django.apps import AppConfig


class PaywallConfig(AppConfig):
    name = "paywall"
    verbose_name = "Paywall and subscriptions"

    def ready(self) -> None:
        from django.conf import settings
        from django.core.signals import request_finished
        from django.db.models.signals import post_delete, post_save

        from . import checks  # noqa: F401 - registers the billing system checks
        from .models import Experiment, ExperimentArm, GroupNetwork, MeterPolicy, Plan, SectionMeterRule, Subscription
        from .selectors import group_networks_forget, meter_limits_forget, plan_offers_forget
        from .services.funnel_buffer import funnel_buffer_on_request_finished
        from .signals import account_deleted_unlink_funnel

        # cache purge only: the paywall's cached list of offered plans
        post_save.connect(plan_offers_forget, sender=Plan, dispatch_uid="paywall.plans.save")
        post_delete.connect(plan_offers_forget, sender=Plan, dispatch_uid="paywall.plans.delete")
        # cache purge only: the cached meter policies (`policy_book`), so a saved change applies to the next request
        for model in (MeterPolicy, SectionMeterRule, Experiment, ExperimentArm):
            name = model._meta.model_name
            post_save.connect(meter_limits_forget, sender=model, dispatch_uid=f"paywall.policies.{name}.save")
            post_delete.connect(meter_limits_forget, sender=model, dispatch_uid=f"paywall.policies.{name}.delete")
        # cache purge only: the live groups' networks ride in the policy book, so a change applies to the next request
        for model in (GroupNetwork, Subscription):
            name = model._meta.model_name
            post_save.connect(group_networks_forget, sender=model, dispatch_uid=f"paywall.networks.{name}.save")
            post_delete.connect(group_networks_forget, sender=model, dispatch_uid=f"paywall.networks.{name}.delete")
        # privacy: a deleted account's funnel events stop pointing to it
        uid = "paywall.funnel.account_deleted"
        post_delete.connect(account_deleted_unlink_funnel, sender=settings.AUTH_USER_MODEL, dispatch_uid=uid)
        # the funnel's buffered events are written when a request ends with a batch older than a few seconds
        request_finished.connect(funnel_buffer_on_request_finished, dispatch_uid="paywall.funnel.buffer")
