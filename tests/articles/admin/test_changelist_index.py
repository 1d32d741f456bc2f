"""The admin's article list reads its page in the model's ordering from an index, not by sorting the archive."""

import pytest
from django.contrib.admin.sites import site
from django.db import connection
from django.test import RequestFactory

from articles.models import Article
from tests.articles.factories import ArticleFactory

pytestmark = pytest.mark.django_db


@pytest.mark.skipif(connection.vendor != "postgresql", reason="plans are PostgreSQL's")
def test_admin_article_list_page_comes_from_the_ordering_index(editor):
    ArticleFactory.create_batch(3)
    ArticleFactory(status=Article.Status.DRAFT, published_at=None)
    request = RequestFactory().get("/admin/articles/article/")
    request.user = editor
    changelist = site._registry[Article].get_changelist_instance(request)
    sql, params = changelist.get_queryset(request)[:50].query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_sort = off")  # tiny test tables: ask for the plan a large archive gets
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "article_all_order_idx" in plan, plan
