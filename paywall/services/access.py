"""THE decision of who may read how much of an article. Every surface (REST, GraphQL, feeds, search, comments,
webhooks, emails) asks `access_decide` (one article) or `access_decide_many` (a list); none checks a subscription
itself. Both run the same ladder, `_decide`; they differ only in how its facts are fetched (on demand for one
article, in a constant number of queries for a list).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime

from django.conf import settings
from django.utils import timezone

from articles.models import Article, ArticleAuthor

from ..models import MeterWindow, SectionMeterRule
from ..readers import Reader
from ..selectors import MeterUse, meter_use, meter_uses, plan_offers
from .funnel import funnel_detail_record
from .gifts import GIFT_MESSAGES, GiftPass, gift_pass_check, gift_redeem
from .groups import group_network_read_record
from .meter import ALREADY_READ, COUNTED, EXHAUSTED, MeterCount, ReaderState, meter_read_record, reader_state
from .trials import trial_available


class Reason:
    FREE = "free"
    STAFF = "staff"
    AUTHOR = "author"
    GIFT = "gift"  # a subscriber's gift link for this very article (paywall/services/gifts.py)
    GROUP = "group"  # a member of a live group subscription, or a request from one of its networks
    SUBSCRIBER = "subscriber"
    TRIAL = "trial"
    ALREADY_READ = "already_read"
    METERED = "metered"
    PREMIUM = "premium"
    METER_EXHAUSTED = "meter_exhausted"
    PREVIEW = "preview"  # the holder of an editor's preview token for this article (drafts included)


class PaywallCode:
    """What the paywall asks of a refused reader (`paywall.code`)."""

    PREMIUM = "premium"
    METER_EXHAUSTED = "meter_exhausted"
    REGISTRATION_REQUIRED = "registration_required"


_UNLIMITED = {"staff": Reason.STAFF, "subscriber": Reason.SUBSCRIBER, "trial": Reason.TRIAL}


@dataclass(frozen=True)
class AccessDecision:
    """The answer to "may this reader read this article in full, now?".

    `granted`: the full body may be sent. `reason`: why (see Reason). `counted`: this call recorded a metered read.
    `would_count`: not granted only because this was a look that must not count (lists, feeds, related); a
    detail request would grant it with a counted read. `policy`: the experiment arm whose policy decided
    (`{"experiment": slug, "arm": name}`), None for the default policy. `registration_required`: refused at the
    anonymous allowance under a policy with the registration wall. `window`, `rolling_days`: the allowance window.
    `gift_link_id`: the gift link that granted it (reason `gift`); `gift_status`: why a gift token given with the
    request did not open the article (expired, exhausted, revoked, invalid), None otherwise.
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
    policy: dict | None = None
    registration_required: bool = False
    window: str = MeterWindow.DAY
    rolling_days: int = 0
    gift_link_id: int | None = None
    gift_status: str | None = None

    @property
    def paywall_code(self) -> str | None:
        """ "premium", "meter_exhausted" or "registration_required"; None when granted."""
        if self.granted:
            return None
        if self.reason == Reason.PREMIUM:
            return PaywallCode.PREMIUM
        return PaywallCode.REGISTRATION_REQUIRED if self.registration_required else PaywallCode.METER_EXHAUSTED

    def as_access(self) -> dict:
        """The public `access` object of detail responses."""
        return {
            "granted": self.granted,
            "reason": self.reason,
            "reads_left": self.reads_left,
            "limit": self.limit,
            "resets_at": self.resets_at,
            "reader_kind": self.reader_kind,
            "policy": self.policy,
        }


PREVIEW_DECISION = AccessDecision(
    granted=True, reason=Reason.PREVIEW, reader_kind="preview", limit=None, reads_left=None, resets_at=None, period=None
)


def _decision(
    state: ReaderState, *, granted: bool, reason: str, use: MeterUse, limit: int | None, **flags
) -> AccessDecision:
    return AccessDecision(
        granted=granted,
        reason=reason,
        reader_kind=state.kind,
        limit=limit,
        reads_left=None if limit is None else max(limit - use.used, 0),
        resets_at=state.resets_at_for(use.oldest),
        period=state.period,
        policy=state.policy,
        window=state.window,
        rolling_days=state.rolling_days,
        **flags,
    )


