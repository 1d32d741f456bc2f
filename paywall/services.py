"""The paywall's rules. `access_decide` is THE decision of who may read how much of an article: every surface
(REST, GraphQL, feeds, search, comments, webhooks, emails) asks it, and none checks a subscription itself.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Count, F, Q, Sum
from django.utils import timezone

from articles.models import Article, ArticleAuthor

from .models import MeterDailyStat, MeterPeriod, MeterPolicy, MeterRead
from .readers import Reader
from .selectors import (
    POLICY_CACHE_KEY,
    meter_has_read,
    meter_limits,
    meter_read_ids,
    meter_used,
    period_for,
    plan_display,
    plan_list_active,
    subscription_entitlement,
    subscription_live_get,
)


class Reason:
    FREE = "free"
    STAFF = "staff"
    AUTHOR = "author"
    SUBSCRIBER = "subscriber"
    TRIAL = "trial"
    ALREADY_READ = "already_read"
    METERED = "metered"
    PREMIUM = "premium"
    METER_EXHAUSTED = "meter_exhausted"


GRANTED_WITHOUT_COUNT = {Reason.FREE, Reason.STAFF, Reason.AUTHOR, Reason.SUBSCRIBER, Reason.TRIAL, Reason.ALREADY_READ}


@dataclass(frozen=True)
class AccessDecision:
    """The answer to "may this reader read this article in full, now?".

    `granted`: the full body may be sent. `reason`: why (see Reason). `counted`: this call recorded a metered read.
    `would_count`: not granted only because this was a look that must not count (lists, feeds, related); a
    detail request would grant it with a counted read.
    """

    granted: bool
    reason: str
    reader_kind: str
    limit: int | None
    reads_left: int | None
    resets_at: datetime | None
    period: date | None
    counted: bool = False
    would_count: bool = False

    def as_access(self) -> dict:
        """The public `access` object of detail responses."""
        return {
            "granted": self.granted,
            "reason": self.reason,
            "reads_left": self.reads_left,
            "limit": self.limit,
            "resets_at": self.resets_at,
            "reader_kind": self.reader_kind,
        }

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class _ReaderState:
    kind: str  # anonymous | registered | trial | subscriber | staff
    limit: int | None
    period: date
    resets_at: datetime


def _reader_state(*, reader: Reader, now: datetime) -> _ReaderState:
    period, resets_at = period_for(now)
    user = reader.user
    if user is not None and user.is_staff:
        return _ReaderState("staff", None, period, resets_at)
    if user is not None:
        entitlement = subscription_entitlement(subscription=subscription_live_get(user=user), now=now)
        if entitlement is not None:
            return _ReaderState(entitlement.kind, None, period, resets_at)
        return _ReaderState("registered", meter_limits()[1], period, resets_at)
    return _ReaderState("anonymous", meter_limits()[0], period, resets_at)


def _is_author(*, reader: Reader, article: Article) -> bool:
    if reader.user is None:
        return False
    prefetched = getattr(article, "_prefetched_objects_cache", {})
    if "authors" in prefetched:
        return any(a.user_id == reader.user.pk for a in prefetched["authors"])
    return ArticleAuthor.objects.filter(article_id=article.pk, author__user_id=reader.user.pk).exists()


def _unlimited_reason(state: _ReaderState) -> str | None:
    return {"staff": Reason.STAFF, "subscriber": Reason.SUBSCRIBER, "trial": Reason.TRIAL}.get(state.kind)


def _decision(
    state: _ReaderState, *, granted: bool, reason: str, used: int | None = None, counted=False, would_count=False
) -> AccessDecision:
    reads_left = None if state.limit is None else max(state.limit - (used or 0), 0)
    return AccessDecision(
        granted=granted,
        reason=reason,
        reader_kind=state.kind,
        limit=state.limit,
        reads_left=reads_left,
        resets_at=state.resets_at,
        period=state.period,
        counted=counted,
        would_count=would_count,
    )


def _decide_without_meter(*, state: _ReaderState, reader: Reader, article: Article) -> AccessDecision | None:
    """The reasons that need no meter: free, staff, author, subscriber, trial, premium. None: it is a metered read."""
    if article.access_level == Article.AccessLevel.FREE:
        return _decision(state, granted=True, reason=Reason.FREE, used=None)
    if state.kind == "staff":
        return _decision(state, granted=True, reason=Reason.STAFF)
    if _is_author(reader=reader, article=article):
        return _decision(state, granted=True, reason=Reason.AUTHOR)
    unlimited = _unlimited_reason(state)
    if unlimited:
        return _decision(state, granted=True, reason=unlimited)
    if article.access_level == Article.AccessLevel.PREMIUM:
        return _decision(state, granted=False, reason=Reason.PREMIUM)
    return None


def access_decide(
    *, reader: Reader, article: Article, now: datetime | None = None, record: bool = False
) -> AccessDecision:
    """Decide how much of `article` this reader may read.

    With `record=False` (lists, feeds, related, search, comments) nothing is written: a metered article that the
    reader has not read this period is not granted (`would_count=True` if allowance is left).
    With `record=True` (only REST article detail and GraphQL `article(slug) { body }`), a metered read is counted
    once per (reader, article, period), atomically: see `meter_read_record`.
    """
    now = now or timezone.now()
    state = _reader_state(reader=reader, now=now)
    decided = _decide_without_meter(state=state, reader=reader, article=article)
    if decided is not None:
        if state.limit is not None:  # free article for a metered reader: still report the allowance
            used = meter_used(reader_key=reader.key, period=state.period) if reader.user or reader.anon_id else 0
            return _decision(state, granted=decided.granted, reason=decided.reason, used=used)
        return decided
    if not (reader.user or reader.anon_id):
        # an anonymous reader without an id cannot be metered; treat as a look.
        return _decision(state, granted=False, reason=Reason.METERED, used=0, would_count=state.limit > 0)
    if record:
        return meter_read_record(reader=reader, article=article, state=state)
    used = meter_used(reader_key=reader.key, period=state.period)
    if meter_has_read(reader_key=reader.key, period=state.period, article_id=article.pk):
        return _decision(state, granted=True, reason=Reason.ALREADY_READ, used=used)
    if used < state.limit:
        return _decision(state, granted=False, reason=Reason.METERED, used=used, would_count=True)
    return _decision(state, granted=False, reason=Reason.METER_EXHAUSTED, used=used)


def access_decide_many(
    *, reader: Reader, articles: Iterable[Article], now: datetime | None = None
) -> dict[int, AccessDecision]:
    """`access_decide(record=False)` for a list of articles in a constant number of queries."""
    now = now or timezone.now()
    articles = list(articles)
    state = _reader_state(reader=reader, now=now)
    has_key = bool(reader.user or reader.anon_id)
    used = meter_used(reader_key=reader.key, period=state.period) if (has_key and state.limit is not None) else 0
    read_ids: set[int] = set()
    metered_ids = [a.pk for a in articles if a.access_level == Article.AccessLevel.METERED]
    if has_key and state.limit is not None and metered_ids:
        read_ids = meter_read_ids(reader_key=reader.key, period=state.period, article_ids=metered_ids)
    author_ids: set[int] = set()
    if reader.user is not None and state.kind != "staff":
        author_ids = set(
            ArticleAuthor.objects.filter(
                article_id__in=[a.pk for a in articles], author__user_id=reader.user.pk
            ).values_list("article_id", flat=True)
        )
    out: dict[int, AccessDecision] = {}
    for article in articles:
        if article.access_level == Article.AccessLevel.FREE:
            out[article.pk] = _decision(state, granted=True, reason=Reason.FREE, used=used)
        elif state.kind == "staff":
            out[article.pk] = _decision(state, granted=True, reason=Reason.STAFF)
        elif article.pk in author_ids:
            out[article.pk] = _decision(state, granted=True, reason=Reason.AUTHOR, used=used)
        elif _unlimited_reason(state):
            out[article.pk] = _decision(state, granted=True, reason=_unlimited_reason(state))
        elif article.access_level == Article.AccessLevel.PREMIUM:
            out[article.pk] = _decision(state, granted=False, reason=Reason.PREMIUM, used=used)
        elif article.pk in read_ids:
            out[article.pk] = _decision(state, granted=True, reason=Reason.ALREADY_READ, used=used)
        elif used < state.limit:
            out[article.pk] = _decision(state, granted=False, reason=Reason.METERED, used=used, would_count=True)
        else:
            out[article.pk] = _decision(state, granted=False, reason=Reason.METER_EXHAUSTED, used=used)
    return out


def meter_read_record(*, reader: Reader, article: Article, state: _ReaderState) -> AccessDecision:
    """Count a metered read, at most once per (reader, article, period), never past the limit.

    Locking: the reader's MeterPeriod row is created if missing (INSERT ... ON CONFLICT DO NOTHING) and then locked
    with SELECT ... FOR UPDATE for the rest of the transaction, so concurrent requests of one reader are serialised:
    with a limit of 5 and 50 concurrent requests for 50 articles, exactly 5 are granted. On SQLite the whole
    transaction holds the database write lock (transaction_mode=IMMEDIATE), which serialises it the same way.
    """
    key, period = reader.key, state.period
    with transaction.atomic():
        MeterPeriod.objects.bulk_create([MeterPeriod(reader_key=key, period=period)], ignore_conflicts=True)
        meter = MeterPeriod.objects.select_for_update().get(reader_key=key, period=period)
        if MeterRead.objects.filter(reader_key=key, period=period, article_id=article.pk).exists():
            return _decision(state, granted=True, reason=Reason.ALREADY_READ, used=meter.used)
        if meter.used >= state.limit:
            MeterPeriod.objects.filter(pk=meter.pk).update(paywall_hits=F("paywall_hits") + 1)
            return _decision(state, granted=False, reason=Reason.METER_EXHAUSTED, used=meter.used)
        MeterRead.objects.create(reader_key=key, period=period, article_id=article.pk)
        MeterPeriod.objects.filter(pk=meter.pk).update(used=F("used") + 1)
        return _decision(state, granted=True, reason=Reason.METERED, used=meter.used + 1, counted=True)


def meter_state(*, reader: Reader, now: datetime | None = None) -> dict:
    """The reader's allowance, without counting: `{reader_kind, limit, used, remaining, resets_at, period}`."""
    now = now or timezone.now()
    state = _reader_state(reader=reader, now=now)
    used = meter_used(reader_key=reader.key, period=state.period) if (reader.user or reader.anon_id) else 0
    return {
        "reader_kind": state.kind,
        "limit": state.limit,
        "used": used,
        "remaining": None if state.limit is None else max(state.limit - used, 0),
        "resets_at": state.resets_at,
        "period": state.period,
    }


