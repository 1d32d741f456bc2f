"""`meter_look`: reads counted and whether an article is one, in one statement."""

import pytest
from django.utils import timezone

from paywall.models import MeterPeriod, MeterRead
from paywall.selectors import meter_look, period_for
from tests.articles.factories import ArticleFactory

pytestmark = pytest.mark.django_db


def test_meter_look_reports_used_and_read():
    period, _ = period_for(timezone.now())
    read, unread = ArticleFactory(), ArticleFactory()
    assert meter_look(reader_key="a:new", period=period, article_id=read.pk) == (0, False)
    MeterPeriod.objects.create(reader_key="a:x", period=period, used=2)
    MeterRead.objects.create(reader_key="a:x", period=period, article=read)
    assert meter_look(reader_key="a:x", period=period, article_id=read.pk) == (2, True)
    assert meter_look(reader_key="a:x", period=period, article_id=unread.pk) == (2, False)
    assert meter_look(reader_key="a:x", period=period) == (2, False)
    assert meter_look(reader_key="a:other", period=period, article_id=read.pk) == (0, False)


def test_meter_look_is_one_statement(django_assert_num_queries):
    period, _ = period_for(timezone.now())
    article = ArticleFactory()
    with django_assert_num_queries(1):
        meter_look(reader_key="a:x", period=period, article_id=article.pk)
