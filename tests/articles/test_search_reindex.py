from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection

from articles.models import Article
from tests.articles.factories import ArticleFactory

pytestmark = pytest.mark.django_db


def test_search_reindex_fills_missing_vectors_and_reports():
    ArticleFactory.create_batch(3, title="Carrier group sails")
    out = StringIO()
    call_command("search_reindex", "--missing", "--batch-size", "2", stdout=out, stderr=StringIO())
    if connection.vendor != "postgresql":
        assert "no index to rebuild" in out.getvalue()
        return
    assert "Reindexed 3 articles" in out.getvalue()
    assert not Article.objects.filter(search_vector__isnull=True).exists()
    assert Article.objects.filter(search_vector="carrier").count() == 3
