"""seed_demo: the reference article, the generated newsroom, and idempotency (a second run creates nothing)."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection

from articles.demo.generator import demo_article
from articles.demo.loader import demo_articles_ensure, demo_taxonomy_ensure
from articles.models import Article, ArticleAuthor, Author, Image, Section, Tag

pytestmark = pytest.mark.django_db

REFERENCE_SLUG = "russia-says-is-making-afghanistan-resting-place-for-terrorism"


def _counts() -> dict:
    return {
        "articles": Article.objects.count(),
        "sections": Section.objects.count(),
        "tags": Tag.objects.count(),
        "authors": Author.objects.count(),
        "images": Image.objects.count(),
        "bylines": ArticleAuthor.objects.count(),
        "article_tags": Article.tags.through.objects.count(),
        "related": Article.related_articles.through.objects.count(),
        "users": get_user_model().objects.count(),
    }


def test_seed_demo_builds_the_newsroom_and_is_idempotent():
    # when
    out = StringIO()
    call_command("seed_demo", stdout=out)
    first = _counts()
    call_command("seed_demo", stdout=StringIO())

    # then: a second run creates no duplicates
    assert _counts() == first
    assert first["articles"] >= 61 and first["sections"] >= 8 and first["authors"] >= 12 and first["tags"] >= 30
    assert set(Article.objects.values_list("access_level", flat=True)) == {"free", "metered", "premium"}
    assert Article.objects.filter(section__name="Coalition SOF").count() >= 2
    generated = Article.objects.exclude(slug=REFERENCE_SLUG).filter(status="published").first()
    assert generated.body.count("<p>") >= 5 and generated.body_preview and generated.body_preview != generated.body
    assert generated.article_authors.exists() and generated.tags.exists()
    text = out.getvalue()
    assert "/admin/" in text and "/graphql/" in text and "/api/docs/" in text and "/feeds/" in text
    assert "editor" in text  # the admin login is printed


def test_reference_article_matches_the_page():
    call_command("seed_demo", "--articles", "20", stdout=StringIO())
    article = Article.objects.get(slug=REFERENCE_SLUG)
    assert article.title == "Russia Says IS Making Afghanistan “Resting Place” For Terrorism"
    assert article.section.name == "Coalition SOF"
    assert article.status == "published" and article.access_level == "metered"
    assert article.source_name == "The Voice of America"
    assert article.source_url.startswith("https://www.voanews.com/")
    assert article.hero_image.credit == "Photo courtesy Wikipedia"
    assert article.hero_image.width == 1600 and article.hero_image.file.name.endswith(".jpg")
    assert article.dek
    # the free part is the page's first three paragraphs; the body is the whole article, without the marker
    assert article.body_preview.count("<p>") == 3
    assert "Dedov told a seminar in Islamabad" in article.body_preview
    assert "The Pakistanis have praised the role of Russia" in article.body
    assert "The Pakistanis have praised" not in article.body_preview
    assert "[paywall]" not in article.body
    assert article.related_articles.count() >= 1
    assert set(article.related_articles.values_list("section__name", flat=True)) == {"Coalition SOF"}
    assert article.history.exists()


def test_generated_articles_are_deterministic():
    assert demo_article(7) == demo_article(7)
    assert demo_article(7).slug != demo_article(8).slug


def test_bulk_path_batches_and_only_adds_the_missing_articles():
    taxonomy = demo_taxonomy_ensure()
    seen = []
    created = demo_articles_ensure(count=20, taxonomy=taxonomy, batch_size=7, progress=seen.append)
    assert created == 20 and sum(seen) == 20 and len(seen) == 3
    bylines = ArticleAuthor.objects.count()

    again = demo_articles_ensure(count=25, taxonomy=taxonomy, batch_size=7)

    assert again == 5 and Article.objects.count() == 25
    assert ArticleAuthor.objects.count() > bylines
    if connection.vendor == "postgresql":  # each batch's full-text vectors are computed with it
        assert not Article.objects.filter(search_vector__isnull=True).exists()
    article = Article.objects.get(slug=demo_article(3).slug)
    assert list(article.tags.values_list("name", flat=True).order_by("name")) == sorted(demo_article(3).tags)
