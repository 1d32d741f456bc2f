"""The paywall's rules. `access_decide` is THE decision of who may read how much of an article: every surface
(REST, GraphQL, feeds, search, comments, webhooks, emails) asks it, and none checks a subscription itself.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import connections, router, transaction
from django.db.models import Count, F, Q, Sum
from django.utils import timezone

from articles.models import Article, ArticleAuthor

from .models import MeterDailyStat, MeterPeriod, MeterPolicy, MeterRead
from .readers import Reader
from .selectors import (
    meter_limits,
    meter_limits_forget,
    meter_look,
    meter_read_ids,
    meter_used,
    period_for,
    plan_display,
    plan_list_active,
    plan_offers,
    subscription_entitlement_get,
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
    PREVIEW = "preview"  # the holder of an editor's preview token for this article (drafts included)


GRANTED_WITHOUT_COUNT = {
    Reason.FREE,
    Reason.STAFF,
    Reason.AUTHOR,
    Reason.SUBSCRIBER,
    Reason.TRIAL,
    Reason.ALREADY_READ,
    Reason.PREVIEW,
}


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
        entitlement = subscription_entitlement_get(user=user, now=now)
        if entitlement is not None:
            return _ReaderState(entitlement.kind, None, period, resets_at)
        return _ReaderState("registered", meter_limits()[1], period, resets_at)
    return _ReaderState("anonymous", meter_limits()[0], period, resets_at)


def _is_author(*, reader: Reader, article: Article) -> bool:
    if reader.user is None:
        return False
    links = getattr(article, "ordered_article_authors", None)  # the selectors' byline prefetch
    if links is not None:
        return any(link.author.user_id == reader.user.pk for link in links)
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
    *,
    reader: Reader,
    article: Article,
    now: datetime | None = None,
    record: bool = False,
    preview_token: str | None = None,
) -> AccessDecision:
    """Decide how much of `article` this reader may read.

    With `record=False` (lists, feeds, related, search, comments) nothing is written: a metered article that the
    reader has not read this period is not granted (`would_count=True` if allowance is left).
    With `record=True` (only REST article detail and GraphQL `article(slug) { body }`), a metered read is counted
    once per (reader, article, period), atomically: see `meter_read_record`.
    With `preview_token` (an editor's preview link, `?preview=`): a token valid for this very article grants the
    full text, never counted and whoever reads (reason `preview`); any other token changes nothing.
    """
    if preview_token is not None and _preview_token_opens(preview_token, article):
        return AccessDecision(
            granted=True,
            reason=Reason.PREVIEW,
            reader_kind="preview",
            limit=None,
            reads_left=None,
            resets_at=None,
            period=None,
        )
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
    used, has_read = meter_look(reader_key=reader.key, period=state.period, article_id=article.pk)
    if has_read:
        return _decision(state, granted=True, reason=Reason.ALREADY_READ, used=used)
    if used < state.limit:
        return _decision(state, granted=False, reason=Reason.METERED, used=used, would_count=True)
    return _decision(state, granted=False, reason=Reason.METER_EXHAUSTED, used=used)


def _preview_token_opens(token: str, article: Article) -> bool:
    from articles.services.preview import preview_token_verify

    return preview_token_verify(token=token, slug=article.slug) == article.pk


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

    On PostgreSQL the same steps run server-side in `masthead_meter_read` (migration paywall 0004): one round trip
    instead of seven statements. Elsewhere (SQLite) they run through the ORM (`_meter_read_record_orm`).
    """
    connection = connections[router.db_for_write(MeterPeriod)]
    if connection.vendor == "postgresql":
        outcome, used = _meter_read_record_sql(connection, reader=reader, article=article, state=state)
    else:
        outcome, used = _meter_read_record_orm(reader=reader, article=article, state=state)
    if outcome == _ALREADY_READ:
        return _decision(state, granted=True, reason=Reason.ALREADY_READ, used=used)
    if outcome == _EXHAUSTED:
        return _decision(state, granted=False, reason=Reason.METER_EXHAUSTED, used=used)
    return _decision(state, granted=True, reason=Reason.METERED, used=used, counted=True)


_COUNTED, _ALREADY_READ, _EXHAUSTED = "counted", "already_read", "exhausted"


_METER_READ_SQL = "SELECT outcome, used FROM masthead_meter_read(%s, %s, %s, %s)"
_ASYNC_COMMIT_SQL = "SET LOCAL synchronous_commit TO off; "


def _meter_read_record_sql(connection, *, reader: Reader, article: Article, state: _ReaderState) -> tuple[str, int]:
    """One round trip. With `PAYWALL_METER_SYNCHRONOUS_COMMIT = False` the counted read commits without waiting
    for the WAL flush: `SET LOCAL` in the same statement string, so it applies to this implicit transaction only;
    never inside an outer transaction, whose other writes must stay durable."""
    sql = _METER_READ_SQL
    if not settings.PAYWALL_METER_SYNCHRONOUS_COMMIT and not connection.in_atomic_block:
        sql = _ASYNC_COMMIT_SQL + sql
    with connection.cursor() as cursor:
        cursor.execute(sql, [reader.key, state.period, article.pk, state.limit])
        outcome, used = cursor.fetchone()
    return outcome, used


def _meter_read_record_orm(*, reader: Reader, article: Article, state: _ReaderState) -> tuple[str, int]:
    key, period = reader.key, state.period
    with transaction.atomic():
        MeterPeriod.objects.bulk_create([MeterPeriod(reader_key=key, period=period)], ignore_conflicts=True)
        meter = MeterPeriod.objects.select_for_update().get(reader_key=key, period=period)
        if MeterRead.objects.filter(reader_key=key, period=period, article_id=article.pk).exists():
            return _ALREADY_READ, meter.used
        if meter.used >= state.limit:
            MeterPeriod.objects.filter(pk=meter.pk).update(paywall_hits=F("paywall_hits") + 1)
            return _EXHAUSTED, meter.used
        MeterRead.objects.create(reader_key=key, period=period, article_id=article.pk)
        MeterPeriod.objects.filter(pk=meter.pk).update(used=F("used") + 1)
        return _COUNTED, meter.used + 1


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
    transaction.on_commit(meter_limits_forget)
    meter_limits_forget()
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
    plans = [dict(offer) for offer in plan_offers()]
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


def article_search_snippets(*, articles: Iterable[Article], query: str, reader: Reader | None = None) -> dict[int, str]:
    """Search snippets for a page of results, taken only from the text the reader may see without counting a read
    (the full body for free articles or granted readers, the preview otherwise). Public lists pass no reader: they
    never read the reader, so only free articles are searched beyond their preview."""
    from articles.services.search import search_snippet

    articles = list(articles)
    decisions = access_decide_many(reader=reader or Reader(), articles=articles)
    out = {}
    for article in articles:
        visible, _ = article_body_for(article=article, decision=decisions[article.pk])
        out[article.pk] = search_snippet(html=f"<p>{article.dek}</p>{visible}", query=query)
    return out


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
    "article_search_snippets",
    "meter_merge",
    "meter_periods_close",
    "meter_policy_update",
    "meter_read_record",
    "meter_state",
    "paywall_payload",
    "trial_available",
]


