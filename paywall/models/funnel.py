"""The conversion funnel's models: events written where they happen, their daily aggregates, the days to roll up
again, and anonymous ids merged into accounts (`paywall.services.funnel`, `paywall.services.analytics`)."""

from __future__ import annotations

from django.db import models


class FunnelEvent(models.Model):
    """One step of the conversion funnel, written on the server where it happens (`paywall.services.funnel`). Kept
    ANALYTICS_RETENTION_DAYS, then purged; the daily aggregates (FunnelDaily) stay.

    No personal data: `reader` is the pseudonymous meter key (`u:<account id>` or `a:<anonymous id>`; an anonymous
    id is rewritten to the account when the reader registers or logs in, and an account's key to a random `x:` key
    when the account is deleted). No email, no IP. Attribution (`article`, `utm_*`, `referrer_host`): for a read or
    a paywall, the article and what the frontend passed on that request; for a conversion, the last paywall the
    reader saw within `MeterPolicy.attribution_days` (last touch)."""

    class Kind(models.TextChoices):
        READ = "read", "Counted read"
        PAYWALL = "paywall", "Paywall shown"
        REGISTERED = "registered", "Registration"
        VERIFIED = "verified", "Email verified"
        TRIAL = "trial", "Trial started"
        PAID = "paid", "First payment"
        CANCELED = "canceled", "Cancellation"
        EXPIRED = "expired", "Expiry"
        GIFT = "gift", "Gift link opened"

    kind = models.CharField(max_length=10, choices=Kind.choices)
    day = models.DateField(help_text="Local day (TIME_ZONE) of the event.")
    created_at = models.DateTimeField()
    reader = models.CharField(max_length=64, help_text="Pseudonymous reader id (the meter key).")
    reader_kind = models.CharField(max_length=12, blank=True)
    code = models.CharField(max_length=24, blank=True, help_text="The paywall's code, for a paywall shown.")
    experiment = models.CharField(max_length=80, blank=True)
    arm = models.CharField(max_length=50, blank=True)
    article = models.ForeignKey(
        "articles.Article", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_constraint=False
    )
    utm_source = models.CharField(max_length=100, blank=True)
    utm_medium = models.CharField(max_length=100, blank=True)
    utm_campaign = models.CharField(max_length=100, blank=True)
    referrer_host = models.CharField(max_length=255, blank=True)
    # a gift read, or a conversion attributed to one: the giver's link
    gift_link = models.ForeignKey("GiftLink", models.SET_NULL, null=True, related_name="+", db_constraint=False)

    class Meta:
        indexes = [
            models.Index(fields=["day"], name="funnel_event_by_day"),
            models.Index(fields=["reader", "kind", "created_at"], name="funnel_event_by_reader"),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.kind} {self.reader}"


class FunnelDaily(models.Model):
    """The funnel of one local day for one dimension value, rolled up from FunnelEvent by the beat job
    (`paywall.funnel_rollup`). Counts are distinct readers (persons) of that day: `readers` had a counted read or
    saw a paywall, `paywall_shown` saw a paywall, the others did that step. `dimension` and `key`: `total` (key
    ""), `article` (the article id), `arm` (`<experiment slug>/<arm name>`) and `source` (utm_source, else the
    referrer host, else "(direct)")."""

    class Dimension(models.TextChoices):
        TOTAL = "total"
        ARTICLE = "article"
        ARM = "arm"
        SOURCE = "source"

    day = models.DateField()
    dimension = models.CharField(max_length=8, choices=Dimension.choices)
    key = models.CharField(max_length=255, blank=True)
    readers = models.PositiveIntegerField(default=0)
    paywall_shown = models.PositiveIntegerField(default=0)
    registered = models.PositiveIntegerField(default=0)
    verified = models.PositiveIntegerField(default=0)
    trials = models.PositiveIntegerField(default=0)
    paid = models.PositiveIntegerField(default=0)
    canceled = models.PositiveIntegerField(default=0)
    expired = models.PositiveIntegerField(default=0)
    counted_reads = models.PositiveIntegerField(default=0, help_text="Counted reads (events, not readers).")
    rolled_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["dimension", "day", "key"], name="funnel_daily_unique")]

    def __str__(self) -> str:
        return f"{self.day} {self.dimension}={self.key}"


class FunnelDirtyDay(models.Model):
    """A day whose aggregates the next rollup must recompute although it is not today or yesterday (an anonymous
    reader merged into an account changes who counts once)."""

    day = models.DateField(unique=True)


class FunnelAlias(models.Model):
    """Events of `from_key` are `to_key`'s: an anonymous reader who registered or logged in (`a:` -> `u:`), or a
    deleted account (`u:` -> a random `x:`, kept a day). The rollup rewrites events that arrive late (buffered in
    another process when the merge ran), so a person still counts once."""

    from_key = models.CharField(max_length=64, unique=True)
    to_key = models.CharField(max_length=64, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
