from datetime import timedelta

import pytest
from django.utils import timezone

from articles.models import Article
from articles.services import article_publish, article_save, article_schedule, articles_publish_due, html_sanitize
from cms.core.exceptions import PermissionDenied
from tests.articles.factories import ArticleFactory

pytestmark = pytest.mark.django_db


def test_hostile_html_is_sanitised():
    dirty = '<p onclick="x()">Hi<script>alert(1)</script><img src=x onerror=alert(1)><a href="javascript:a()">l</a></p>'
    clean = html_sanitize(dirty)
    assert "<script" not in clean and "onerror" not in clean and "onclick" not in clean
    assert "javascript:" not in clean
    assert clean.startswith("<p>Hi")


def test_preview_ends_at_marker_or_after_three_paragraphs(editor):
    article = Article(title="T", body="<p>a</p><p>b</p><p>[paywall]</p><p>c</p>")
    article_save(article=article, user=editor)
    assert article.body_preview == "<p>a</p><p>b</p>"
    assert "[paywall]" not in article.body and "<p>c</p>" in article.body
    other = Article(title="U", body="".join(f"<p>{i}</p>" for i in range(6)))
    article_save(article=other, user=editor)
    assert other.body_preview == "<p>0</p><p>1</p><p>2</p>"


def test_short_body_preview_never_equals_the_body(editor):
    article = article_save(article=Article(title="Short", body="<p>only</p>"), user=editor)
    assert article.body_preview == ""


def test_contributor_cannot_publish(contributor):
    article = article_save(article=Article(title="Draft"), user=contributor)
    with pytest.raises(PermissionDenied):
        article_publish(article=article, user=contributor)
    article.status = Article.Status.PUBLISHED
    with pytest.raises(PermissionDenied):
        article_save(article=article, user=contributor)


def test_editor_publishes_idempotently(editor):
    article = article_save(article=Article(title="News"), user=editor)
    published = article_publish(article=article, user=editor)
    again = article_publish(article=published, user=editor)
    assert again.status == "published" and again.published_at == published.published_at
    assert again.version == published.version


def test_scheduled_articles_publish_when_due_once(editor):
    article = article_save(article=Article(title="Later"), user=editor)
    article_schedule(article=article, user=editor, at=timezone.now() + timedelta(minutes=5))
    assert articles_publish_due() == 0
    later = timezone.now() + timedelta(minutes=6)
    assert articles_publish_due(now=later) == 1
    assert articles_publish_due(now=later) == 0
    assert Article.objects.get(pk=article.pk).status == "published"


def test_revisions_are_recorded(editor):
    article = ArticleFactory(title="First title")
    article.title = "Second title"
    article_save(article=article, user=editor)
    titles = list(article.history.order_by("history_date").values_list("title", flat=True))
    assert titles[-2:] == ["First title", "Second title"]
