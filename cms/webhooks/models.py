"""Outgoing webhooks: endpoints that receive signed article events, and the delivery log.

The tables were created by the `articles` app and keep their names (`articles_webhookendpoint`,
`articles_webhookdelivery`): the move to this app changed the Django state only (`migrations/0001_initial.py`).
"""

from __future__ import annotations

from django.db import models

from cms.core.models import TimeStampedModel


def _webhook_events_default() -> list[str]:
    return ["article.published", "article.updated", "article.unpublished"]


class WebhookEndpoint(TimeStampedModel):
    """A URL that receives signed article events. Registered by editors in the admin."""

    EVENT_CHOICES = [
        ("article.published", "Article published"),
        ("article.updated", "Article updated"),
        ("article.unpublished", "Article unpublished"),
    ]

    url = models.URLField(max_length=500)
    secret = models.CharField(max_length=200, help_text="Shared secret for the X-Masthead-Signature HMAC-SHA256.")
    events = models.JSONField(default=_webhook_events_default, help_text="Event names this endpoint receives.")
    active = models.BooleanField(default=True)
    description = models.CharField(max_length=200, blank=True)

    class Meta:
        db_table = "articles_webhookendpoint"
        ordering = ["url"]

    def __str__(self) -> str:
        return self.url

    def wants(self, event: str) -> bool:
        return self.active and event in (self.events or [])


class WebhookDelivery(TimeStampedModel):
    """One event to one endpoint: the delivery log. Unique per (endpoint, event, article, version), so a repeated
    signal never delivers twice. `article_id` is a plain number, not a foreign key: the log outlives the article."""

    class Status(models.TextChoices):
        PENDING = "pending"
        DELIVERED = "delivered"
        FAILED = "failed"

    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    event = models.CharField(max_length=40)
    article_id = models.PositiveBigIntegerField()
    version = models.PositiveIntegerField()
    payload = models.JSONField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True)
    attempts = models.PositiveIntegerField(default=0)
    response_code = models.PositiveIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    sending_until = models.DateTimeField(
        null=True, blank=True, editable=False, help_text="An attempt is in flight until then (no second send)."
    )

    class Meta:
        db_table = "articles_webhookdelivery"
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "webhook deliveries"
        constraints = [
            models.UniqueConstraint(
                fields=["endpoint", "event", "article_id", "version"], name="webhook_delivery_idempotency"
            )
        ]

    def __str__(self) -> str:
        return f"{self.event} #{self.article_id} v{self.version} -> {self.endpoint_id}"
