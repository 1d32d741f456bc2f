"""The conversion funnel, recorded on the server where each step happens (never by client JavaScript): a counted read
and a paywall shown (`funnel_detail_record`, from `access_decide(record=True)`, the one detail read REST, GraphQL
and the Ghost API share), a registration and a verified email (`accounts.paywall`), a trial started, a first payment,
a cancellation and an expiry (the subscription services, in the transaction of their state change).

Each event carries the local day, the pseudonymous reader id (the meter key), the reader kind, the experiment arm
(`policies.experiment_arm_for`) and the attribution: a read or a paywall carries its article and the `utm_*` and
referrer host the frontend passed on that request; a conversion carries those of the last paywall the reader saw
within `MeterPolicy.attribution_days` (last touch, 30 days by default).

The rollup (`funnel_rollup`, the beat job `paywall.funnel_rollup` every five minutes) recomputes the daily
aggregates (FunnelDaily) of today, yesterday and any day a merge changed, from the raw events: idempotent. Raw
events are purged after ANALYTICS_RETENTION_DAYS; the aggregates stay.

"A reader is one person": when an anonymous reader registers or logs in, their events are rewritten to the
account (`funnel_reader_merge`), so the day's aggregates count them once. Deleting an account rewrites its events to
a random key (`funnel_reader_forget`): counts remain, the link to the person is gone.
"""

from __future__ import annotations

import secrets
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import CharField, Count, OuterRef, Q, Subquery, Value
from django.db.models.functions import Cast, Coalesce, Concat, NullIf
from django.utils import timezone

from ..models import FunnelAlias, FunnelDaily, FunnelDirtyDay, FunnelEvent, MeterPolicy, Subscription
from ..readers import Reader, Touch
from .funnel_buffer import funnel_buffer_add, funnel_buffer_flush
from .policies import experiment_arm_for

Kind = FunnelEvent.Kind
_LOOK_UP = object()  # the arm: ask `experiment_arm_for`
DEFAULT_ATTRIBUTION_DAYS = 30
_TOUCH_FIELDS = ("utm_source", "utm_medium", "utm_campaign", "referrer_host")
GIFT_SOURCE = "gift"  # the `source` of a gift read and of the conversions attributed to it


def _attribution_days() -> int:
    days = MeterPolicy.objects.filter(pk=1).values_list("attribution_days", flat=True).first()
    return days or DEFAULT_ATTRIBUTION_DAYS


def funnel_last_touch(*, reader_key: str, now: datetime) -> dict:
    """The attribution of a conversion: the article and touch of the last paywall this reader saw, or gift link
    they opened (source "gift", with the link), within the policy's attribution window ({} when none)."""
    funnel_buffer_flush()  # this process's paywalls first (another's are at most ANALYTICS_BUFFER_SECONDS late)
    since = now - timedelta(days=_attribution_days())
    row = (
        FunnelEvent.objects.filter(
            reader=reader_key, kind__in=(Kind.PAYWALL, Kind.GIFT), created_at__gte=since, created_at__lte=now
        )
        .order_by("-created_at", "-id")
        .values("article_id", "gift_link_id", *_TOUCH_FIELDS)
        .first()
    )
    return row or {}


def funnel_event_record(
    *,
    kind: str,
    reader_key: str,
    reader_kind: str = "",
    now: datetime | None = None,
    article_id: int | None = None,
    code: str = "",
    touch: Touch | None = None,
    attribute: bool = False,
    arm=_LOOK_UP,
    gift_link_id: int | None = None,
) -> FunnelEvent:
    """Append one funnel event now, in the caller's transaction (one INSERT). `attribute=True` (conversions) takes
    the article and touch of the last paywall seen (see `funnel_last_touch`) instead of `article_id` / `touch`.
    `arm`: (experiment slug, arm name) or None; by default the reader's arm now (`experiment_arm_for`)."""
    now = now or timezone.now()
    values = _event_values(
        kind=kind,
        reader_key=reader_key,
        reader_kind=reader_kind,
        now=now,
        article_id=article_id,
        code=code,
        touch=touch,
        arm=experiment_arm_for(reader_key=reader_key, now=now) if arm is _LOOK_UP else arm,
        gift_link_id=gift_link_id,
    )
    if attribute:
        values.update({"article_id": None, "gift_link_id": None, **{name: "" for name in _TOUCH_FIELDS}})
        values.update(funnel_last_touch(reader_key=reader_key, now=now))
    event = FunnelEvent(**values)
    event.save(force_insert=True)
    return event


def _event_values(
    *, kind, reader_key, reader_kind, now, article_id, code, touch, arm, gift_link_id
) -> dict[str, object]:
    """One event's field values, by attribute name (what `FunnelEvent(**values)` and the buffer's INSERT take)."""
    values = {
        "kind": kind,
        "day": timezone.localdate(now),
        "created_at": now,
        "reader": reader_key,
        "reader_kind": reader_kind,
        "code": code,
        "experiment": arm[0] if arm else "",
        "arm": arm[1] if arm else "",
        "article_id": article_id,
        "gift_link_id": gift_link_id,
        **{name: getattr(touch, name, "") for name in _TOUCH_FIELDS},
    }
    if gift_link_id is not None:
        values["utm_source"] = GIFT_SOURCE
    return values


