"""Admin for outgoing webhooks: editors register endpoints; the delivery log is read-only (with a retry action)."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages

from .models import WebhookDelivery, WebhookEndpoint
from .services import webhook_deliveries_retry


class WebhookEndpointForm(forms.ModelForm):
    events = forms.MultipleChoiceField(
        choices=WebhookEndpoint.EVENT_CHOICES, widget=forms.CheckboxSelectMultiple, required=True
    )

    class Meta:
        model = WebhookEndpoint
        fields = ("url", "secret", "events", "active", "description")
        widgets = {"secret": forms.PasswordInput(render_value=True)}


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    form = WebhookEndpointForm
    list_display = ("url", "active", "events", "created_at")
    list_filter = ("active",)
    search_fields = ("url", "description")


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = ("id", "event", "article_id", "version", "endpoint", "status", "attempts", "response_code")
    list_filter = ("status", "event")
    search_fields = ("endpoint__url",)
    list_select_related = ("endpoint",)
    readonly_fields = [f.name for f in WebhookDelivery._meta.fields]
    actions = ["retry_selected"]

    def has_add_permission(self, request) -> bool:
        return False

    @admin.action(description="Retry selected failed deliveries")
    def retry_selected(self, request, queryset):
        ids = webhook_deliveries_retry(delivery_ids=list(queryset.values_list("id", flat=True)))
        messages.success(request, f"{len(ids)} deliveries queued again.")
