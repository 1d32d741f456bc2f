from django.db import models
from django.utils import timezone


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class IssuedKey(models.Model):
    """A secret key issued by staff (REST API keys, Ghost Content API keys): only a SHA-256 digest is stored, the raw
    key is shown once; keys are never deleted, only revoked. Subclasses declare `prefix` (its length differs)."""

    name = models.CharField(max_length=100)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        abstract = True
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class OutboundEmail(TimeStampedModel):
    """The email outbox. One row per logical email, keyed so a retried service or task never sends twice.

    The send task claims the row (pending -> sending) under a row lock and marks it sent after SMTP accepted it.
    """

    class Status(models.TextChoices):
        PENDING = "pending"
        SENT = "sent"
        FAILED = "failed"

    key = models.CharField(max_length=200, unique=True)
    to = models.EmailField()
    template = models.CharField(max_length=100)
    context = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True)
    attempts = models.PositiveIntegerField(default=0)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.template} to {self.to} ({self.status})"


def _site_timezone() -> str:
    from django.conf import settings

    return settings.TIME_ZONE


class SiteSettings(models.Model):
    """The publication's settings (one row, edited in the admin): what Ghost frontends read from `settings/`.
    Read through `cms.core.selectors.site_settings_get` (cached); `lang` and `timezone` are never empty."""

    title = models.CharField(max_length=150, default="Masthead")
    description = models.CharField(max_length=500, blank=True)
    logo = models.URLField(max_length=500, blank=True)
    icon = models.URLField(max_length=500, blank=True)
    accent_color = models.CharField(max_length=20, blank=True, help_text='e.g. "#15171A"')
    cover_image = models.URLField(max_length=500, blank=True)
    lang = models.CharField(max_length=20, default="en")
    timezone = models.CharField(max_length=64, default=_site_timezone)
    navigation = models.JSONField(default=list, blank=True, help_text='A list of {"label": ..., "url": ...}.')
    secondary_navigation = models.JSONField(default=list, blank=True, help_text='A list of {"label", "url"}.')
    meta_title = models.CharField(max_length=300, blank=True)
    meta_description = models.CharField(max_length=500, blank=True)
    og_image = models.URLField(max_length=500, blank=True)
    og_title = models.CharField(max_length=300, blank=True)
    og_description = models.CharField(max_length=500, blank=True)
    twitter_image = models.URLField(max_length=500, blank=True)
    twitter_title = models.CharField(max_length=300, blank=True)
    twitter_description = models.CharField(max_length=500, blank=True)
    members_support_address = models.CharField(max_length=200, blank=True, default="noreply")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "site settings"
        verbose_name_plural = "site settings"

    def __str__(self) -> str:
        return "Site settings"
