"""Admin for plans, subscriptions (with their history), the meter policies (admin_policies.py), gift links and
stats. Every change of a subscription's or a gift link's state goes through the same services the API uses."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

from cms.core.exceptions import ApplicationError

from . import (
    admin_groups,  # noqa: F401 - registers the group subscriptions' admin
    admin_policies,  # noqa: F401 - registers the policy and experiment admins
    services,
)
from .models import GiftLink, MeterDailyStat, Plan, ProviderEvent, Subscription, SubscriptionEvent
from .selectors import plan_display


@admin.register(Plan)
class PlanAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "price", "interval", "trial_days", "active", "provider_price_id", "ordering")
    list_editable = ("active", "ordering")
    search_fields = ("code", "name", "provider_price_id", "app_store_product_id", "google_play_product_id")
    prepopulated_fields = {"code": ("name",)}

    @admin.display(description="price")
    def price(self, obj: Plan) -> str:
        return plan_display(obj)


class SubscriptionEventInline(admin.TabularInline):
    model = SubscriptionEvent
    extra = 0
    can_delete = False
    fields = ("created_at", "from_status", "to_status", "source", "actor", "note")
    readonly_fields = fields
    ordering = ("created_at", "id")

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class GiftForm(forms.Form):
    email = forms.EmailField(help_text="The reader's account email.")
    plan = forms.ModelChoiceField(queryset=Plan.objects.filter(active=True), required=False)
    days = forms.IntegerField(min_value=1, max_value=3660, initial=30)


def _run(modeladmin, request, queryset, label: str, call) -> None:
    done = failed = 0
    for subscription in queryset:
        try:
            call(subscription)
            done += 1
        except ApplicationError as exc:
            failed += 1
            modeladmin.message_user(request, f"{subscription}: {exc.message}", messages.WARNING)
    modeladmin.message_user(request, f"{label}: {done} done, {failed} refused.", messages.SUCCESS)


def _state_action(service, description: str, label: str):
    """An admin action that runs a subscription state change (`service`) on each selected subscription, as staff."""

    @admin.action(description=description, permissions=["change"])
    def action(modeladmin, request, queryset):
        _run(
            modeladmin, request, queryset, label, lambda s: service(subscription=s, source="staff", actor=request.user)
        )

    return action


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    list_display = (
        "user_email",
        "status",
        "plan",
        "is_trial",
        "is_comp",
        "current_period_end",
        "cancel_at_period_end",
        "provider",
        "created_at",
    )
    list_filter = ("status", "is_trial", "is_comp", "cancel_at_period_end", "provider", "plan")
    search_fields = ("user__email", "provider_customer_id", "provider_subscription_id")
    list_select_related = ("user", "plan", "group")
    readonly_fields = [f.name for f in Subscription._meta.fields if f.name != "id"] + ["created_at", "updated_at"]
    inlines = [SubscriptionEventInline]
    actions = ["cancel_at_period_end", "resume", "cancel_now_refund", "expire_now"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request) -> bool:
        return False  # subscriptions start by trial, checkout or gift (see "Gift a subscription")

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description="reader", ordering="user__email")
    def user_email(self, obj: Subscription) -> str:
        return obj.user.email if obj.user_id else f"group: {obj.group}"

    cancel_at_period_end = _state_action(services.subscription_cancel, "Cancel at period end", "Cancel at period end")
    resume = _state_action(services.subscription_resume, "Resume (undo cancel at period end)", "Resume")
    cancel_now_refund = _state_action(services.subscription_cancel_now, "Cancel now and refund", "Cancel now")
    expire_now = _state_action(services.subscription_expire, "Expire now", "Expire")

    def get_urls(self):
        gift = path("gift/", self.admin_site.admin_view(self.gift_view), name="paywall_subscription_gift")
        return [gift, *super().get_urls()]

    def gift_view(self, request):
        """Comp / gift a subscription to a reader (by email)."""
        if not self.has_change_permission(request):
            return redirect("admin:index")
        form = GiftForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            user = get_user_model().objects.filter(email__iexact=form.cleaned_data["email"]).first()
            if user is None:
                form.add_error("email", "No reader with this email.")
            else:
                try:
                    subscription = services.subscription_comp(
                        user=user, actor=request.user, plan=form.cleaned_data["plan"], days=form.cleaned_data["days"]
                    )
                except ApplicationError as exc:
                    form.add_error(exc.field if exc.field in form.fields else None, exc.message)
                else:
                    self.message_user(request, f"Gifted {form.cleaned_data['days']} days to {user.email}.")
                    return redirect(reverse("admin:paywall_subscription_change", args=[subscription.pk]))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "form": form,
            "title": "Gift a subscription",
        }
        return TemplateResponse(request, "admin/paywall/subscription/gift.html", context)


class _ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(MeterDailyStat)
class MeterDailyStatAdmin(_ReadOnlyAdmin):
    list_display = ("day", "readers", "metered_reads", "paywall_hits", "closed_at")
    date_hierarchy = "day"


@admin.register(ProviderEvent)
class ProviderEventAdmin(_ReadOnlyAdmin):
    list_display = ("received_at", "provider", "type", "event_id", "outcome")
    list_filter = ("provider", "type")
    search_fields = ("event_id", "outcome")


@admin.register(GiftLink)
class GiftLinkAdmin(_ReadOnlyAdmin):
    """Read only, with a "Revoke" action that calls the same service as the giver's DELETE."""

    readonly_fields = ("giver", "article", "created_at", "expires_at", "redemptions", "redemptions_max", "revoked_at")
    list_display = ("id", *readonly_fields)
    list_filter = ("revoked_at",)
    search_fields = ("giver__email", "article__slug", "article__title")
    list_select_related = ("article", "giver")
    date_hierarchy = "created_at"
    exclude = ("token_id",)  # the token is the giver's to share, not the newsroom's
    actions = ("revoke",)

    def has_revoke_permission(self, request) -> bool:
        return request.user.has_perm("paywall.change_giftlink")

    @admin.action(description="Revoke the selected gift links", permissions=["revoke"])
    def revoke(self, request, queryset):
        for link in queryset.filter(revoked_at__isnull=True):
            services.gift_link_revoke(link_id=link.pk)
        self.message_user(request, "The selected gift links are revoked.", messages.SUCCESS)