# ======================================================================================================================
# Subscriptions: the trial, checkout, and every state transition. Each transition locks the row
# (SELECT ... FOR UPDATE), is guarded by the current state (repeating it is a no-op; an impossible one is a 409),
# writes a SubscriptionEvent (from/to/source/actor) and enqueues its email with a key unique to the event.
# ======================================================================================================================

import calendar  # noqa: E402
import logging  # noqa: E402

from django.db import IntegrityError  # noqa: E402
from django.db.models import CharField, Exists, OuterRef, Value  # noqa: E402
from django.db.models.functions import Cast, Concat  # noqa: E402

from cms.core.email import email_enqueue  # noqa: E402
from cms.core.exceptions import ApplicationError, Conflict, NotFound, PermissionDenied  # noqa: E402
from cms.core.models import OutboundEmail  # noqa: E402

from .models import Plan, Subscription, SubscriptionEvent  # noqa: E402

logger = logging.getLogger(__name__)

S = Subscription.Status
TRIAL_ENDING_NOTICE = timedelta(days=3)


class SubscriptionErrorCode:
    EMAIL_UNVERIFIED = "email_unverified"
    TRIAL_USED = "trial_used"
    ALREADY_SUBSCRIBED = "already_subscribed"
    NO_SUBSCRIPTION = "no_subscription"
    PLAN_UNKNOWN = "plan_unknown"
    PLAN_UNAVAILABLE = "plan_unavailable"
    INVALID_TRANSITION = "invalid_transition"
    BILLING_UNAVAILABLE = "billing_unavailable"


