"""The move of comments and outgoing webhooks out of `articles` changes Django's state only: rows written before the
move are read by the new apps' models after it, and by the old models again after migrating back."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("articles", "0006_article_all_order_idx"), ("comments", None), ("webhooks", None)]
MOVED_MODELS = ["comment", "pendingcomment", "commentflag", "commentban", "webhookendpoint", "webhookdelivery"]
AFTER = [("articles", "0007_move_comments_and_webhooks"), ("comments", "0001_initial"), ("webhooks", "0001_initial")]


def _migrate(targets):
    """Migrate to `targets`; the models as the database now is: the state of exactly the applied migrations (a
    later migration of another app may depend on one that migrating back unapplied, e.g. paywall 0006 on
    articles 0008)."""
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    executor.loader.build_graph()
    return executor.loader.project_state(list(executor.loader.applied_migrations)).apps


def _rows(apps, comments_app: str, webhooks_app: str) -> dict:
    Comment = apps.get_model(comments_app, "Comment")
    return {
        "comments": sorted(Comment.objects.values_list("body", "status", "depth", "parent__body", "article__slug")),
        "flags": list(apps.get_model(comments_app, "CommentFlag").objects.values_list("comment__body", "reason")),
        "bans": list(apps.get_model(comments_app, "CommentBan").objects.values_list("user__email", "reason")),
        "endpoints": list(apps.get_model(webhooks_app, "WebhookEndpoint").objects.values_list("url", "events")),
        "deliveries": list(
            apps.get_model(webhooks_app, "WebhookDelivery").objects.values_list("endpoint__url", "version", "payload")
        ),
    }


def _perms(apps, app_label: str) -> set[str]:
    Group = apps.get_model("auth", "Group")
    editor = Group.objects.filter(name="Editor").first()
    moved = editor.permissions.filter(content_type__app_label=app_label, content_type__model__in=MOVED_MODELS)
    return set(moved.values_list("codename", flat=True))


@pytest.mark.django_db(transaction=True)
def test_comments_and_webhooks_survive_the_move_forward_and_back():
    try:
        # given a database at the old head, with comments, a flag, a ban, an endpoint and a delivery
        old = _migrate(BEFORE)
        User = old.get_model(*settings.AUTH_USER_MODEL.split("."))
        reader = User.objects.create(email="reader@example.com", password="!")
        article = old.get_model("articles", "Article").objects.create(
            title="Moved", slug="moved", status="published", version=2
        )
        Comment = old.get_model("articles", "Comment")
        top = Comment.objects.create(article=article, author=reader, body="Top", body_html="<p>Top</p>")
        Comment.objects.create(
            article=article, author=reader, parent=top, root=top, depth=1, body="Reply", status="pending"
        )
        old.get_model("articles", "CommentFlag").objects.create(comment=top, user=reader, reason="spam?")
        old.get_model("articles", "CommentBan").objects.create(user=reader, reason="cooling off")
        endpoint = old.get_model("articles", "WebhookEndpoint").objects.create(
            url="https://cdn.example.com/purge", secret="s", events=["article.updated"]
        )
        old.get_model("articles", "WebhookDelivery").objects.create(
            endpoint=endpoint, event="article.updated", article_id=article.pk, version=2, payload={"slug": "moved"}
        )
        Permission = old.get_model("auth", "Permission")
        editors, _ = old.get_model("auth", "Group").objects.get_or_create(name="Editor")  # gone if a test flushed
        comment_perms = Permission.objects.filter(content_type__app_label="articles", codename="change_comment")
        editors.permissions.add(*comment_perms)
        expected = _rows(old, "articles", "articles")
        editor_perms = _perms(old, "articles")
        assert len(expected["comments"]) == 2 and expected["deliveries"]
        assert "change_comment" in editor_perms

        # when migrated forward, the new apps read the same rows, and editors keep their comment permissions
        new = _migrate(AFTER)
        assert _rows(new, "comments", "webhooks") == expected
        assert _perms(new, "comments") == editor_perms
        assert not new.get_model("contenttypes", "ContentType").objects.filter(
            app_label="articles", model__in=["comment", "commentban", "webhookdelivery"]
        )

        # and when migrated back, the old models read them again
        back = _migrate(BEFORE)
        assert _rows(back, "articles", "articles") == expected
        assert _perms(back, "articles") == editor_perms
    finally:
        # back to the head of every app: migrating articles back to 0006 also unapplied its later migrations
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
        ContentType.objects.clear_cache()
