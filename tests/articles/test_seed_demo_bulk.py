"""seed_demo's large-seed path (COPY on PostgreSQL): the same articles as the regular path, searchable, served alike.

The threshold is lowered so a few hundred articles take the path that 1,000,000 take in the benchmark.
"""

from __future__ import annotations

from datetime import UTC, datetime
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection
from django.db.models import TextField
from django.db.models.functions import Cast

from articles.demo import loader
from articles.demo.generator import demo_article
from articles.models import Article, ArticleAuthor
from articles.services import article_save

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
COUNT = 300
REFERENCE_SLUG = "russia-says-is-making-afghanistan-resting-place-for-terrorism"
SKIP_FIELDS = {"id", "created_at", "updated_at", "search_vector"}


def _needs_postgresql():
    if connection.vendor != "postgresql":
        pytest.skip("the COPY path is PostgreSQL-only (SQLite keeps the bulk_create path)")


def _snapshot() -> dict[str, dict]:
    """Every served field of every article, with its tags and byline order (ids and timestamps aside)."""
    fields = [f.attname for f in Article._meta.concrete_fields if f.attname not in SKIP_FIELDS]
    rows = {}
    for article in Article.objects.prefetch_related("tags", "article_authors__author"):
        rows[article.slug] = {
            **{name: getattr(article, name) for name in fields},
            "tags": sorted(tag.slug for tag in article.tags.all()),
            "authors": [byline.author.slug for byline in article.article_authors.all()],
        }
    return rows


def _vectors() -> dict[str, str]:
    return dict(Article.objects.values_list("slug", Cast("search_vector", TextField())))


# what differs between two loads of the same articles: database ids, write times, and cursors (signed, timed)
VOLATILE = {"id", "updated_at", "created_at", "dateModified", "next", "previous"}


def _without_ids(value):
    """API output without the keys that differ between two loads of the same articles."""
    if isinstance(value, dict):
        return {k: _without_ids(v) for k, v in value.items() if k not in VOLATILE}
    if isinstance(value, list):
        return [_without_ids(v) for v in value]
    return value


def _served(client) -> dict:
    slugs = [demo_article(n).slug for n in (1, 2, 3, 58, 199, 300)]
    return {
        "list": _without_ids(client.get("/api/v1/articles/?page_size=50").json()),
        "search": _without_ids(client.get("/api/v1/articles/?search=drones&page_size=20").json()),
        **{slug: _without_ids(client.get(f"/api/v1/articles/{slug}/").json()) for slug in slugs},
    }


def test_copy_path_loads_the_same_articles_as_the_regular_path(api_client, editor):
    _needs_postgresql()
    taxonomy = loader.demo_taxonomy_ensure()
    api_client.force_authenticate(editor)  # staff read everything, uncounted

    # given: the articles loaded by COPY (in batches, in this test's connection)
    created = loader.demo_articles_copy(count=COUNT, taxonomy=taxonomy, batch_size=128, workers=1, now=NOW)
    copied, copied_vectors, copied_api = _snapshot(), _vectors(), _served(api_client)

    # when: the same articles go through the regular path instead
    Article.objects.all().delete()
    regular_created = loader.demo_articles_ensure(count=COUNT, taxonomy=taxonomy, now=NOW)

    # then: identical fields, tags, bylines, search vectors and API output
    assert created == regular_created == COUNT
    assert copied == _snapshot()
    assert copied_vectors == _vectors() and None not in copied_vectors.values()
    assert copied_api == _served(api_client)
    assert copied_api["search"]["results"] and copied_api["list"]["results"]