def funnel_detail_record(*, reader: Reader, article, decision, now: datetime | None = None) -> dict | None:
    """The detail read's event, if any: a counted read, a gift link opened (source "gift", with the link), or a
    paywall shown (with its code). Nothing for a reader without an id, for a read granted without the meter (free,
    subscriber, staff...) or already counted. Buffered (`funnel_buffer`): written in a batch later, as field values,
    not a model instance (the counted read is the hottest request; see the buffer's docstring). Returns the values."""
    if reader.user is None and not reader.anon_id:
        return None
    gift_link_id = getattr(decision, "gift_link_id", None)
    if decision.counted:
        kind, code = Kind.READ, ""
    elif gift_link_id is not None:
        kind, code = Kind.GIFT, ""
    elif not decision.granted:
        kind, code = Kind.PAYWALL, _paywall_code(decision)
    else:
        return None
    now = now or timezone.now()
    policy = getattr(decision, "policy", _LOOK_UP)  # the arm that decided, once the policy lane sets it
    if policy is _LOOK_UP:
        arm = experiment_arm_for(reader_key=reader.key, now=now)
    else:
        arm = policy and (policy["experiment"], policy["arm"])
    values = _event_values(
        kind=kind,
        reader_key=reader.key,
        reader_kind=decision.reader_kind,
        now=now,
        article_id=article.pk,
        code=code,
        touch=reader.touch,
        arm=arm,
        gift_link_id=gift_link_id,
    )
    funnel_buffer_add(values)
    return values


def _paywall_code(decision) -> str:
    code = getattr(decision, "paywall_code", None)
    if code:
        return code
    return "premium" if decision.reason == "premium" else "meter_exhausted"


def funnel_first_payment_record(*, subscription, converted: bool, now: datetime | None = None) -> FunnelEvent | None:
    """The `paid` step: called when a subscription is first paid for (activated by a payment, or the first renewal
    after a provider's own trial). Recorded only for the reader's first paid subscription ever (not a trial, not a
    gift). `converted`: the reader was on a trial."""
    if subscription.is_trial or subscription.is_comp or subscription.user_id is None:
        return None
    earlier = Subscription.objects.filter(user_id=subscription.user_id, is_trial=False, is_comp=False).exclude(
        pk=subscription.pk
    )
    if earlier.exists():
        return None
    return funnel_event_record(
        kind=Kind.PAID,
        reader_key=f"u:{subscription.user_id}",
        reader_kind="trial" if converted else "registered",
        now=now,
        attribute=True,
    )


def funnel_subscription_end_record(*, subscription, kind: str, now: datetime | None = None) -> FunnelEvent | None:
    """The `canceled` (at period end, or at once) and `expired` steps (a reader's: not a group's subscription)."""
    if subscription.user_id is None:
        return None
    return funnel_event_record(
        kind=kind,
        reader_key=f"u:{subscription.user_id}",
        reader_kind="trial" if subscription.is_trial else "subscriber",
        now=now,
        attribute=True,
    )


def funnel_registration_record(*, user, anon_id: str | None) -> FunnelEvent:
    """The `registered` step, attributed to the last paywall the reader saw, in the arm of the anonymous reader who
    registered (the arm whose policy asked them to); without an anonymous id, the account's arm."""
    arm = experiment_arm_for(reader_key=f"a:{anon_id}") if anon_id else _LOOK_UP
    return funnel_event_record(
        kind=Kind.REGISTERED, reader_key=f"u:{user.pk}", reader_kind="anonymous", attribute=True, arm=arm
    )


def funnel_email_verified_record(*, user_id: int) -> FunnelEvent | None:
    """The `verified` step, once per account: a later change of address, verified again, is not a new step (while
    the first event is within retention)."""
    key = f"u:{user_id}"
    if FunnelEvent.objects.filter(reader=key, kind=Kind.VERIFIED).exists():
        return None
    return funnel_event_record(kind=Kind.VERIFIED, reader_key=key, reader_kind="registered")


def funnel_reader_merge(*, anon_id: str, user) -> int:
    """An anonymous reader registered or logged in: their events become the account's, so that a person counts
    once. The days touched are recomputed by the next rollup. Returns the number of events moved."""
    return _rekey(from_key=f"a:{anon_id}", to_key=f"u:{user.pk}")


def _rekey(*, from_key: str, to_key: str) -> int:
    """Events of `from_key` become `to_key`'s, now and (through the alias, at the next rollups) when they arrive
    late from another process's buffer."""
    funnel_buffer_flush()
    with transaction.atomic():
        FunnelAlias.objects.update_or_create(from_key=from_key, defaults={"to_key": to_key})
        FunnelAlias.objects.filter(to_key=from_key).update(to_key=to_key)  # one hop, always
        days = list(FunnelEvent.objects.filter(reader=from_key).values_list("day", flat=True).distinct())
        moved = FunnelEvent.objects.filter(reader=from_key).update(reader=to_key)
        FunnelDirtyDay.objects.bulk_create([FunnelDirtyDay(day=d) for d in days], ignore_conflicts=True)
    return moved


