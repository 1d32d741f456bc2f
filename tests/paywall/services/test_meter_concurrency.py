"""Two requests at once never let a reader past the meter (real database, real threads)."""

import threading

import pytest
from django.db import connection, connections

from paywall.models import MeterPeriod, MeterRead
from paywall.readers import Reader, reader_token_issue
from paywall.services import access_decide
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


@pytest.mark.django_db(transaction=True)
def test_fifty_concurrent_reads_grant_exactly_the_limit():
    if connection.vendor == "sqlite":
        pytest.skip("thread concurrency is exercised on PostgreSQL (CI); SQLite serialises writes anyway")
    # given a registered reader (limit 5) and 50 different metered articles
    user = UserFactory()
    articles = ArticleFactory.create_batch(50)
    # when 50 requests arrive at once
    results = _hammer(Reader(user=user), articles)
    # then exactly five get the full body, and the meter agrees
    assert len(results) == 50
    assert results.count(True) == 5
    assert MeterRead.objects.filter(reader_key=f"u:{user.pk}").count() == 5
    assert MeterPeriod.objects.get(reader_key=f"u:{user.pk}").used == 5


@pytest.mark.django_db(transaction=True)
def test_concurrent_rereads_of_one_article_count_once():
    if connection.vendor == "sqlite":
        pytest.skip("thread concurrency is exercised on PostgreSQL (CI)")
    anon_id, _ = reader_token_issue()
    reader = Reader(anon_id=anon_id)
    article = ArticleFactory()
    results = _hammer(reader, [article], repeat=20)
    assert results.count(True) == 20
    assert MeterPeriod.objects.get(reader_key=reader.key).used == 1
    assert MeterRead.objects.filter(reader_key=reader.key).count() == 1