def test_a_copied_article_is_what_article_save_makes_of_it():
    _needs_postgresql()
    taxonomy = loader.demo_taxonomy_ensure()
    loader.demo_articles_copy(count=40, taxonomy=taxonomy, batch_size=16, workers=1)

    for number in (1, 4, 29, 40):  # 29 is a draft
        article = Article.objects.get(slug=demo_article(number).slug)
        before = (article.slug, article.dek, article.body, article.body_preview, _vectors()[article.slug])

        # when: re-saved as an editor would (sanitise, preview cut, slug, search vector)
        article_save(article=article, user=None)

        # then: the product computes exactly what the import wrote
        article.refresh_from_db()
        assert (article.slug, article.dek, article.body, article.body_preview, _vectors()[article.slug]) == before
        assert article.body_preview and len(article.body_preview) < len(article.body)


def test_copy_path_only_adds_the_missing_articles():
    _needs_postgresql()
    taxonomy = loader.demo_taxonomy_ensure()
    seen = []
    first = loader.demo_articles_copy(count=50, taxonomy=taxonomy, batch_size=20, workers=1, progress=seen.append)
    bylines, article_tags = ArticleAuthor.objects.count(), Article.tags.through.objects.count()

    again = loader.demo_articles_copy(count=70, taxonomy=taxonomy, batch_size=20, workers=1)

    assert first == 50 and seen == [20, 20, 10] and again == 20
    assert Article.objects.count() == 70 and ArticleAuthor.objects.count() > bylines
    assert Article.tags.through.objects.count() > article_tags
    assert not Article.objects.filter(search_vector__isnull=True).exists()


@pytest.mark.django_db(transaction=True)  # helper threads use their own connections
def test_seed_demo_above_the_threshold(monkeypatch, api_client):
    # given: a threshold low enough for 300 articles to take the large-seed path (COPY with 2 threads on PostgreSQL;
    # the bulk_create path without history rows on SQLite)
    monkeypatch.setattr(loader, "COPY_THRESHOLD", 100)
    monkeypatch.setattr(loader, "COPY_BATCH_SIZE", 64)
    monkeypatch.setattr(loader, "HISTORY_LIMIT", 100)

    out = StringIO()
    call_command("seed_demo", "--articles", str(COUNT), "--no-images", stdout=out)
    counts = (Article.objects.count(), ArticleAuthor.objects.count(), Article.tags.through.objects.count())
    call_command("seed_demo", "--articles", str(COUNT), "--no-images", stdout=StringIO())

    # then: the newsroom is complete, a second run adds nothing, and the summary is printed
    assert counts == (Article.objects.count(), ArticleAuthor.objects.count(), Article.tags.through.objects.count())
    assert counts[0] == COUNT + 1
    assert counts[1] >= COUNT and counts[2] >= 2 * COUNT
    assert f"articles: {COUNT + 1} ({COUNT} created now;" in out.getvalue()
    assert Article.history.exclude(slug=REFERENCE_SLUG).count() == 0  # a demo import is not an editorial action
    if connection.vendor == "postgresql":
        assert not Article.objects.filter(search_vector__isnull=True).exists()
    for number in (1, 150, COUNT):
        d = demo_article(number)
        article = Article.objects.get(slug=d.slug)
        assert sorted(article.tags.values_list("name", flat=True)) == sorted(d.tags)
        assert [b.author.name for b in article.article_authors.select_related("author")] == list(d.authors)

    # and: lists, search and details serve them
    listed = api_client.get("/api/v1/articles/?page_size=100")
    assert listed.status_code == 200 and len(listed.json()["results"]) == 100
    found = api_client.get("/api/v1/articles/?search=drones")
    assert found.status_code == 200 and found.json()["results"]
    assert any("<mark>drone" in (item.get("snippet") or "").lower() for item in found.json()["results"])
    editor = get_user_model().objects.get(email="editor@masthead.local")
    api_client.force_authenticate(editor)
    d = next(demo_article(n) for n in range(1, COUNT) if demo_article(n).status == "published")
    detail = api_client.get(f"/api/v1/articles/{d.slug}/").json()
    assert detail["title"] == d.title and detail["body_is_preview"] is False
    assert detail["body"] == Article.objects.get(slug=d.slug).body