def meter_merge(*, anon_id: str, user, now: datetime | None = None) -> int:
    """Move an anonymous reader's reads of the current period to the account that just logged in or registered.

    No double counting (an article read under both ids counts once) and no fresh allowance: the account's `used`
    becomes the number of distinct articles read in the period under either id. Returns the number moved.
    """
    now = now or timezone.now()
    period, _ = period_for(now)
    anon_key, user_key = f"a:{anon_id}", f"u:{user.pk}"
    with transaction.atomic():
        MeterPeriod.objects.bulk_create([MeterPeriod(reader_key=user_key, period=period)], ignore_conflicts=True)
        meter = MeterPeriod.objects.select_for_update().get(reader_key=user_key, period=period)
        anon_article_ids = list(
            MeterRead.objects.filter(reader_key=anon_key, period=period).values_list("article_id", flat=True)
        )
        if not anon_article_ids:
            return 0
        MeterRead.objects.bulk_create(
            [MeterRead(reader_key=user_key, period=period, article_id=aid) for aid in anon_article_ids],
            ignore_conflicts=True,
        )
        total = MeterRead.objects.filter(reader_key=user_key, period=period).count()
        MeterPeriod.objects.filter(pk=meter.pk).update(used=total)
        MeterRead.objects.filter(reader_key=anon_key, period=period).delete()
        MeterPeriod.objects.filter(reader_key=anon_key, period=period).delete()
    return len(anon_article_ids)


