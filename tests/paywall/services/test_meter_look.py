"""`meter_use`: the distinct articles counted in a window, whether an article is one, and the oldest read's day, in
one statement."""

from datetime import timedelta

import pytest
from django.utils import timezone

from paywall.models import MeterRead
from paywall.selectors import MeterUse, meter_use, period_for
from tests.articles.factories import ArticleFactory

pytestmark = pytest.mark.django_db


def test_meter_use_reports_used_read_and_oldest():
    day, _ = period_for(timezone.now())
    read, unread = ArticleFactory(), ArticleFactory()
    assert meter_use(reader_key="a:new", first_day=day, day=day, article_id=read.pk) == MeterUse(0, False, None)
    MeterRead.objects.create(reader_key="a:x", period=day, article=read)
    MeterRead.objects.create(reader_key="a:x", period=day, article=ArticleFactory())
    assert meter_use(reader_key="a:x", first_day=day, day=day, article_id=read.pk) == MeterUse(2, True, day)
    assert meter_use(reader_key="a:x", first_day=day, day=day, article_id=unread.pk) == MeterUse(2, False, day)
    assert meter_use(reader_key="a:x", first_day=day, day=day) == MeterUse(2, False, day)
    assert meter_use(reader_key="a:other", first_day=day, day=day, article_id=read.pk) == MeterUse(0, False, None)


def test_a_window_counts_distinct_articles_over_its_days():
    day, _ = period_for(timezone.now())
    article = ArticleFactory()
    earlier = day - timedelta(days=3)
    MeterRead.objects.create(reader_key="a:x", period=earlier, article=article)
    MeterRead.objects.create(reader_key="a:x", period=day, article=article)  # e.g. read again after a window change
    MeterRead.objects.create(reader_key="a:x", period=day - timedelta(days=9), article=ArticleFactory())  # outside
    use = meter_use(reader_key="a:x", first_day=day - timedelta(days=6), day=day, article_id=article.pk)
    assert use == MeterUse(1, True, earlier)


def test_meter_use_is_one_statement(django_assert_num_queries):
    day, _ = period_for(timezone.now())
    article = ArticleFactory()
    with django_assert_num_queries(1):
        meter_use(reader_key="a:x", first_day=day - timedelta(days=30), day=day, article_id=article.pk)
