"""Two requests at once never let a reader past the meter (real database, real threads), and the two
implementations of the counted read (the PostgreSQL stored function and the ORM) behave the same: every test that
takes `meter_implementation` runs once with each."""

import dataclasses
import threading

import pytest
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from paywall.models import MeterPeriod, MeterRead, MeterWindow
from paywall.readers import Reader, reader_token_issue
from paywall.services import access_decide, meter_policy_update, meter_read_record
from paywall.services.meter import ReaderState, reader_state
from tests.accounts.factories import UserFactory
from tests.articles.factories import ArticleFactory


def _hammer(reader: Reader, articles, repeat: int = 1) -> list[bool]:
    results: list[bool] = []
    lock = threading.Lock()
    barrier = threading.Barrier(len(articles) * repeat)

    def read(article):
        try:
            barrier.wait(timeout=30)
            decision = access_decide(reader=reader, article=article, record=True)
            with lock:
                results.append(decision.granted)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=read, args=(a,)) for a in articles for _ in range(repeat)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return results


def _state(reader: Reader, limit: int) -> ReaderState:
    return dataclasses.replace(reader_state(reader=reader, now=timezone.now()), limit=limit)


WINDOWS = [MeterWindow.DAY, MeterWindow.WEEK, MeterWindow.MONTH, MeterWindow.ROLLING]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("window", WINDOWS)
def test_fifty_concurrent_reads_grant_exactly_the_limit(meter_implementation, window):
    if connection.vendor == "sqlite":
        pytest.skip("thread concurrency is exercised on PostgreSQL; SQLite serialises writes anyway")
    # given a registered reader (limit 5 per window) who read one article earlier in a multi-day window
    meter_policy_update(window=window, rolling_days=10 if window == MeterWindow.ROLLING else 30)
    user = UserFactory()
    key = f"u:{user.pk}"
    articles = ArticleFactory.create_batch(50)
    first_day = reader_state(reader=Reader(user=user), now=timezone.now()).period
    earlier = window != MeterWindow.DAY and first_day < timezone.localdate()
    if earlier:
        MeterRead.objects.create(reader_key=key, period=first_day, article=ArticleFactory())
    # when 50 requests for 50 different metered articles arrive at once
    results = _hammer(Reader(user=user), articles)
    # then exactly the allowance left gets the full body, and the meter agrees
    assert len(results) == 50
    assert results.count(True) == 5 - earlier
    assert MeterRead.objects.filter(reader_key=key).count() == 5
    assert MeterPeriod.objects.get(reader_key=key, period=timezone.localdate()).used == 5 - earlier


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("window", WINDOWS)
def test_concurrent_rereads_of_one_article_count_once(meter_implementation, window):
    if connection.vendor == "sqlite":
        pytest.skip("thread concurrency is exercised on PostgreSQL; SQLite serialises writes anyway")
    meter_policy_update(window=window)
    anon_id, _ = reader_token_issue()
    reader = Reader(anon_id=anon_id)
    article = ArticleFactory()
    results = _hammer(reader, [article], repeat=20)
    assert results.count(True) == 20
    assert MeterPeriod.objects.get(reader_key=reader.key).used == 1
    assert MeterRead.objects.filter(reader_key=reader.key).count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("window", WINDOWS)
def test_both_implementations_agree_on_outcomes_and_rows(meter_implementation, window, django_assert_max_num_queries):
    """Counted, re-read, exhausted (with a paywall hit): the same outcomes and the same rows either way, for every
    window; the stored function in one round trip."""
    meter_policy_update(window=window)
    reader = Reader(user=UserFactory())
    articles = ArticleFactory.create_batch(4)
    state = _state(reader, 2)

    def record(article):
        return meter_read_record(reader=reader, article_id=article.pk, state=state)

    with django_assert_max_num_queries(1 if meter_implementation == "function" else 12):
        first = record(articles[0])
    outcomes = [first, record(articles[1]), record(articles[0]), record(articles[2]), record(articles[3])]
    day = state.today
    assert outcomes == [
        ("counted", 1, day),
        ("counted", 2, day),
        ("already_read", 2, day),
        ("exhausted", 2, day),
        ("exhausted", 2, day),
    ]
    meter = MeterPeriod.objects.get(reader_key=reader.key)
    assert (meter.used, meter.paywall_hits) == (2, 2)
    assert set(MeterRead.objects.filter(reader_key=reader.key).values_list("article_id", flat=True)) == {
        articles[0].pk,
        articles[1].pk,
    }


@pytest.mark.django_db
@pytest.mark.parametrize("window", WINDOWS)
@pytest.mark.parametrize("limit, outcome, used, hits", [(0, "exhausted", 0, 1), (1, "counted", 1, 0)])
def test_first_read_of_a_period_agrees_on_both_implementations(
    meter_implementation, window, limit, outcome, used, hits
):
    """A reader's first counted read of the day (for a day window the function's short path: the INSERT counts it);
    with no allowance at all it is refused and counted as a paywall hit, like the ORM does."""
    meter_policy_update(window=window)
    reader = Reader(anon_id=reader_token_issue()[0])

    state = _state(reader, limit)
    result = meter_read_record(reader=reader, article_id=ArticleFactory().pk, state=state)

    assert result == (outcome, used, state.today if used else None)
    meter = MeterPeriod.objects.get(reader_key=reader.key)
    assert (meter.used, meter.paywall_hits) == (used, hits)
    assert MeterRead.objects.filter(reader_key=reader.key).count() == used


def test_postgresql_counts_with_the_stored_function_and_other_databases_with_the_orm():
    from paywall.services import meter

    expected = meter._meter_read_with_function if connection.vendor == "postgresql" else meter._meter_read_with_orm
    assert meter.meter_read_recorder(connection) is expected


def _counted_read_sql(reader, article) -> tuple[tuple, str]:
    with CaptureQueriesContext(connection) as queries:
        result = meter_read_record(reader=reader, article_id=article.pk, state=_state(reader, 3))
    return result, queries.captured_queries[-1]["sql"]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("synchronous", [True, False])
def test_asynchronous_commit_is_opt_in_and_stays_in_its_transaction(settings, synchronous):
    """`PAYWALL_METER_SYNCHRONOUS_COMMIT = False`: the counted read's own transaction commits without waiting for
    the WAL flush; the connection's setting is untouched afterwards, and the outcome and rows are the same."""
    if connection.vendor != "postgresql":
        pytest.skip("synchronous_commit is PostgreSQL's")
    settings.PAYWALL_METER_SYNCHRONOUS_COMMIT = synchronous
    reader = Reader(anon_id=reader_token_issue()[0])

    result, sql = _counted_read_sql(reader, ArticleFactory())

    assert result[:2] == ("counted", 1)
    assert ("synchronous_commit TO off" in sql) is (not synchronous)
    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        assert cursor.fetchone()[0] == "on"
    assert MeterRead.objects.filter(reader_key=reader.key).count() == 1


@pytest.mark.django_db
def test_asynchronous_commit_never_applies_inside_an_outer_transaction(settings):
    """Inside a caller's transaction SET LOCAL would make the caller's other writes non-durable too: not used."""
    if connection.vendor != "postgresql":
        pytest.skip("synchronous_commit is PostgreSQL's")
    settings.PAYWALL_METER_SYNCHRONOUS_COMMIT = False
    assert connection.in_atomic_block  # the test's own transaction

    result, sql = _counted_read_sql(Reader(anon_id=reader_token_issue()[0]), ArticleFactory())

    assert result[:2] == ("counted", 1)
    assert "synchronous_commit" not in sql
