"""Plans, subscriptions and the meter. The rules that read them live in `paywall.services`."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from cms.core.models import TimeStampedModel

from .funnel import FunnelAlias, FunnelDaily, FunnelDirtyDay, FunnelEvent  # noqa: F401 (the app's models, one import)


class Plan(TimeStampedModel):
    class Interval(models.TextChoices):
        WEEK = "week"
        MONTH = "month"
        YEAR = "year"

    code = models.SlugField(max_length=50, unique=True)
    name = models.CharField(max_length=100)
    amount = models.PositiveIntegerField(help_text="Price in minor units (cents).")
    currency = models.CharField(max_length=3, default="usd")
    interval = models.CharField(max_length=5, choices=Interval.choices)
    trial_days = models.PositiveSmallIntegerField(default=14)
    active = models.BooleanField(default=True)
    provider_price_id = models.CharField(max_length=100, blank=True, help_text="e.g. Stripe price_...")
    app_store_product_id = models.CharField(
        max_length=100, blank=True, db_index=True, help_text="The App Store subscription's product id."
    )
    google_play_product_id = models.CharField(
        max_length=100, blank=True, db_index=True, help_text="The Google Play subscription's product id."
    )
    ordering = models.PositiveSmallIntegerField(default=0)
    per_seat = models.BooleanField(
        default=False, help_text="A group plan: the price is per seat, bought by an organisation for its members."
    )

    class Meta:
        ordering = ["ordering", "amount"]

    def __str__(self) -> str:
        return self.name


class SubscriptionQuerySet(models.QuerySet):
    def live(self) -> SubscriptionQuerySet:
        """In a live state (trialing, active or past_due): at most one per reader (a constraint). A live row may
        have run out in time until the sweep expires it: whether it grants access at a given moment is
        `paywall.selectors.subscription_entitlement`."""
        return self.filter(status__in=Subscription.LIVE_STATUSES)


class Subscription(TimeStampedModel):
    class Status(models.TextChoices):
        TRIALING = "trialing"
        ACTIVE = "active"
        PAST_DUE = "past_due"
        EXPIRED = "expired"
        CANCELED = "canceled"

    LIVE_STATUSES = (Status.TRIALING, Status.ACTIVE, Status.PAST_DUE)

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="subscriptions",
        help_text="The reader; empty for a group's subscription (see `group`).",
    )
    # a group's subscription (quantity = the group's seats): its members read while it is live
    group = models.ForeignKey("Group", null=True, blank=True, on_delete=models.PROTECT, related_name="subscriptions")
    plan = models.ForeignKey(Plan, null=True, blank=True, on_delete=models.PROTECT, related_name="subscriptions")
    status = models.CharField(max_length=10, choices=Status.choices)
    is_trial = models.BooleanField(default=False)
    is_comp = models.BooleanField(default=False, help_text="Complimentary / gift, granted by staff.")
    current_period_start = models.DateTimeField(null=True, blank=True)
    current_period_end = models.DateTimeField(null=True, blank=True)
    trial_end = models.DateTimeField(null=True, blank=True)
    past_due_since = models.DateTimeField(null=True, blank=True)
    cancel_at_period_end = models.BooleanField(default=False)
    canceled_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    provider = models.CharField(max_length=20, blank=True)
    provider_customer_id = models.CharField(max_length=100, blank=True, db_index=True)
    provider_subscription_id = models.CharField(max_length=100, blank=True, db_index=True)
    store_state_at = models.DateTimeField(
        null=True, blank=True, help_text="App Store / Google Play: when the store signed the state last applied."
    )

    objects = SubscriptionQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["user"],
                condition=Q(status__in=["trialing", "active", "past_due"]),
                name="subscription_one_live_per_user",
            ),
            models.UniqueConstraint(fields=["user"], condition=Q(is_trial=True), name="subscription_one_trial_ever"),
            models.UniqueConstraint(
                fields=["group"],
                condition=Q(status__in=["trialing", "active", "past_due"]),
                name="subscription_one_live_per_group",
            ),
            models.CheckConstraint(
                condition=Q(user__isnull=False, group__isnull=True) | Q(user__isnull=True, group__isnull=False),
                name="subscription_reader_or_group",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user or self.group} {self.status} ({self.plan or 'no plan'})"


class Group(TimeStampedModel):
    """An organisation's subscription for its members (a team, a newsroom desk, a library, a campus): `seats`
    members at most, managed by its `admins` (who use a seat only when they are members too). Members read while the
    group's subscription is live; readers coming from its `networks` read without signing in."""

    name = models.CharField(max_length=200)
    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="groups")
    seats = models.PositiveIntegerField(validators=[MinValueValidator(1), MaxValueValidator(100000)])
    domain = models.CharField(
        max_length=253,
        blank=True,
        help_text="Email domain (example.com): a reader who verifies an address there joins while seats remain.",
    )
    admins = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="administered_groups")

    class Meta:
        ordering = ["name", "id"]
        indexes = [models.Index(fields=["domain"], name="group_by_domain", condition=~Q(domain=""))]

    def __str__(self) -> str:
        return self.name


