"""The moderation queue in the admin: editors approve, hide, remove in bulk (through the services) and ban readers."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from comments.models import Comment, CommentBan

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor_client(editor) -> Client:
    client = Client()
    client.force_login(editor)
    return client


def _action(client, url, action, comments):
    return client.post(url, {"action": action, "_selected_action": [c.pk for c in comments]}, follow=True)


def test_queue_lists_pending_and_flag_hidden(editor_client, article, commenter, seed_comment):
    pending = seed_comment(article, commenter, body="held for review", status=Comment.Status.PENDING)
    seed_comment(article, commenter, body="already fine")
    response = editor_client.get("/admin/comments/pendingcomment/")
    assert response.status_code == 200
    content = response.content.decode()
    assert "held for review" in content and "already fine" not in content
    assert editor_client.get(f"/admin/comments/pendingcomment/{pending.pk}/change/").status_code == 200


def test_bulk_actions_call_the_services(editor_client, article, commenter, seed_comment):
    a = seed_comment(article, commenter, body="a", status=Comment.Status.PENDING)
    b = seed_comment(article, commenter, body="b", status=Comment.Status.PENDING)
    c = seed_comment(article, commenter, body="c")
    assert _action(editor_client, "/admin/comments/pendingcomment/", "approve_comments", [a, b]).status_code == 200
    article.refresh_from_db()
    assert article.comment_count == 3
    _action(editor_client, "/admin/comments/comment/", "hide_comments", [a])
    _action(editor_client, "/admin/comments/comment/", "remove_comments", [c])
    statuses = dict(Comment.objects.values_list("body", "status"))
    assert statuses == {"a": "hidden", "b": "visible", "c": "removed"}
    article.refresh_from_db()
    assert article.comment_count == 1
    a.refresh_from_db()
    assert a.moderated_at is not None
    # reviewed comments leave the queue
    assert "a</" not in editor_client.get("/admin/comments/pendingcomment/").content.decode()


def test_ban_authors_action_and_ban_admin(editor_client, editor, article, commenter, seed_comment):
    comment = seed_comment(article, commenter, body="trolling")
    _action(editor_client, "/admin/comments/comment/", "ban_authors_30_days", [comment])
    ban = CommentBan.objects.get(user=commenter)
    assert ban.created_by == editor
    assert ban.ends_at > timezone.now() + timedelta(days=29)
    ban.delete()
    ends = timezone.now() + timedelta(days=2)
    response = editor_client.post(
        "/admin/comments/commentban/add/",
        {"user": commenter.pk, "ends_at_0": ends.strftime("%Y-%m-%d"), "ends_at_1": ends.strftime("%H:%M:%S")},
        follow=True,
    )
    assert response.status_code == 200
    ban = CommentBan.objects.get(user=commenter)
    assert ban.created_by == editor and ban.ends_at is not None
    past = timezone.now() - timedelta(days=2)
    rejected = editor_client.post(
        "/admin/comments/commentban/add/",
        {"user": commenter.pk, "ends_at_0": past.strftime("%Y-%m-%d"), "ends_at_1": past.strftime("%H:%M:%S")},
    )
    assert rejected.status_code == 200 and "must be in the future" in rejected.content.decode()
    assert CommentBan.objects.count() == 1


def test_readers_cannot_reach_the_queue(client, reader, contributor, article, commenter, seed_comment):
    seed_comment(article, commenter, status=Comment.Status.PENDING)
    client.force_login(reader)
    assert client.get("/admin/comments/pendingcomment/").status_code == 302
    client.force_login(contributor)
    assert client.get("/admin/comments/pendingcomment/").status_code == 403


def test_old_admin_addresses_lead_to_the_comments_app(editor_client):
    """Digest emails sent before the move link to /admin/articles/pendingcomment/."""
    response = editor_client.get("/admin/articles/pendingcomment/?status=pending")
    assert (response.status_code, response["Location"]) == (302, "/admin/comments/pendingcomment/?status=pending")
    response = editor_client.get("/admin/articles/webhookdelivery/5/change/")
    assert response["Location"] == "/admin/webhooks/webhookdelivery/5/change/"
    assert editor_client.get("/admin/articles/article/").status_code == 200
