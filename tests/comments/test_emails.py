"""Reply notifications and the moderation digest, delivered through a real SMTP server (aiosmtpd)."""

from __future__ import annotations

import pytest

from cms.core.models import OutboundEmail
from comments.models import Comment
from comments.services import comment_create, comment_digest_send, comment_moderate
from comments.tasks import comment_digest_task, comment_reply_notify_task
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db


def _reply(viewer_for, article, user, parent, body):
    comment, _ = comment_create(viewer=viewer_for(user, article), article=article, body=body, parent_id=parent.pk)
    return comment


def test_reply_notification_is_delivered(
    smtp_server, article, commenter, editor, viewer_for, seed_comment, django_capture_on_commit_callbacks
):
    top = seed_comment(article, commenter, body="What about the border?")
    with django_capture_on_commit_callbacks(execute=True):
        _reply(viewer_for, article, editor, top, "We cover it in part two.")
    assert len(smtp_server.messages) == 1
    message = smtp_server.messages[0]
    assert message.envelope_to == [commenter.email]
    assert "replied to your comment" in message["Subject"]
    assert article.title in message["Subject"]
    text = message.get_body(("plain",)).get_content()
    assert "We cover it in part two." in text
    assert "staff" in text
    assert "&quot;" not in message["Subject"] + text


def test_at_most_one_per_thread_per_hour_and_never_to_self(
    smtp_server, article, commenter, trial_reader, viewer_for, seed_comment, django_capture_on_commit_callbacks
):
    top = seed_comment(article, commenter, body="Opening thought")
    with django_capture_on_commit_callbacks(execute=True):
        first = _reply(viewer_for, article, trial_reader, top, "First reply")
        _reply(viewer_for, article, trial_reader, top, "Second reply")
        _reply(viewer_for, article, commenter, first, "I reply to the replier")  # notifies trial_reader
        _reply(viewer_for, article, commenter, top, "Replying to myself")  # no email to myself
    recipients = sorted(m.envelope_to[0] for m in smtp_server.messages)
    assert recipients == sorted([commenter.email, trial_reader.email])


def test_opted_out_readers_get_no_email(
    smtp_server, article, commenter, trial_reader, viewer_for, seed_comment, django_capture_on_commit_callbacks
):
    commenter.notify_replies = False
    commenter.save(update_fields=["notify_replies"])
    top = seed_comment(article, commenter)
    with django_capture_on_commit_callbacks(execute=True):
        _reply(viewer_for, article, trial_reader, top, "hello")
    assert smtp_server.messages == []


def test_pending_reply_notifies_only_when_approved(
    smtp_server,
    article,
    commenter,
    trial_reader,
    editor,
    viewer_for,
    seed_comment,
    settings,
    django_capture_on_commit_callbacks,
):
    settings.COMMENTS_BLOCKED_WORDS = ["heck"]
    top = seed_comment(article, commenter)
    with django_capture_on_commit_callbacks(execute=True):
        held = _reply(viewer_for, article, trial_reader, top, "what the heck")
    assert held.status == Comment.Status.PENDING
    assert smtp_server.messages == []
    with django_capture_on_commit_callbacks(execute=True):
        comment_moderate(comment_id=held.pk, action="approve", moderator=editor)
    assert [m.envelope_to for m in smtp_server.messages] == [[commenter.email]]


def test_reply_task_is_idempotent(article, commenter, trial_reader, seed_comment):
    top = seed_comment(article, commenter)
    reply = seed_comment(article, trial_reader, parent=top)
    assert comment_reply_notify_task(reply.pk) is True
    comment_reply_notify_task(reply.pk)
    assert OutboundEmail.objects.filter(template="comment_reply").count() == 1


def test_digest_only_when_the_queue_is_not_empty(
    smtp_server, article, commenter, editor, contributor, seed_comment, django_capture_on_commit_callbacks
):
    assert comment_digest_task() == 0
    seed_comment(article, commenter, body="needs review", status=Comment.Status.PENDING)
    with django_capture_on_commit_callbacks(execute=True):
        assert comment_digest_send() == 1  # the editor; contributors cannot moderate
        assert comment_digest_send() == 1  # same day: the outbox key holds it to one email
    assert [m.envelope_to for m in smtp_server.messages] == [[editor.email]]
    text = smtp_server.messages[0].get_body(("plain",)).get_content()
    assert "1 pending comment" in text and "needs review" in text
    superuser = UserFactory(is_staff=True, is_superuser=True)
    assert comment_digest_send() == 2
    assert OutboundEmail.objects.filter(template="comment_digest", to=superuser.email).exists()