class GroupMembership(models.Model):
    """A seat in use. Never more rows than the group's seats: every join locks the group row first."""

    class Source(models.TextChoices):
        INVITATION = "invitation"
        DOMAIN = "domain"
        STAFF = "staff"

    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="group_memberships")
    source = models.CharField(max_length=10, choices=Source.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [models.UniqueConstraint(fields=["group", "user"], name="group_membership_once")]

    def __str__(self) -> str:
        return f"{self.user} in {self.group}"


class GroupInvitation(models.Model):
    """An invitation by email; the signed link carries its id. Accepting it takes a seat if one is free."""

    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField()
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["group", "email"],
                condition=Q(accepted_at__isnull=True, revoked_at__isnull=True),
                name="group_invitation_one_pending",
            )
        ]

    def __str__(self) -> str:
        return f"{self.email} to {self.group}"


class GroupNetwork(models.Model):
    """An IP range (CIDR, IPv4 or IPv6) whose readers read as the group's, without signing in."""

    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="networks")
    cidr = models.CharField(max_length=50, help_text="e.g. 192.0.2.0/24 or 2001:db8::/48")
    label = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["group", "cidr"], name="group_network_once")]

    def __str__(self) -> str:
        return self.cidr


class GroupNetworkUsage(models.Model):
    """How many article reads the group's networks opened on a local day: an aggregate, nothing per reader."""

    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="usage")
    day = models.DateField()
    reads = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["day"]
        constraints = [models.UniqueConstraint(fields=["group", "day"], name="group_network_usage_once")]


class SubscriptionEvent(models.Model):
    """History of a subscription's state changes: what changed it, who, and when."""

    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(max_length=10, blank=True)
    to_status = models.CharField(max_length=10)
    source = models.CharField(max_length=40, help_text="reader, staff, sweep, stripe:<event type>, dev ...")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]


class MeterWindow(models.TextChoices):
    """How long an allowance lasts, in the publisher's time zone (settings.TIME_ZONE)."""

    DAY = "day", "Day (resets at local midnight)"
    WEEK = "week", "Week (resets Monday 00:00 local)"
    MONTH = "month", "Calendar month"
    ROLLING = "rolling", "Rolling N days"


class MeterRules(models.Model):
    """The policy values a meter runs on: the default policy's, or an experiment arm's. An empty allowance falls back
    to the default (PAYWALL_ANONYMOUS_DAILY_LIMIT / PAYWALL_REGISTERED_DAILY_LIMIT for the default policy)."""

    window = models.CharField(max_length=7, choices=MeterWindow.choices, default=MeterWindow.DAY)
    rolling_days = models.PositiveSmallIntegerField(
        default=30,
        validators=[MinValueValidator(1), MaxValueValidator(366)],
        help_text="Length of a rolling window, in days (used only when the window is rolling).",
    )
    anonymous_limit = models.PositiveIntegerField(
        null=True, blank=True, help_text="Free metered articles per window for anonymous readers."
    )
    registered_limit = models.PositiveIntegerField(
        null=True, blank=True, help_text="Free metered articles per window for signed-in readers."
    )
    registration_wall = models.BooleanField(
        default=False,
        help_text="An anonymous reader who reaches the anonymous allowance is asked to register "
        '(paywall code "registration_required") instead of to subscribe.',
    )

    class Meta:
        abstract = True