class _OneArticleFacts:
    """The ladder's facts for one article, each fetched only when the ladder asks for it."""

    def __init__(self, *, reader: Reader, state: ReaderState, record: bool, gift: GiftPass | None = None, now=None):
        self.reader, self.state = reader, state
        self.metered = bool(reader.user or reader.anon_id) and state.limit is not None
        self.record = record and self.metered
        self.gift, self._detail, self._now = gift, record, now

    def gift_opens(self, article: Article) -> bool:
        """Whether the request's gift token opens this article for this reader (redeeming it on a detail read)."""
        if self.gift is None:
            return False
        self.gift = gift_redeem(gift=self.gift, reader=self.reader, now=self._now, record=self._detail)
        return self.gift.opened

    def is_author(self, article: Article) -> bool:
        user = self.reader.user
        if user is None:
            return False
        links = getattr(article, "ordered_article_authors", None)  # the selectors' byline prefetch
        if links is not None:
            return any(link.author.user_id == user.pk for link in links)
        return ArticleAuthor.objects.filter(article_id=article.pk, author__user_id=user.pk).exists()

    def use(self, suffix: str, article: Article | None = None) -> MeterUse:
        """The reader's use of a bucket (`suffix`: "" the main allowance, `#s<id>` a section's own) in the window."""
        if not self.metered:
            return MeterUse()
        state = self.state
        article_id = article.pk if article is not None else None
        return meter_use(
            reader_key=self.reader.key + suffix, first_day=state.period, day=state.today, article_id=article_id
        )

    def count(self, article: Article, suffix: str, limit: int) -> MeterCount:
        return meter_read_record(
            reader=self.reader, article_id=article.pk, state=self.state, suffix=suffix, limit=limit
        )


class _ListFacts:
    """The ladder's facts for a list of articles, fetched up front: at most three queries whatever its length."""

    record = False

    def __init__(self, *, reader: Reader, state: ReaderState, articles: list[Article]):
        metered = bool(reader.user or reader.anon_id) and state.limit is not None
        self._key = reader.key
        self._uses: dict = {}
        self._read: set = set()
        if metered:
            metered_articles = [a for a in articles if a.access_level == Article.AccessLevel.METERED]
            suffixes = {_meter_level(state, a)[1][0] for a in metered_articles} | {""}
            self._uses, self._read = meter_uses(
                reader_keys=[reader.key + suffix for suffix in sorted(suffixes)],
                first_day=state.period,
                day=state.today,
                article_ids=[a.pk for a in metered_articles],
            )
        self._author_ids: set[int] = set()
        if reader.user is not None and state.kind != "staff":
            self._author_ids = set(
                ArticleAuthor.objects.filter(
                    article_id__in=[a.pk for a in articles], author__user_id=reader.user.pk
                ).values_list("article_id", flat=True)
            )

    def is_author(self, article: Article) -> bool:
        return article.pk in self._author_ids

    def gift_opens(self, article: Article) -> bool:
        return False  # a gift opens one article's detail, never a list

    def use(self, suffix: str, article: Article | None = None) -> MeterUse:
        key = self._key + suffix
        found = self._uses.get(key, MeterUse())
        return MeterUse(found.used, article is not None and (key, article.pk) in self._read, found.oldest)


_MAIN = ("", None)


def _meter_level(state: ReaderState, article: Article) -> tuple[str, tuple[str, int | None]]:
    """The article's access level after its section's rule, and the meter bucket it counts in: (suffix, limit),
    ("", None) being the reader's main allowance. A section rule applies to metered articles only."""
    level = article.access_level
    if level != Article.AccessLevel.METERED:
        return level, _MAIN
    rule = state.section_rule(article.section_id)
    if rule is None:
        return level, _MAIN
    if rule.mode == SectionMeterRule.Mode.PREMIUM:
        return Article.AccessLevel.PREMIUM, _MAIN
    if rule.mode == SectionMeterRule.Mode.UNMETERED:
        return Article.AccessLevel.FREE, _MAIN
    return level, state.section_bucket(article.section_id, rule)


