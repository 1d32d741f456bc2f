from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from articles.models import Article, ArticleAuthor
from paywall.models import MeterDailyStat, MeterPeriod, MeterRead
from paywall.readers import Reader, reader_token_issue
from paywall.services import (
    access_decide,
    access_decide_many,
    meter_merge,
    meter_periods_close,
    meter_policy_update,
    meter_state,
)
from tests.articles.factories import ArticleFactory, AuthorFactory

# every case runs with both implementations of the counted read (stored function and ORM)
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("meter_implementation")]


def anon() -> Reader:
    anon_id, _ = reader_token_issue()
    return Reader(anon_id=anon_id)


def test_anonymous_reader_gets_three_metered_reads_then_exhausted():
    # given
    reader = anon()
    articles = ArticleFactory.create_batch(4)
    # when
    decisions = [access_decide(reader=reader, article=a, record=True) for a in articles]
    # then
    assert [d.granted for d in decisions] == [True, True, True, False]
    assert [d.reason for d in decisions] == ["metered", "metered", "metered", "meter_exhausted"]
    assert [d.reads_left for d in decisions] == [2, 1, 0, 0]
    assert decisions[0].reader_kind == "anonymous" and decisions[0].limit == 3


def test_rereading_a_counted_article_is_free_and_not_counted_twice():
    reader = anon()
    articles = ArticleFactory.create_batch(4)
    for a in articles[:3]:
        access_decide(reader=reader, article=a, record=True)
    again = access_decide(reader=reader, article=articles[0], record=True)
    assert again.granted and again.reason == "already_read" and not again.counted
    assert MeterRead.objects.filter(reader_key=reader.key).count() == 3


def test_registered_reader_gets_five(reader):
    r = Reader(user=reader)
    decisions = [access_decide(reader=r, article=a, record=True) for a in ArticleFactory.create_batch(6)]
    assert [d.granted for d in decisions] == [True] * 5 + [False]
    assert decisions[0].reader_kind == "registered"


def test_free_article_is_never_counted():
    reader = anon()
    article = ArticleFactory(access_level=Article.AccessLevel.FREE)
    decision = access_decide(reader=reader, article=article, record=True)
    assert decision.granted and decision.reason == "free"
    assert not MeterRead.objects.exists()


def test_premium_needs_a_subscription(reader, subscriber, trial_reader, lapsed_subscriber):
    article = ArticleFactory(access_level=Article.AccessLevel.PREMIUM)
    assert access_decide(reader=anon(), article=article, record=True).reason == "premium"
    assert access_decide(reader=Reader(user=reader), article=article, record=True).reason == "premium"
    assert access_decide(reader=Reader(user=lapsed_subscriber), article=article, record=True).reason == "premium"
    assert access_decide(reader=Reader(user=subscriber), article=article, record=True).reason == "subscriber"
    assert access_decide(reader=Reader(user=trial_reader), article=article, record=True).reason == "trial"
    assert not MeterRead.objects.exists()


def test_staff_and_authors_read_everything_uncounted(editor, reader):
    article = ArticleFactory(access_level=Article.AccessLevel.PREMIUM)
    author = AuthorFactory(user=reader)
    ArticleAuthor.objects.create(article=article, author=author)
    assert access_decide(reader=Reader(user=editor), article=article, record=True).reason == "staff"
    assert access_decide(reader=Reader(user=reader), article=article, record=True).reason == "author"
    assert not MeterRead.objects.exists()


def test_looks_never_count():
    reader = anon()
    article = ArticleFactory()
    decision = access_decide(reader=reader, article=article)
    assert not decision.granted and decision.would_count
    assert not MeterRead.objects.exists()
    many = access_decide_many(reader=reader, articles=[article])
    assert not many[article.pk].granted and many[article.pk].would_count
    access_decide(reader=reader, article=article, record=True)
    assert access_decide_many(reader=reader, articles=[article])[article.pk].reason == "already_read"