class MeterPolicy(MeterRules):
    """The default policy, edited by staff. A single row (pk=1); without it, settings apply. Readers outside a
    running experiment's traffic get it."""

    attribution_days = models.PositiveSmallIntegerField(
        default=30,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
        help_text="A conversion is attributed to the article whose paywall the reader saw last within this many days.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "meter policy"
        verbose_name_plural = "meter policy"
        permissions = [("view_analytics", "Can view the revenue desk (funnel and experiment analytics)")]

    def __str__(self) -> str:
        return "Meter policy"


class SectionMeterRule(models.Model):
    """A section's exception to the meter, for its metered articles (an article marked free or premium keeps its
    own level): always premium, never metered, or its own allowance counted apart from the main one."""

    class Mode(models.TextChoices):
        PREMIUM = "premium", "Always premium"
        UNMETERED = "unmetered", "Never metered (free to read)"
        OWN = "own", "Own allowance, counted apart"

    section = models.OneToOneField("articles.Section", on_delete=models.CASCADE, related_name="meter_rule")
    mode = models.CharField(max_length=9, choices=Mode.choices)
    anonymous_limit = models.PositiveIntegerField(null=True, blank=True, help_text="Own allowance only.")
    registered_limit = models.PositiveIntegerField(null=True, blank=True, help_text="Own allowance only.")
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.section}: {self.get_mode_display()}"


class Experiment(TimeStampedModel):
    """A test of meter policies: readers are split between arms by a stable hash of the experiment and the reader id.
    It runs from `start_at` until `stop_at` (open-ended when empty); stopping it returns everyone to the default
    policy at once, and its results stay."""

    slug = models.SlugField(max_length=80, unique=True)
    name = models.CharField(max_length=200)
    hypothesis = models.TextField(blank=True)
    start_at = models.DateTimeField(null=True, blank=True, help_text="Empty: not started.")
    stop_at = models.DateTimeField(null=True, blank=True, help_text="Empty: runs until stopped.")

    class Meta:
        ordering = ["-start_at", "-created_at"]

    def __str__(self) -> str:
        return self.name


class ExperimentArm(MeterRules):
    """One arm: its traffic share (percent of all readers) and its policy values."""

    experiment = models.ForeignKey(Experiment, on_delete=models.CASCADE, related_name="arms")
    name = models.SlugField(max_length=50)
    is_control = models.BooleanField(default=False, help_text="The arm the others are compared with.")
    share = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(0), MaxValueValidator(100)], help_text="Percent of readers in this arm."
    )
    ordering = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["experiment", "ordering", "id"]
        constraints = [models.UniqueConstraint(fields=["experiment", "name"], name="experiment_arm_name_unique")]

    def __str__(self) -> str:
        return f"{self.experiment.slug}/{self.name}"


class ExperimentAssignment(models.Model):
    """An account's arm when it is not the hash of its own id: written when an anonymous reader registers (the merge
    carries the anonymous reader's arm, or its being outside the traffic, to the new account)."""

    experiment = models.ForeignKey(Experiment, on_delete=models.CASCADE, related_name="assignments")
    arm = models.ForeignKey(
        ExperimentArm,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="assignments",
        help_text="Empty: the account stays outside the experiment's traffic (as it was before registering).",
    )
    reader_key = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["experiment", "reader_key"], name="experiment_assignment_unique")
        ]


class MeterPeriod(models.Model):
    """One reader's meter for one local calendar day: `used` is the number of reads counted that day, `paywall_hits`
    the refusals. A window (day, week, month, rolling) counts the distinct articles of its days' MeterRead rows.

    The day's row is locked (SELECT ... FOR UPDATE) while a read is recorded, which serialises concurrent requests of
    the same reader; the unique constraint on MeterRead makes a counted read idempotent. `reader_key` is the reader's
    key, or `<key>#s<section id>` for a section with its own allowance.
    """

    reader_key = models.CharField(max_length=64)
    period = models.DateField()
    used = models.PositiveIntegerField(default=0)
    paywall_hits = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["reader_key", "period"], name="meter_period_unique")]
        indexes = [models.Index(fields=["period"], name="meter_period_by_day")]


class MeterRead(models.Model):
    reader_key = models.CharField(max_length=64)
    period = models.DateField()
    article = models.ForeignKey("articles.Article", on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["reader_key", "period", "article"], name="meter_read_unique"),
        ]
        indexes = [models.Index(fields=["period"], name="meter_read_by_day")]