def _reason_without_meter(*, state: ReaderState, article: Article, level: str, facts) -> str | None:
    """Free, staff, author, gift, subscriber or trial (granted), premium (refused); None: it is the meter's call."""
    if level == Article.AccessLevel.FREE:
        return Reason.FREE
    if state.kind == "staff":
        return Reason.STAFF
    if facts.is_author(article):
        return Reason.AUTHOR
    if facts.gift_opens(article):
        return Reason.GIFT
    if state.group_id is not None:  # a live group's member or network: read in full, never counted
        return Reason.GROUP
    if state.kind in _UNLIMITED:
        return _UNLIMITED[state.kind]
    if level == Article.AccessLevel.PREMIUM:
        return Reason.PREMIUM
    return None


def _decide(*, state: ReaderState, article: Article, facts) -> AccessDecision:
    """THE ladder, the one place that says who may read how much: the section's rule (always premium, never
    metered, or its own allowance), then free, staff, author, gift, subscriber or trial, premium, then the meter of the
    reader's policy (the default or an experiment arm's): a counted read when `facts.record` (article detail),
    otherwise a look (already read in this window; allowance left, which a detail request would count; exhausted).
    An anonymous reader exhausted under a policy with the registration wall is asked to register. A reader without
    any id cannot be metered: it only looks, with nothing read."""
    level, (suffix, limit) = _meter_level(state, article)
    limit = state.limit if limit is None else limit
    reason = _reason_without_meter(state=state, article=article, level=level, facts=facts)
    if reason is not None:
        use = facts.use("") if state.limit is not None else MeterUse()  # a metered reader still sees the allowance
        return _decision(state, granted=reason != Reason.PREMIUM, reason=reason, use=use, limit=state.limit)
    if facts.record:
        outcome, used, oldest = facts.count(article, suffix, limit)
        use = MeterUse(used, outcome == ALREADY_READ, oldest)
    else:
        use = facts.use(suffix, article)
        outcome = ALREADY_READ if use.has_read else _WOULD_COUNT if use.used < limit else EXHAUSTED
    wall = outcome == EXHAUSTED and state.kind == "anonymous" and state.registration_wall
    return _decision(state, use=use, limit=limit, registration_required=wall, **_METER_OUTCOMES[outcome])


_WOULD_COUNT = "would_count"
_METER_OUTCOMES = {
    COUNTED: {"granted": True, "reason": Reason.METERED, "counted": True},
    ALREADY_READ: {"granted": True, "reason": Reason.ALREADY_READ},
    _WOULD_COUNT: {"granted": False, "reason": Reason.METERED, "would_count": True},
    EXHAUSTED: {"granted": False, "reason": Reason.METER_EXHAUSTED},
}


def access_decide(
    *,
    reader: Reader,
    article: Article,
    now: datetime | None = None,
    record: bool = False,
    preview_token: str | None = None,
    gift_token: str | None = None,
) -> AccessDecision:
    """Decide how much of `article` this reader may read.

    With `record=False` (lists, feeds, related, search, comments) nothing is written: a metered article that the
    reader has not read this period is not granted (`would_count=True` if allowance is left).
    With `record=True` (only REST article detail and GraphQL `article(slug) { body }`), a metered read is counted
    once per (reader, article, window), atomically: see `meter_read_record`.
    A detail read (`record=True`) also appends its funnel event (a counted read or a paywall shown, see
    `funnel_detail_record`): one place for every surface.
    With `preview_token` (an editor's preview link, `?preview=`): a token valid for this very article grants the
    full text, never counted and whoever reads (reason `preview`); any other token changes nothing.
    With `gift_token` (a subscriber's gift link, `?gift=`): a token of this very article, neither expired, revoked
    nor exhausted, grants the full text uncounted (reason `gift`); otherwise the decision is the normal one, with
    `gift_status` saying why the token did not open it.
    """
    if preview_token is not None and _preview_token_opens(preview_token, article):
        return PREVIEW_DECISION
    now = now or timezone.now()
    state = reader_state(reader=reader, now=now)
    gift = gift_pass_check(token=gift_token, article=article, now=now) if gift_token is not None else None
    facts = _OneArticleFacts(reader=reader, state=state, record=record, gift=gift, now=now)
    decision = _decide(state=state, article=article, facts=facts)
    if gift is not None:
        decision = _with_gift(decision, facts.gift)
    if record:
        funnel_detail_record(reader=reader, article=article, decision=decision, now=now)
        if decision.reason == Reason.GROUP and state.group_via == "network":
            group_network_read_record(group_id=state.group_id, day=state.today)
    return decision