def test_period_resets_at_local_midnight(settings):
    settings.TIME_ZONE = "America/New_York"
    tz = ZoneInfo("America/New_York")
    reader = anon()
    articles = ArticleFactory.create_batch(4)
    before_midnight = datetime(2026, 3, 1, 23, 59, tzinfo=tz)
    for a in articles[:3]:
        access_decide(reader=reader, article=a, now=before_midnight, record=True)
    exhausted = access_decide(reader=reader, article=articles[3], now=before_midnight, record=True)
    assert exhausted.reason == "meter_exhausted"
    assert exhausted.resets_at == datetime(2026, 3, 2, 0, 0, tzinfo=tz)
    after_midnight = datetime(2026, 3, 2, 0, 1, tzinfo=tz)
    assert access_decide(reader=reader, article=articles[3], now=after_midnight, record=True).granted


def test_raising_the_limit_applies_at_once_without_resetting_counts():
    reader = anon()
    articles = ArticleFactory.create_batch(5)
    for a in articles[:3]:
        access_decide(reader=reader, article=a, record=True)
    assert not access_decide(reader=reader, article=articles[3], record=True).granted
    meter_policy_update(anonymous_limit=4, registered_limit=None)
    assert access_decide(reader=reader, article=articles[3], record=True).granted
    assert not access_decide(reader=reader, article=articles[4], record=True).granted
    assert meter_state(reader=reader)["used"] == 4


def test_merge_moves_anonymous_reads_without_double_counting(reader):
    anonymous = anon()
    articles = ArticleFactory.create_batch(3)
    for a in articles:
        access_decide(reader=anonymous, article=a, record=True)
    access_decide(reader=Reader(user=reader), article=articles[0], record=True)
    moved = meter_merge(anon_id=anonymous.anon_id, user=reader)
    assert moved == 3
    state = meter_state(reader=Reader(user=reader))
    assert state["used"] == 3 and state["remaining"] == 2
    assert not MeterRead.objects.filter(reader_key=anonymous.key).exists()


def test_reset_job_is_idempotent_and_keeps_aggregates(settings):
    settings.PAYWALL_METER_RETENTION_DAYS = 1
    reader = anon()
    article = ArticleFactory()
    three_days_ago = timezone.now() - timedelta(days=3)
    access_decide(reader=reader, article=article, now=three_days_ago, record=True)
    first = meter_periods_close()
    second = meter_periods_close()
    assert first["closed_days"] == 1 and second["closed_days"] == 0
    stat = MeterDailyStat.objects.get()
    assert stat.metered_reads == 1 and stat.readers == 1
    assert not MeterPeriod.objects.exists() and not MeterRead.objects.exists()


@pytest.mark.parametrize("access_level", [Article.AccessLevel.METERED, Article.AccessLevel.PREMIUM])
def test_an_editors_preview_token_opens_that_article_only_and_is_never_counted(access_level):
    """The preview link is decided here too (reason `preview`): its article in full, drafts included, for any
    reader, with nothing written to the meter; a token for another article, a tampered one, or none decide as
    usual."""
    from articles.services.preview import preview_token_create
    from paywall.services import access_decide

    draft = ArticleFactory(status=Article.Status.DRAFT, published_at=None, access_level=access_level)
    other = ArticleFactory(access_level=Article.AccessLevel.PREMIUM)
    token = preview_token_create(article=draft)
    reader = Reader(anon_id=reader_token_issue()[0])

    decision = access_decide(reader=reader, article=draft, record=True, preview_token=token)

    assert (decision.granted, decision.reason, decision.reader_kind, decision.counted) == (
        True,
        "preview",
        "preview",
        False,
    )
    assert decision.as_access() == {
        "granted": True,
        "reason": "preview",
        "reads_left": None,
        "limit": None,
        "resets_at": None,
        "reader_kind": "preview",
        "policy": None,
    }
    assert not MeterRead.objects.exists() and not MeterPeriod.objects.exists()
    for wrong in (token, token[:-2] + "xx", ""):
        refused = access_decide(reader=reader, article=other, preview_token=wrong)
        assert (refused.granted, refused.reason) == (False, "premium")
