"""THE decision of who may read how much of an article. Every surface (REST, GraphQL, feeds, search, comments,
webhooks, emails) asks `access_decide` (one article) or `access_decide_many` (a list); none checks a subscription
itself. Both run the same ladder, `_decide`; they differ only in how its facts are fetched (on demand for one
article, in a constant number of queries for a list).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from django.conf import settings
from django.utils import timezone

from articles.models import Article, ArticleAuthor

from ..readers import Reader
from ..selectors import meter_look, meter_read_ids, meter_used, plan_offers
from .meter import ALREADY_READ, COUNTED, EXHAUSTED, ReaderState, meter_read_record, reader_state
from .trials import trial_available


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


_UNLIMITED = {"staff": Reason.STAFF, "subscriber": Reason.SUBSCRIBER, "trial": Reason.TRIAL}


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


PREVIEW_DECISION = AccessDecision(
    granted=True, reason=Reason.PREVIEW, reader_kind="preview", limit=None, reads_left=None, resets_at=None, period=None
)


def _decision(state: ReaderState, *, granted: bool, reason: str, used: int = 0, **flags) -> AccessDecision:
    return AccessDecision(
        granted=granted,
        reason=reason,
        reader_kind=state.kind,
        limit=state.limit,
        reads_left=None if state.limit is None else max(state.limit - used, 0),
        resets_at=state.resets_at,
        period=state.period,
        **flags,
    )


class _OneArticleFacts:
    """The ladder's facts for one article, each fetched only when the ladder asks for it."""

    def __init__(self, *, reader: Reader, state: ReaderState, record: bool):
        self.reader, self.state = reader, state
        self.metered = bool(reader.user or reader.anon_id) and state.limit is not None
        self.record = record and self.metered

    def is_author(self, article: Article) -> bool:
        user = self.reader.user
        if user is None:
            return False
        links = getattr(article, "ordered_article_authors", None)  # the selectors' byline prefetch
        if links is not None:
            return any(link.author.user_id == user.pk for link in links)
        return ArticleAuthor.objects.filter(article_id=article.pk, author__user_id=user.pk).exists()

    def used(self) -> int:
        return meter_used(reader_key=self.reader.key, period=self.state.period) if self.metered else 0

    def look(self, article: Article) -> tuple[int, bool]:
        if not self.metered:
            return 0, False
        return meter_look(reader_key=self.reader.key, period=self.state.period, article_id=article.pk)

    def count(self, article: Article) -> tuple[str, int]:
        return meter_read_record(reader=self.reader, article_id=article.pk, state=self.state)


class _ListFacts:
    """The ladder's facts for a list of articles, fetched up front: at most three queries whatever its length."""

    record = False

    def __init__(self, *, reader: Reader, state: ReaderState, articles: list[Article]):
        metered = bool(reader.user or reader.anon_id) and state.limit is not None
        self._used = meter_used(reader_key=reader.key, period=state.period) if metered else 0
        metered_ids = [a.pk for a in articles if a.access_level == Article.AccessLevel.METERED]
        self._read_ids: set[int] = set()
        if metered and metered_ids:
            self._read_ids = meter_read_ids(reader_key=reader.key, period=state.period, article_ids=metered_ids)
        self._author_ids: set[int] = set()
        if reader.user is not None and state.kind != "staff":
            self._author_ids = set(
                ArticleAuthor.objects.filter(
                    article_id__in=[a.pk for a in articles], author__user_id=reader.user.pk
                ).values_list("article_id", flat=True)
            )

    def is_author(self, article: Article) -> bool:
        return article.pk in self._author_ids

    def used(self) -> int:
        return self._used

    def look(self, article: Article) -> tuple[int, bool]:
        return self._used, article.pk in self._read_ids


def _reason_without_meter(*, state: ReaderState, article: Article, facts) -> str | None:
    """Free, staff, author, subscriber or trial (granted), premium (refused); None: it is the meter's call."""
    if article.access_level == Article.AccessLevel.FREE:
        return Reason.FREE
    if state.kind == "staff":
        return Reason.STAFF
    if facts.is_author(article):
        return Reason.AUTHOR
    if state.kind in _UNLIMITED:
        return _UNLIMITED[state.kind]
    if article.access_level == Article.AccessLevel.PREMIUM:
        return Reason.PREMIUM
    return None


def _decide(*, state: ReaderState, article: Article, facts) -> AccessDecision:
    """THE ladder, the one place that says who may read how much: free, staff, author, subscriber or trial,
    premium, then the meter: a counted read when `facts.record` (article detail), otherwise a look (already read
    this period; allowance left, which a detail request would count; exhausted). A reader without any id cannot be
    metered: it only looks, with nothing read."""
    reason = _reason_without_meter(state=state, article=article, facts=facts)
    if reason is not None:
        used = facts.used() if state.limit is not None else 0  # a metered reader still sees the allowance
        return _decision(state, granted=reason != Reason.PREMIUM, reason=reason, used=used)
    if facts.record:
        outcome, used = facts.count(article)
    else:
        used, has_read = facts.look(article)
        outcome = ALREADY_READ if has_read else _WOULD_COUNT if used < state.limit else EXHAUSTED
    return _decision(state, used=used, **_METER_OUTCOMES[outcome])


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
        return PREVIEW_DECISION
    state = reader_state(reader=reader, now=now or timezone.now())
    return _decide(state=state, article=article, facts=_OneArticleFacts(reader=reader, state=state, record=record))


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