TRIAL_USED_MESSAGE = "You have already used your free trial."


def _add_interval(start: datetime, interval: str, count: int = 1) -> datetime:
    """`start` plus `count` plan intervals (calendar months/years, clamped to the month's last day)."""
    if interval == Plan.Interval.WEEK:
        return start + timedelta(weeks=count)
    months = count * (12 if interval == Plan.Interval.YEAR else 1)
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    day = min(start.day, calendar.monthrange(year, month)[1])
    return start.replace(year=year, month=month, day=day)


def _event_write(
    *, subscription: Subscription, from_status: str, source: str, actor=None, note: str = ""
) -> SubscriptionEvent:
    return SubscriptionEvent.objects.create(
        subscription=subscription,
        from_status=from_status,
        to_status=subscription.status,
        source=source[:40],
        actor=actor if getattr(actor, "pk", None) else None,
        note=note[:300],
    )


def _locked(subscription: Subscription) -> Subscription:
    return Subscription.objects.select_for_update(of=("self",)).select_related("plan", "user").get(pk=subscription.pk)


def _fmt(dt: datetime | None) -> str:
    return timezone.localtime(dt).strftime("%B %-d, %Y") if dt else ""


def _subscription_email(*, subscription: Subscription, template: str, key: str, extra: dict | None = None) -> None:
    user = subscription.user
    plan = subscription.plan
    context = {
        "name": user.display_name or user.email,
        "plan_name": plan.name if plan else "",
        "price": plan_display(plan) if plan else "",
        "period_end": _fmt(subscription.current_period_end),
        "trial_end": _fmt(subscription.trial_end),
        "trial_days": settings.PAYWALL_TRIAL_DAYS,
        "manage_url": f"{settings.PUBLIC_BASE_URL}{settings.PAYWALL_SUBSCRIBE_URL}",
        **(extra or {}),
    }
    email_enqueue(to=user.email, template=f"paywall_{template}", context=context, key=f"paywall:{key}")


def subscription_current(*, user) -> Subscription:
    """The reader's live subscription (trialing, active or past_due), or NotFound."""
    sub = Subscription.objects.filter(user_id=user.pk, status__in=Subscription.LIVE_STATUSES).select_related("plan")
    sub = sub.first()
    if sub is None:
        raise NotFound("You have no current subscription.", code=SubscriptionErrorCode.NO_SUBSCRIPTION)
    return sub


def _plan_get(*, plan_code: str) -> Plan:
    plan = Plan.objects.filter(code=plan_code, active=True).first()
    if plan is None:
        raise ApplicationError("Unknown plan.", code=SubscriptionErrorCode.PLAN_UNKNOWN, field="plan")
    return plan


def subscription_trial_start(*, user, now: datetime | None = None) -> Subscription:
    """Start the free trial (PAYWALL_TRIAL_DAYS, 14 by default): once per reader ever, verified email required.

    The "once ever" and "one live subscription" rules are database constraints, so two concurrent requests cannot
    both start a trial: the loser's IntegrityError becomes the same 409 as a second attempt.
    """
    now = now or timezone.now()
    if user.email_verified_at is None:
        raise PermissionDenied(
            "Verify your email address to start your free trial.",
            code=SubscriptionErrorCode.EMAIL_UNVERIFIED,
            field="email",
        )
    if Subscription.objects.filter(user_id=user.pk, is_trial=True).exists():
        raise Conflict(TRIAL_USED_MESSAGE, code=SubscriptionErrorCode.TRIAL_USED)
    if Subscription.objects.filter(user_id=user.pk, status__in=Subscription.LIVE_STATUSES).exists():
        raise Conflict("You already have a subscription.", code=SubscriptionErrorCode.ALREADY_SUBSCRIBED)
    end = now + timedelta(days=settings.PAYWALL_TRIAL_DAYS)
    try:
        with transaction.atomic():
            sub = Subscription.objects.create(
                user=user,
                status=S.TRIALING,
                is_trial=True,
                current_period_start=now,
                current_period_end=end,
                trial_end=end,
            )
            _event_write(subscription=sub, from_status="", source="reader", actor=user, note="free trial started")
    except IntegrityError:
        if Subscription.objects.filter(user_id=user.pk, is_trial=True).exists():
            raise Conflict(TRIAL_USED_MESSAGE, code=SubscriptionErrorCode.TRIAL_USED) from None
        raise Conflict("You already have a subscription.", code=SubscriptionErrorCode.ALREADY_SUBSCRIBED) from None
    _subscription_email(subscription=sub, template="trial_welcome", key=f"sub:{sub.pk}:trial_welcome")
    return sub


