"""The cached public page of comment threads (comments/caching.py): every viewer without a pending comment
of their own shares one rendering; their own comments are marked per request; any change makes the page stale."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from comments.models import Comment
from comments.services import comment_moderate
from tests.accounts.factories import UserFactory
from tests.paywall.factories import SubscriptionFactory

pytestmark = pytest.mark.django_db


def _url(article):
    return f"/api/v1/articles/{article.slug}/comments/"


def _get(api_client, user, article, **params):
    api_client.force_authenticate(user=user)
    response = api_client.get(_url(article), params)
    assert response.status_code == 200, response.content
    return response.json()


def _thread_queries(ctx) -> int:
    return sum('FROM "articles_comment"' in q["sql"] and "LIMIT 1" not in q["sql"] for q in ctx.captured_queries)


@pytest.fixture
def other_subscriber(db):
    user = UserFactory(email="other@example.com", display_name="Olga", email_verified_at=timezone.now())
    SubscriptionFactory(user=user, status="active", current_period_end=timezone.now() + timedelta(days=7))
    return user


def test_second_viewer_gets_the_cached_page_with_their_own_comments_marked(
    api_client, subscriber, other_subscriber, article, seed_comment
):
    mine = seed_comment(article, subscriber, body="mine")
    theirs = seed_comment(article, other_subscriber, body="theirs", parent=mine)
    first = _get(api_client, other_subscriber, article)  # renders and caches the public page
    with CaptureQueriesContext(connection) as ctx:
        second = _get(api_client, subscriber, article)
    assert _thread_queries(ctx) == 0  # served from the cache
    top, reply = second["results"][0], second["results"][0]["replies"][0]
    assert (top["id"], top["is_own"], reply["id"], reply["is_own"]) == (mine.pk, True, theirs.pk, False)
    assert top["editable_until"] is not None and reply["editable_until"] is None
    # the first viewer's rendering marked their own reply, and the cache kept nobody's marks
    assert first["results"][0]["is_own"] is False and first["results"][0]["replies"][0]["is_own"] is True
    assert _get(api_client, other_subscriber, article) == first


def test_edit_window_is_computed_per_request(api_client, subscriber, article, seed_comment, time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    seed_comment(article, subscriber, body="mine")
    assert _get(api_client, subscriber, article)["results"][0]["editable_until"] is not None
    time_machine.shift(timedelta(hours=1))
    assert _get(api_client, subscriber, article)["results"][0]["editable_until"] is None


def test_a_viewer_with_a_pending_comment_gets_their_own_page_and_does_not_poison_the_cache(
    api_client, subscriber, other_subscriber, article, seed_comment
):
    visible = seed_comment(article, other_subscriber, body="visible")
    _get(api_client, other_subscriber, article)  # the public page is cached
    pending = seed_comment(article, subscriber, body="held", parent=visible, status=Comment.Status.PENDING)
    own = _get(api_client, subscriber, article)
    assert own["results"][0]["replies"][0]["id"] == pending.pk and own["results"][0]["replies"][0]["is_pending"]
    assert _get(api_client, other_subscriber, article)["results"][0]["replies"] == []


def test_new_edited_moderated_and_deleted_comments_show_at_once(
    api_client, subscriber, other_subscriber, editor, article, seed_comment
):
    first = seed_comment(article, other_subscriber, body="first")
    assert [c["body"] for c in _get(api_client, subscriber, article)["results"]] == ["first"]
    api_client.force_authenticate(user=subscriber)
    assert api_client.post(_url(article), {"body": "second"}, format="json").status_code == 201
    assert [c["body"] for c in _get(api_client, other_subscriber, article)["results"]] == ["first", "second"]
    second = Comment.objects.get(body="second")
    api_client.force_authenticate(user=subscriber)
    edited = api_client.patch(f"/api/v1/comments/{second.pk}/", {"body": "second, edited"}, format="json")
    assert edited.status_code == 200
    assert _get(api_client, other_subscriber, article)["results"][1]["body"] == "second, edited"
    comment_moderate(comment_id=first.pk, action="hide", moderator=editor)
    assert [c["body"] for c in _get(api_client, subscriber, article)["results"]] == ["second, edited"]
    api_client.force_authenticate(user=subscriber)
    assert api_client.delete(f"/api/v1/comments/{second.pk}/").status_code == 204
    assert _get(api_client, other_subscriber, article)["results"] == []


def test_a_commenters_new_name_and_deleted_account_show_at_once(
    api_client, subscriber, other_subscriber, article, seed_comment
):
    seed_comment(article, other_subscriber, body="hello")
    assert _get(api_client, subscriber, article)["results"][0]["author"]["name"] == "Olga"
    other_subscriber.display_name = "Olga K."
    other_subscriber.save(update_fields=["display_name"])
    assert _get(api_client, subscriber, article)["results"][0]["author"]["name"] == "Olga K."
    other_subscriber.subscriptions.all().delete()
    other_subscriber.delete()
    assert _get(api_client, subscriber, article)["results"][0]["author"]["name"] == "Deleted reader"


def test_the_paywall_still_decides_on_every_request(api_client, subscriber, premium_article, seed_comment):
    """A cached page is never a way around the paywall: a reader who may not read the article gets 403."""
    seed_comment(premium_article, subscriber, body="for subscribers")
    assert _get(api_client, subscriber, premium_article)["results"][0]["body"] == "for subscribers"
    outsider = UserFactory(email="outsider@example.com", email_verified_at=timezone.now())
    api_client.force_authenticate(user=outsider)
    assert api_client.get(_url(premium_article)).status_code == 403


def test_the_next_link_follows_the_host(api_client, subscriber, article, seed_comment, settings):
    settings.ALLOWED_HOSTS = ["a.example", "b.example"]
    for i in range(3):
        seed_comment(article, subscriber, body=f"c{i}")
    api_client.force_authenticate(user=subscriber)
    a = api_client.get(_url(article), {"page_size": 1}, HTTP_HOST="a.example").json()
    b = api_client.get(_url(article), {"page_size": 1}, HTTP_HOST="b.example").json()
    assert a["next"].startswith("http://a.example/") and b["next"].startswith("http://b.example/")


def test_a_comment_bumps_the_stamp_at_once_and_again_at_commit(
    article, subscriber, seed_comment, django_capture_on_commit_callbacks
):
    """A page rendered between the write and its commit (rows read before the commit) would be kept under the new
    stamp: the second bump, after the commit, retires it."""
    from django.core.cache import cache

    from comments.caching import _stamp_key

    cache.set(_stamp_key(article.pk), 1)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        seed_comment(article, subscriber, body="new")
        during = cache.get(_stamp_key(article.pk))
        assert during != 1
    assert len(callbacks) >= 1 and cache.get(_stamp_key(article.pk)) not in (1, during)