def meter_policy_update(*, anonymous_daily_limit: int | None, registered_daily_limit: int | None) -> MeterPolicy:
    """Change the allowances. Takes effect at once for the current period; counts are kept."""
    policy, _ = MeterPolicy.objects.update_or_create(
        pk=1,
        defaults={"anonymous_daily_limit": anonymous_daily_limit, "registered_daily_limit": registered_daily_limit},
    )
    transaction.on_commit(lambda: cache.delete(POLICY_CACHE_KEY))
    cache.delete(POLICY_CACHE_KEY)
    return policy


def meter_periods_close(*, now: datetime | None = None) -> dict:
    """The daily reset job. Closes every finished period into MeterDailyStat and purges raw meter rows older than
    PAYWALL_METER_RETENTION_DAYS.

    Idempotent: aggregates are recomputed from the raw rows (so running it twice, late, or on two beat instances
    writes the same figures), and a day whose raw rows are already purged keeps its stored aggregate.
    The "reset" itself is implicit: a new local day is a new period key, so allowances start afresh at midnight.
    """
    now = now or timezone.now()
    today, _ = period_for(now)
    days = (
        MeterPeriod.objects.filter(period__lt=today)
        .values("period")
        .annotate(readers=Count("id"), reads=Sum("used"), hits=Sum("paywall_hits"))
    )
    closed = 0
    for row in days:
        MeterDailyStat.objects.update_or_create(
            day=row["period"],
            defaults={"readers": row["readers"], "metered_reads": row["reads"] or 0, "paywall_hits": row["hits"] or 0},
        )
        closed += 1
    cutoff = today - timedelta(days=settings.PAYWALL_METER_RETENTION_DAYS)
    purged_reads, _ = MeterRead.objects.filter(period__lt=cutoff).delete()
    purged_periods, _ = MeterPeriod.objects.filter(period__lt=cutoff).delete()
    return {"closed_days": closed, "purged_reads": purged_reads, "purged_periods": purged_periods}