def subscription_checkout_create(*, user, plan_code: str) -> str:
    """The provider's checkout URL for `plan_code`. A reader on a trial may check out (the trial converts); one who
    already pays may not (409)."""
    from .billing import provider_get

    plan = _plan_get(plan_code=plan_code)
    live = Subscription.objects.filter(user_id=user.pk, status__in=Subscription.LIVE_STATUSES).first()
    if live is not None and live.status != S.TRIALING:
        raise Conflict("You already have a subscription.", code=SubscriptionErrorCode.ALREADY_SUBSCRIBED)
    return provider_get().checkout_session_create(user=user, plan=plan)


def subscription_activate(
    *,
    user,
    plan: Plan,
    source: str,
    actor=None,
    provider: str = "dev",
    provider_customer_id: str = "",
    provider_subscription_id: str = "",
    period_start: datetime | None = None,
    period_end: datetime | None = None,
    receipt_key: str | None = None,
    now: datetime | None = None,
) -> Subscription:
    """A paid subscription starts (checkout completed). Idempotent per provider subscription id: activating the same
    one again returns it unchanged. A running trial converts (it ends, note "converted"); any other live
    subscription is a 409. Sends the payment receipt."""
    now = now or timezone.now()
    period_start = period_start or now
    period_end = period_end or _add_interval(period_start, plan.interval)
    with transaction.atomic():
        if provider_subscription_id:
            existing = (
                Subscription.objects.select_for_update()
                .filter(provider=provider, provider_subscription_id=provider_subscription_id)
                .first()
            )
            if existing is not None:
                return existing
        live = Subscription.objects.select_for_update().filter(user_id=user.pk, status__in=Subscription.LIVE_STATUSES)
        live = live.first()
        if live is not None:
            if live.status != S.TRIALING:
                raise Conflict("You already have a subscription.", code=SubscriptionErrorCode.ALREADY_SUBSCRIBED)
            live.status, live.ended_at = S.EXPIRED, now
            live.save(update_fields=["status", "ended_at", "updated_at"])
            _event_write(subscription=live, from_status=S.TRIALING, source=source, actor=actor, note="converted")
        try:
            with transaction.atomic():
                sub = Subscription.objects.create(
                    user=user,
                    plan=plan,
                    status=S.ACTIVE,
                    current_period_start=period_start,
                    current_period_end=period_end,
                    provider=provider,
                    provider_customer_id=provider_customer_id or "",
                    provider_subscription_id=provider_subscription_id or "",
                )
        except IntegrityError:
            # a concurrent activation of the same provider subscription won the one-live-per-reader constraint
            existing = Subscription.objects.filter(
                provider=provider, provider_subscription_id=provider_subscription_id or "-"
            ).first()
            if existing is not None:
                return existing
            raise Conflict("You already have a subscription.", code=SubscriptionErrorCode.ALREADY_SUBSCRIBED) from None
        _event_write(subscription=sub, from_status="", source=source, actor=actor, note="paid subscription started")
    _receipt_email(subscription=sub, period_end=period_end, receipt_key=receipt_key)
    return sub


def _receipt_email(*, subscription: Subscription, period_end: datetime, receipt_key: str | None) -> None:
    """One receipt per paid period: keyed by the provider's invoice (receipt_key) or by the period's end."""
    _subscription_email(
        subscription=subscription,
        template="payment_receipt",
        key=receipt_key or f"sub:{subscription.pk}:receipt:{period_end:%Y%m%dT%H%M%S}",
        extra={"amount": plan_display(subscription.plan)},
    )