def _with_gift(decision: AccessDecision, gift: GiftPass) -> AccessDecision:
    if decision.reason == Reason.GIFT:
        return replace(decision, gift_link_id=gift.link_id)
    return replace(decision, gift_status=gift.status if gift.status in GIFT_MESSAGES else None)


def _preview_token_opens(token: str, article: Article) -> bool:
    from articles.services.preview import preview_token_verify

    return preview_token_verify(token=token, slug=article.slug) == article.pk


def access_decide_many(
    *, reader: Reader, articles: Iterable[Article], now: datetime | None = None
) -> dict[int, AccessDecision]:
    """`access_decide(record=False)` for a list of articles, in a constant number of queries."""
    articles = list(articles)
    state = reader_state(reader=reader, now=now or timezone.now())
    facts = _ListFacts(reader=reader, state=state, articles=articles)
    return {article.pk: _decide(state=state, article=article, facts=facts) for article in articles}


def article_body_for(*, article: Article, decision: AccessDecision) -> tuple[str, bool]:
    """(body HTML to send, is_preview). The one place the body/preview choice is made from a decision."""
    if decision.granted:
        return article.body, False
    return article.body_preview, True


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


def _limit_phrase(decision: AccessDecision) -> str:
    if decision.window == MeterWindow.WEEK:
        return "your free article limit for this week"
    if decision.window == MeterWindow.MONTH:
        return "your free article limit for this month"
    if decision.window == MeterWindow.ROLLING:
        return f"your free article limit for the last {decision.rolling_days} days"
    return "your daily free article limit"


def paywall_message(decision: AccessDecision) -> str:
    """The paywall's text for a refused decision, in the words of its code and window."""
    code = decision.paywall_code
    if code == PaywallCode.PREMIUM:
        return "This article is for subscribers only. Subscribe to continue reading."
    if code == PaywallCode.REGISTRATION_REQUIRED:
        return f"You've reached {_limit_phrase(decision)}. Register free to read more."
    return (
        f"You've reached {_limit_phrase(decision)}. Subscribe and support our veteran writing staff to continue "
        "reading."
    )


def _offer(*, message: str, reader: Reader) -> dict:
    return {
        "message": message,
        "plans": [dict(offer) for offer in plan_offers()],
        "trial": {"days": settings.PAYWALL_TRIAL_DAYS, "available": trial_available(user=reader.user)},
        "login_url": settings.PAYWALL_LOGIN_URL,
        "subscribe_url": settings.PAYWALL_SUBSCRIBE_URL,
    }


def paywall_payload(*, decision: AccessDecision, reader: Reader) -> dict | None:
    """What the frontend shows instead of the rest of the article; None when access is granted. `code`: "premium",
    "meter_exhausted" or "registration_required" (`AccessDecision.paywall_code`)."""
    if decision.granted:
        return None
    return {"code": decision.paywall_code, **_offer(message=paywall_message(decision), reader=reader)}


GIFT_OFFER_MESSAGE = "A subscriber shared this article with you. Subscribe to read everything."


def gift_offer_payload(*, decision: AccessDecision, reader: Reader) -> dict | None:
    """The invitation a gift's recipient gets with the full text (the paywall's plans and trial); None otherwise."""
    if decision.reason != Reason.GIFT:
        return None
    return _offer(message=GIFT_OFFER_MESSAGE, reader=reader)


def gift_payload(decision: AccessDecision) -> dict | None:
    """`{status, message}`: why the request's gift token did not open the article; None when it did or none came."""
    if decision.gift_status is None:
        return None
    return {"status": decision.gift_status, "message": GIFT_MESSAGES[decision.gift_status]}