class MeterDailyStat(models.Model):
    """Per-day aggregates kept after raw meter rows are purged (written by the reset job)."""

    day = models.DateField(unique=True)
    readers = models.PositiveIntegerField(default=0)
    metered_reads = models.PositiveIntegerField(default=0)
    paywall_hits = models.PositiveIntegerField(default=0)
    closed_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-day"]


class MeterUsageStat(models.Model):
    """The meter distribution of one local day (`period`, as MeterPeriod's): how many readers of a kind ("anonymous"
    or "registered") had `used` counted reads of the main allowance that day, and how many of those met the wall (a
    paywall hit). Recomputed from the raw MeterPeriod rows by the nightly close while they are kept; afterwards the
    stored figures stay (the revenue desk reads them)."""

    class Kind(models.TextChoices):
        ANONYMOUS = "anonymous"
        REGISTERED = "registered"

    period = models.DateField()
    kind = models.CharField(max_length=10, choices=Kind.choices)
    used = models.PositiveIntegerField()
    readers = models.PositiveIntegerField(default=0)
    walled = models.PositiveIntegerField(default=0, help_text="Readers among them who met the wall.")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["period", "kind", "used"], name="meter_usage_stat_unique")]

    def __str__(self) -> str:
        return f"{self.period} {self.kind} used {self.used}: {self.readers}"


class ProviderEvent(models.Model):
    """Every webhook event a billing provider sent us, recorded once (unique by provider + event id) BEFORE it is
    processed, in the same transaction as the processing: a replayed or concurrent duplicate hits the unique
    constraint and is acknowledged without being processed again."""

    provider = models.CharField(max_length=20)
    event_id = models.CharField(max_length=255)
    type = models.CharField(max_length=100)
    payload = models.JSONField(default=dict)
    received_at = models.DateTimeField(auto_now_add=True)
    outcome = models.CharField(max_length=300, blank=True, help_text="What processing did (or why it was ignored).")

    class Meta:
        ordering = ["-received_at"]
        constraints = [models.UniqueConstraint(fields=["provider", "event_id"], name="provider_event_once")]

    def __str__(self) -> str:
        return f"{self.provider} {self.type} {self.event_id}"


class StorePurchase(models.Model):
    """An App Store or Google Play subscription purchase linked to one account (unique by provider + purchase id:
    the original transaction id, or the SHA-256 of the Play purchase token). The link is what refuses a purchase
    already linked to another account, also when two accounts post it at once."""

    provider = models.CharField(max_length=20)
    purchase_id = models.CharField(max_length=100)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="store_purchases")
    product_id = models.CharField(max_length=100, blank=True)
    token = models.TextField(blank=True, help_text="Google Play: the purchase token (the id is its digest).")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["provider", "purchase_id"], name="store_purchase_once")]

    def __str__(self) -> str:
        return f"{self.provider} {self.purchase_id}"


class GiftLink(TimeStampedModel):
    """A subscriber's gift of one article (`paywall.services.gifts`): the signed token carries `token_id`, a random
    id that nobody can guess. It opens the article in full for up to `redemptions_max` distinct recipients until
    `expires_at`, unless revoked. `redemptions` is raised only by a conditional UPDATE (never past the maximum)."""

    giver = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="gift_links")
    article = models.ForeignKey("articles.Article", on_delete=models.CASCADE, related_name="+")
    token_id = models.CharField(max_length=32, unique=True)
    expires_at = models.DateTimeField()
    redemptions_max = models.PositiveIntegerField()
    redemptions = models.PositiveIntegerField(default=0)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["giver", "created_at"], name="gift_link_by_giver")]
        constraints = [
            models.CheckConstraint(
                condition=Q(redemptions__lte=models.F("redemptions_max")), name="gift_link_redemptions_max"
            )
        ]

    def __str__(self) -> str:
        return f"gift {self.pk} of article {self.article_id} by {self.giver_id}"


class GiftRedemption(models.Model):
    """One recipient (a reader key: `u:<account id>` or `a:<anonymous id>`) of a gift link: unique, so re-opening
    the link never uses another redemption."""

    link = models.ForeignKey(GiftLink, on_delete=models.CASCADE, related_name="redemption_rows")
    reader_key = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["link", "reader_key"], name="gift_redemption_once")]