def paywall_payload(*, decision: AccessDecision, reader: Reader) -> dict | None:
    """What the frontend shows instead of the rest of the article; None when access is granted."""
    if decision.granted:
        return None
    code = Reason.PREMIUM if decision.reason == Reason.PREMIUM else Reason.METER_EXHAUSTED
    message = (
        "This article is for subscribers only. Subscribe to continue reading."
        if code == Reason.PREMIUM
        else "You've reached your daily free article limit. Subscribe and support our veteran writing staff to "
        "continue reading."
    )
    plans = [
        {
            "code": p.code,
            "name": p.name,
            "amount": p.amount,
            "currency": p.currency,
            "interval": p.interval,
            "display": plan_display(p),
        }
        for p in plan_list_active()
    ]
    return {
        "code": code,
        "message": message,
        "plans": plans,
        "trial": {"days": settings.PAYWALL_TRIAL_DAYS, "available": trial_available(user=reader.user)},
        "login_url": settings.PAYWALL_LOGIN_URL,
        "subscribe_url": settings.PAYWALL_SUBSCRIBE_URL,
    }


def trial_available(*, user) -> bool:
    """A trial is offered once per reader ever; an anonymous reader is told it is available (after sign-up)."""
    if user is None:
        return True
    from .models import Subscription

    return not Subscription.objects.filter(user_id=user.pk).filter(Q(is_trial=True)).exists()


def article_body_for(*, article: Article, decision: AccessDecision) -> tuple[str, bool]:
    """(body HTML to send, is_preview). The one place the body/preview choice is made from a decision."""
    if decision.granted:
        return article.body, False
    return article.body_preview, True


__all__ = [
    "AccessDecision",
    "Reason",
    "access_decide",
    "access_decide_many",
    "article_body_for",
    "meter_merge",
    "meter_periods_close",
    "meter_policy_update",
    "meter_read_record",
    "meter_state",
    "paywall_payload",
    "trial_available",
]