def funnel_reader_forget(*, user_id: int) -> int:
    """An account was deleted: its events keep counting under a random key that links to no one. (The alias that
    catches its late events is deleted by the rollup after a day.)"""
    return _rekey(from_key=f"u:{user_id}", to_key=f"x:{secrets.token_hex(16)}")


# --- the rollup ---------------------------------------------------------------------------------------------------

_STEPS = {
    "readers": Q(kind__in=[Kind.READ, Kind.PAYWALL, Kind.GIFT]),
    "paywall_shown": Q(kind=Kind.PAYWALL),
    "registered": Q(kind=Kind.REGISTERED),
    "verified": Q(kind=Kind.VERIFIED),
    "trials": Q(kind=Kind.TRIAL),
    "paid": Q(kind=Kind.PAID),
    "canceled": Q(kind=Kind.CANCELED),
    "expired": Q(kind=Kind.EXPIRED),
}
_DIMENSION_KEYS = {
    FunnelDaily.Dimension.TOTAL: (Q(), Value("")),
    FunnelDaily.Dimension.ARTICLE: (Q(article_id__isnull=False), Cast("article_id", CharField())),
    FunnelDaily.Dimension.ARM: (~Q(experiment=""), Concat("experiment", Value("/"), "arm")),
    FunnelDaily.Dimension.SOURCE: (
        Q(),
        Coalesce(NullIf("utm_source", Value("")), NullIf("referrer_host", Value("")), Value("(direct)")),
    ),
}


def _day_aggregates(day: date, now: datetime) -> list[FunnelDaily]:
    counts = {name: Count("reader", distinct=True, filter=q) for name, q in _STEPS.items()}
    counts["counted_reads"] = Count("id", filter=Q(kind=Kind.READ))
    rows = []
    for dimension, (where, key) in _DIMENSION_KEYS.items():
        grouped = (
            FunnelEvent.objects.filter(where, day=day)
            .annotate(dim_key=key)
            .values("dim_key")
            .annotate(**counts)
            .order_by()
        )
        rows += [
            FunnelDaily(day=day, dimension=dimension, key=g.pop("dim_key"), rolled_at=now, **g)
            for g in grouped
            if any(g[name] for name in counts)  # a day without events has no rows
        ]
    return rows


def funnel_day_rollup(*, day: date, now: datetime | None = None) -> int:
    """Recompute one day's aggregates from its raw events (all dimensions); returns the number of rows. Idempotent:
    the day's rows are replaced in one transaction."""
    now = now or timezone.now()
    rows = _day_aggregates(day, now)
    with transaction.atomic():
        FunnelDaily.objects.filter(day=day).delete()
        FunnelDaily.objects.bulk_create(rows)
    return len(rows)


def _aliases_apply(*, since: date, now: datetime) -> int:
    """Rewrite recent events of merged or deleted readers that arrived after the merge; drop the aliases of deleted
    accounts after a day, and the others after ANALYTICS_RETENTION_DAYS."""
    aliases = FunnelAlias.objects.all()
    late = FunnelEvent.objects.filter(day__gte=since, reader__in=aliases.values("from_key"))
    moved = late.update(reader=Subquery(aliases.filter(from_key=OuterRef("reader")).values("to_key")[:1]))
    aliases.filter(from_key__startswith="u:", created_at__lt=now - timedelta(days=1)).delete()
    aliases.filter(created_at__lt=now - timedelta(days=settings.ANALYTICS_RETENTION_DAYS)).delete()
    return moved


def funnel_rollup(*, now: datetime | None = None) -> dict:
    """The beat job: recompute today's and yesterday's aggregates and those of the days a merge changed, then
    purge raw events older than ANALYTICS_RETENTION_DAYS. Running it again gives the same figures; a day whose raw
    events are purged keeps its aggregates."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    cutoff = today - timedelta(days=settings.ANALYTICS_RETENTION_DAYS)
    funnel_buffer_flush()  # this process's own (web processes write theirs within ANALYTICS_BUFFER_SECONDS)
    _aliases_apply(since=today - timedelta(days=1), now=now)
    dirty = list(FunnelDirtyDay.objects.values_list("id", "day"))
    days = {today, today - timedelta(days=1)} | {d for _, d in dirty if d >= cutoff}
    rows = sum(funnel_day_rollup(day=d, now=now) for d in sorted(days))
    FunnelDirtyDay.objects.filter(id__in=[i for i, _ in dirty]).delete()
    purged, _ = FunnelEvent.objects.filter(day__lt=cutoff).delete()
    return {"days": len(days), "rows": rows, "purged": purged}