def subscription_renew(
    *,
    subscription: Subscription,
    source: str,
    actor=None,
    period_start: datetime | None = None,
    period_end: datetime | None = None,
    receipt_key: str | None = None,
    now: datetime | None = None,
) -> Subscription:
    """A period was paid: active/past_due -> active with the new period. Without explicit bounds the next period
    follows the current one. Idempotent: a period that does not extend the current one changes nothing."""
    now = now or timezone.now()
    with transaction.atomic():
        sub = _locked(subscription)
        if sub.status not in (S.ACTIVE, S.PAST_DUE) or sub.plan is None:
            raise Conflict("This subscription cannot be renewed.", code=SubscriptionErrorCode.INVALID_TRANSITION)
        if period_end is None:
            period_start = sub.current_period_end or now
            period_end = _add_interval(period_start, sub.plan.interval)
        if sub.status == S.ACTIVE and sub.current_period_end and period_end <= sub.current_period_end:
            return sub
        from_status = sub.status
        sub.status = S.ACTIVE
        sub.current_period_start = period_start or sub.current_period_end or now
        sub.current_period_end = period_end
        sub.past_due_since = None
        sub.save(update_fields=["status", "current_period_start", "current_period_end", "past_due_since", "updated_at"])
        _event_write(subscription=sub, from_status=from_status, source=source, actor=actor, note="renewed")
    _receipt_email(subscription=sub, period_end=period_end, receipt_key=receipt_key)
    return sub


def subscription_mark_past_due(
    *, subscription: Subscription, source: str, actor=None, since: datetime | None = None, now: datetime | None = None
) -> Subscription:
    """A renewal payment failed: active -> past_due. Access continues for BILLING_GRACE_DAYS from `since`."""
    now = now or timezone.now()
    with transaction.atomic():
        sub = _locked(subscription)
        if sub.status == S.PAST_DUE:
            return sub
        if sub.status != S.ACTIVE:
            raise Conflict("This subscription is not active.", code=SubscriptionErrorCode.INVALID_TRANSITION)
        sub.status, sub.past_due_since = S.PAST_DUE, since or now
        sub.save(update_fields=["status", "past_due_since", "updated_at"])
        event = _event_write(subscription=sub, from_status=S.ACTIVE, source=source, actor=actor, note="payment failed")
    _subscription_email(
        subscription=sub,
        template="payment_failed",
        key=f"sub:{sub.pk}:payment_failed:{event.pk}",
        extra={"grace_end": _fmt(sub.past_due_since + timedelta(days=settings.BILLING_GRACE_DAYS))},
    )
    return sub


def _provider_for(subscription: Subscription):
    from .billing import provider_for

    return provider_for(subscription)


def subscription_cancel(
    *,
    subscription: Subscription,
    source: str = "reader",
    actor=None,
    notify_provider: bool = True,
    now: datetime | None = None,
) -> Subscription:
    """Cancel at period end: the state is kept, `cancel_at_period_end` is set, access lasts until
    `current_period_end` (the trial's end for a trial) and the sweep then expires it. Idempotent."""
    now = now or timezone.now()
    with transaction.atomic():
        sub = _locked(subscription)
        if sub.status not in Subscription.LIVE_STATUSES:
            raise Conflict("This subscription has already ended.", code=SubscriptionErrorCode.INVALID_TRANSITION)
        if sub.cancel_at_period_end:
            return sub
        if notify_provider:
            _provider_for(sub).subscription_cancel_at_period_end(subscription=sub, cancel=True)
        sub.cancel_at_period_end, sub.canceled_at = True, now
        sub.save(update_fields=["cancel_at_period_end", "canceled_at", "updated_at"])
        event = _event_write(
            subscription=sub, from_status=sub.status, source=source, actor=actor, note="cancel at period end"
        )
    _subscription_email(subscription=sub, template="canceled", key=f"sub:{sub.pk}:canceled:{event.pk}")
    return sub


