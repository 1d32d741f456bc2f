"""Reply notifications end to end with a real Celery worker (Redis broker) and a real SMTP server: a reply posted in
another process is emailed once, and a second reply in the same thread within the hour sends nothing more."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from comments.models import Comment
from tests.integration.conftest import (  # noqa: F401 - fixtures used by name
    ROOT,
    Proc,
    _redis_session,
    app_env,
    free_port,
    private_redis,
    smtp_and_worker_env,
    test_database_url,
    wait_for,
)

pytestmark = pytest.mark.integration

REPLY = """
import django
django.setup()
from articles.models import Article
from comments.models import Comment
from comments.services import CommentViewer, comment_create
from django.contrib.auth import get_user_model
replier = get_user_model().objects.get(pk={replier_id})
article = Article.objects.get(pk={article_id})
viewer = CommentViewer(user=replier, reader_kind="subscriber", can_read_article=True)
comment_create(viewer=viewer, article=article, body={body!r}, parent_id={parent_id})
"""


def _reply(env, **values):
    result = subprocess.run(
        [sys.executable, "-c", REPLY.format(**values)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr


def test_reply_email_through_a_real_worker(test_database_url, private_redis, article, seed_comment):  # noqa: F811
    from django.utils import timezone

    from tests.accounts.factories import UserFactory

    verified = timezone.now()
    author = UserFactory(email="author@example.com", display_name="Ann Author", email_verified_at=verified)
    replier = UserFactory(email="replier@example.com", display_name="Rey Replier", email_verified_at=verified)
    top = seed_comment(article, author, body="What about the border?")

    smtp, controller, env = smtp_and_worker_env(database_url=test_database_url, redis_url=private_redis.url(0))
    worker = Proc(
        "celery-comments",
        [sys.executable, "-m", "celery", "-A", "cms", "worker", "--loglevel=WARNING", "--concurrency=1",
         "--without-gossip", "--without-mingle", "--without-heartbeat", "-n", "comments@%h"],
        env=env,
    ).start()  # fmt: skip
    try:
        values = {"replier_id": replier.pk, "article_id": article.pk, "parent_id": top.pk}
        _reply(env, body="We cover it in part two.", **values)
        wait_for(lambda: len(smtp.messages) >= 1, timeout=40, interval=0.1, what=f"reply email ({worker.log()})")
        message = smtp.messages[0]
        assert message.envelope_to == ["author@example.com"]
        assert "Rey Replier replied to your comment" in message["Subject"]
        assert "We cover it in part two." in message.get_body(("plain",)).get_content()

        _reply(env, body="And part three.", **values)
        time.sleep(3)  # give the worker time to (not) send a second email for the same thread and hour
        hours = {int(c.created_at.timestamp() // 3600) for c in Comment.objects.filter(parent=top)}
        assert len(smtp.messages) == (1 if len(hours) == 1 else 2)
    finally:
        worker.stop()
        controller.stop()