def subscription_resume(
    *,
    subscription: Subscription,
    source: str = "reader",
    actor=None,
    notify_provider: bool = True,
    now: datetime | None = None,
) -> Subscription:
    """Undo a cancel-at-period-end before the period ends. Idempotent; a subscription that ended is a 409."""
    now = now or timezone.now()
    with transaction.atomic():
        sub = _locked(subscription)
        if sub.status not in Subscription.LIVE_STATUSES:
            raise Conflict(
                "This subscription has ended; subscribe again.", code=SubscriptionErrorCode.INVALID_TRANSITION
            )
        if not sub.cancel_at_period_end:
            return sub
        if notify_provider:
            _provider_for(sub).subscription_cancel_at_period_end(subscription=sub, cancel=False)
        sub.cancel_at_period_end, sub.canceled_at = False, None
        sub.save(update_fields=["cancel_at_period_end", "canceled_at", "updated_at"])
        _event_write(subscription=sub, from_status=sub.status, source=source, actor=actor, note="resumed")
    return sub


def subscription_expire(
    *, subscription: Subscription, source: str, actor=None, note: str = "", now: datetime | None = None
) -> Subscription:
    """The subscription ran out (trial over, canceled period over, grace over): live -> expired. Idempotent."""
    now = now or timezone.now()
    with transaction.atomic():
        sub = _locked(subscription)
        if sub.status not in Subscription.LIVE_STATUSES:
            return sub
        from_status = sub.status
        sub.status, sub.ended_at = S.EXPIRED, now
        sub.save(update_fields=["status", "ended_at", "updated_at"])
        _event_write(subscription=sub, from_status=from_status, source=source, actor=actor, note=note or "expired")
    _subscription_email(subscription=sub, template="expired", key=f"sub:{sub.pk}:expired")
    return sub


def subscription_cancel_now(
    *,
    subscription: Subscription,
    source: str = "staff",
    actor=None,
    refund: bool = True,
    notify_provider: bool = True,
    now: datetime | None = None,
) -> Subscription:
    """End at once (e.g. refunded): live -> canceled; access stops now. The provider is told (and asked to refund
    the last payment when `refund`). Idempotent."""
    now = now or timezone.now()
    with transaction.atomic():
        sub = _locked(subscription)
        if sub.status not in Subscription.LIVE_STATUSES:
            return sub
        note = "canceled now"
        if notify_provider:
            refunded = _provider_for(sub).subscription_cancel_now(subscription=sub, refund=refund)
            note = "canceled now, refunded" if refunded else note
        from_status = sub.status
        sub.status, sub.ended_at = S.CANCELED, now
        sub.canceled_at = sub.canceled_at or now
        sub.save(update_fields=["status", "ended_at", "canceled_at", "updated_at"])
        event = _event_write(subscription=sub, from_status=from_status, source=source, actor=actor, note=note)
    _subscription_email(
        subscription=sub,
        template="canceled",
        key=f"sub:{sub.pk}:canceled:{event.pk}",
        extra={"ended_now": True, "refunded": note.endswith("refunded")},
    )
    return sub


def subscription_comp(
    *, user, actor, plan: Plan | None = None, days: int = 30, now: datetime | None = None
) -> Subscription:
    """Staff gift: a complimentary active subscription for `days`. Refused if the reader already has a live one."""
    now = now or timezone.now()
    if actor is None or not actor.is_staff:
        raise PermissionDenied("Only staff can gift a subscription.")
    if days < 1 or days > 3660:
        raise ApplicationError("Give between 1 and 3660 days.", code="invalid", field="days")
    try:
        with transaction.atomic():
            sub = Subscription.objects.create(
                user=user,
                plan=plan,
                status=S.ACTIVE,
                is_comp=True,
                provider="comp",
                current_period_start=now,
                current_period_end=now + timedelta(days=days),
            )
            _event_write(subscription=sub, from_status="", source="staff", actor=actor, note=f"gift of {days} days")
    except IntegrityError:
        raise Conflict(
            f"{user.email} already has a subscription.", code=SubscriptionErrorCode.ALREADY_SUBSCRIBED
        ) from None
    return sub


def subscription_sweep(*, now: datetime | None = None) -> dict:
    """The periodic sweep (task `paywall.subscription_sweep`). Idempotent: every candidate is re-checked under its
    row lock by the transition it gets, and every email key is unique, so a second run finds nothing to do.

    - trials whose trial_end passed -> expired;
    - cancel-at-period-end subscriptions whose period ended -> expired;
    - past_due beyond BILLING_GRACE_DAYS -> expired;
    - active, not canceled, period ended: dev provider renews (a simulated charge), comp expires, a real provider's
      subscription goes past_due (grace from period end) until its webhook says paid;
    - trials ending within 3 days get the "trial ends soon" email once.
    """
    now = now or timezone.now()
    counts = {"expired": 0, "renewed": 0, "past_due": 0, "trial_ending_emails": 0}
    live = Subscription.objects.filter(status__in=Subscription.LIVE_STATUSES).select_related("plan", "user")
    grace = timedelta(days=settings.BILLING_GRACE_DAYS)
    to_expire = (
        live.filter(status=S.TRIALING, trial_end__lte=now)
        | live.filter(cancel_at_period_end=True, current_period_end__lte=now)
        | live.filter(status=S.PAST_DUE, past_due_since__lte=now - grace)
    )
    for sub in to_expire.distinct():
        if _sweep_expire_due(sub, now=now, grace=grace):
            subscription_expire(subscription=sub, source="sweep", now=now)
            counts["expired"] += 1
    lapsed = live.filter(status=S.ACTIVE, cancel_at_period_end=False, current_period_end__lte=now)
    for sub in lapsed:
        try:
            if sub.is_comp or sub.plan is None:
                subscription_expire(subscription=sub, source="sweep", now=now)
                counts["expired"] += 1
            elif sub.provider == "dev":  # a simulated successful charge; after a long gap the new period starts now
                start = sub.current_period_end
                if _add_interval(start, sub.plan.interval) <= now:
                    start = now
                end = _add_interval(start, sub.plan.interval)
                renewed = subscription_renew(
                    subscription=sub, source="sweep", period_start=start, period_end=end, now=now
                )
                counts["renewed"] += int(renewed.current_period_end > sub.current_period_end)
            else:
                subscription_mark_past_due(subscription=sub, source="sweep", since=sub.current_period_end, now=now)
                counts["past_due"] += 1
        except Conflict:  # its state changed since the candidate list was read (a webhook won): nothing to do
            continue
    key = Concat(Value("paywall:sub:"), Cast(OuterRef("pk"), CharField()), Value(":trial_ending"))
    ending = live.filter(status=S.TRIALING, trial_end__gt=now, trial_end__lte=now + TRIAL_ENDING_NOTICE).exclude(
        Exists(OutboundEmail.objects.filter(key=key))
    )
    for sub in ending:
        _subscription_email(subscription=sub, template="trial_ending", key=f"sub:{sub.pk}:trial_ending")
        counts["trial_ending_emails"] += 1
    return counts


def _sweep_expire_due(sub: Subscription, *, now: datetime, grace: timedelta) -> bool:
    if sub.status == S.TRIALING and sub.trial_end and sub.trial_end <= now:
        return True
    if sub.cancel_at_period_end and sub.current_period_end and sub.current_period_end <= now:
        return True
    return bool(sub.status == S.PAST_DUE and sub.past_due_since and sub.past_due_since <= now - grace)


def demo_subscriptions_ensure(*, subscriber_email: str, now: datetime | None = None) -> Subscription | None:
    """Give the demo subscriber an active weekly subscription (dev provider, so the sweep renews it). Idempotent:
    an existing live subscription is kept."""
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.filter(email__iexact=subscriber_email).first()
    if user is None:
        return None
    live = Subscription.objects.filter(user_id=user.pk, status__in=Subscription.LIVE_STATUSES).first()
    if live is not None:
        return live
    plan = Plan.objects.filter(code="weekly").first() or plan_list_active().first()
    if plan is None:
        return None
    return subscription_activate(
        user=user, plan=plan, source="demo", provider="dev", provider_subscription_id=f"demo_{user.pk}", now=now
    )


__all__ += [  # noqa: PLE0605
    "SubscriptionErrorCode",
    "demo_subscriptions_ensure",
    "subscription_activate",
    "subscription_cancel",
    "subscription_cancel_now",
    "subscription_checkout_create",
    "subscription_comp",
    "subscription_current",
    "subscription_expire",
    "subscription_mark_past_due",
    "subscription_renew",
    "subscription_resume",
    "subscription_sweep",
    "subscription_trial_start",
]
