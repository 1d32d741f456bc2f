"""REST edges of comments: policy matrix, ownership attacks, forged fields, XSS, limits, double tap, flags, bans,
pagination and query counts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from comments.models import Comment
from comments.services import LOGIN_MESSAGE, comment_ban_create
from paywall.models import MeterRead
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db

REFERENCE_MESSAGE = "You must become a subscriber or login to view or post comments on this article."


def _list_url(article):
    return f"/api/v1/articles/{article.slug}/comments/"


def _as(api_client, user):
    api_client.force_authenticate(user=user)
    return api_client


@pytest.fixture
def cast(reader, trial_reader, subscriber, editor):
    return {"anonymous": None, "registered": reader, "trial": trial_reader, "subscriber": subscriber, "staff": editor}


# --- policy matrix ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "see_status", "post_status"),
    [
        ("anonymous", 401, 401),
        ("registered", 200, 403),
        ("trial", 200, 201),
        ("subscriber", 200, 201),
        ("staff", 200, 201),
    ],
)
def test_policy_matrix(api_client, cast, article, seed_comment, who, see_status, post_status):
    seed_comment(article, UserFactory(display_name="Early Bird"), body="First!")
    client = _as(api_client, cast[who])

    listed = client.get(_list_url(article))
    assert listed.status_code == see_status
    posted = client.post(_list_url(article), {"body": f"Posting as {who}"}, format="json")
    assert posted.status_code == post_status

    if see_status == 200:
        body = listed.json()
        assert [c["body"] for c in body["results"]] == ["First!"]
        assert body["can_post"] is (post_status == 201)
        assert listed["Cache-Control"] == "private, no-store"
    if who == "anonymous":
        assert listed.json()["message"] == REFERENCE_MESSAGE == LOGIN_MESSAGE
        assert listed.json()["code"] == "login_required"
        assert posted.json()["message"] == REFERENCE_MESSAGE
    if who == "registered":
        assert posted.json()["code"] == "subscription_required"
        assert "subscri" in posted.json()["message"].lower()
    if post_status == 201:
        assert posted.json()["author"]["is_staff"] is (who == "staff")
        assert posted.json()["is_own"] is True
    # looking at comments never uses a metered read
    assert MeterRead.objects.count() == 0


def test_comments_of_an_article_the_reader_cannot_read_are_not_shown(api_client, reader, premium_article, seed_comment):
    seed_comment(premium_article, UserFactory(), body="Premium talk")
    response = _as(api_client, reader).get(_list_url(premium_article))
    assert response.status_code == 403
    assert response.json()["code"] == "article_locked"
    assert "Premium talk" not in response.content.decode()


def test_exhausted_meter_hides_comments_of_unread_metered_articles(api_client, reader, article, seed_comment):
    from paywall.services import meter_policy_update

    seed_comment(article, UserFactory(), body="Behind the meter")
    meter_policy_update(anonymous_limit=0, registered_limit=0)
    response = _as(api_client, reader).get(_list_url(article))
    assert response.status_code == 403
    assert response.json()["code"] == "article_locked"


def test_unknown_article_is_404(api_client, subscriber):
    assert _as(api_client, subscriber).get("/api/v1/articles/nope/comments/").status_code == 404


# --- ownership, forged fields, XSS ------------------------------------------------------------------------------------


def test_forged_author_status_and_flags_are_ignored(api_client, subscriber, reader, article, settings):
    settings.COMMENTS_BLOCKED_WORDS = ["forbidden"]
    response = _as(api_client, subscriber).post(
        _list_url(article),
        {
            "body": "forbidden words here",
            "author": reader.pk,
            "author_id": reader.pk,
            "status": "visible",
            "flag_count": -5,
            "is_staff_reply": True,
            "depth": 0,
        },
        format="json",
    )
    assert response.status_code == 201
    comment = Comment.objects.get(pk=response.json()["id"])
    assert comment.author_id == subscriber.pk
    assert (comment.status, comment.flag_count, comment.is_staff_reply) == ("pending", 0, False)
    assert response.json()["is_pending"] is True


def test_cannot_edit_or_delete_someone_elses_comment(api_client, subscriber, trial_reader, article, seed_comment):
    victim = seed_comment(article, subscriber, body="Mine")
    client = _as(api_client, trial_reader)
    patched = client.patch(f"/api/v1/comments/{victim.pk}/", {"body": "pwned"}, format="json")
    assert patched.status_code == 403
    assert patched.json()["code"] == "not_author"
    assert client.delete(f"/api/v1/comments/{victim.pk}/").status_code == 403
    victim.refresh_from_db()
    assert (victim.body, victim.status) == ("Mine", "visible")
    # anonymous attempts are refused too
    api_client.force_authenticate(user=None)
    assert api_client.patch(f"/api/v1/comments/{victim.pk}/", {"body": "x"}, format="json").status_code == 401
    assert api_client.delete(f"/api/v1/comments/{victim.pk}/").status_code == 401


def test_edit_and_delete_own_comment(api_client, subscriber, article):
    client = _as(api_client, subscriber)
    created = client.post(_list_url(article), {"body": "typo"}, format="json").json()
    edited = client.patch(f"/api/v1/comments/{created['id']}/", {"body": "fixed", "status": "hidden"}, format="json")
    assert edited.status_code == 200
    assert (edited.json()["body"], edited.json()["status"]) == ("fixed", "visible")
    assert edited.json()["edited_at"] is not None
    Comment.objects.filter(pk=created["id"]).update(created_at=timezone.now() - timedelta(minutes=20))
    late = client.patch(f"/api/v1/comments/{created['id']}/", {"body": "later"}, format="json")
    assert late.status_code == 403
    assert late.json()["code"] == "edit_window_closed"
    Comment.objects.filter(pk=created["id"]).update(created_at=timezone.now())
    assert client.delete(f"/api/v1/comments/{created['id']}/").status_code == 204
    article.refresh_from_db()
    assert article.comment_count == 0
    assert client.get(f"/api/v1/comments/{created['id']}/").status_code == 404


@pytest.mark.parametrize(
    "payload",
    ["<script>alert('x')</script>", "<img src=x onerror=alert(1)>", "[click](javascript:alert(1))"],
)
def test_xss_payloads_are_inert(api_client, subscriber, article, payload, settings):
    settings.COMMENTS_HOLD_LINKS = False
    response = _as(api_client, subscriber).post(_list_url(article), {"body": payload}, format="json")
    assert response.status_code == 201
    data = response.json()
    assert data["body"] == payload  # kept as text
    assert "<script" not in data["body_html"] and "<img" not in data["body_html"]
    assert 'href="javascript' not in data["body_html"]


def test_bad_input_names_the_field(api_client, subscriber, article):
    client = _as(api_client, subscriber)
    too_long = client.post(_list_url(article), {"body": "x" * 5001}, format="json")
    assert too_long.status_code == 400
    assert too_long.json()["errors"][0]["field"] == "body"
    missing = client.post(_list_url(article), {}, format="json")
    assert missing.status_code == 400 and missing.json()["errors"][0]["field"] == "body"
    orphan = client.post(_list_url(article), {"body": "hi", "parent": 999999}, format="json")
    assert orphan.status_code == 400 and orphan.json()["errors"][0]["field"] == "parent"
    bad_parent = client.post(_list_url(article), {"body": "hi", "parent": "abc"}, format="json")
    assert bad_parent.status_code == 400 and bad_parent.json()["errors"][0]["field"] == "parent"
    cursor = client.get(_list_url(article), {"cursor": "!!!not-a-cursor"})
    assert cursor.status_code == 400 and cursor.json()["errors"][0]["field"] == "cursor"
    order = client.get(_list_url(article), {"order": "sideways"})
    assert order.status_code == 400 and order.json()["errors"][0]["field"] == "order"
    assert client.get("/api/v1/comments/abc/").status_code == 404


# --- pending visibility -----------------------------------------------------------------------------------------------


def test_pending_comments_are_shown_only_to_their_author(api_client, subscriber, trial_reader, article):
    held = _as(api_client, subscriber).post(_list_url(article), {"body": "see https://x.example"}, format="json")
    assert held.status_code == 201 and held.json()["status"] == "pending"
    own = api_client.get(_list_url(article)).json()["results"]
    assert [(c["body"], c["is_pending"]) for c in own] == [("see https://x.example", True)]
    others = _as(api_client, trial_reader).get(_list_url(article)).json()
    assert others["results"] == [] and others["count"] == 0
    assert api_client.get(f"/api/v1/comments/{held.json()['id']}/").status_code == 404


# --- limits and double tap --------------------------------------------------------------------------------------------


def test_rate_limit_is_429(api_client, subscriber, article, settings):
    settings.COMMENTS_RATE_PER_MINUTE = 2
    client = _as(api_client, subscriber)
    assert client.post(_list_url(article), {"body": "a"}, format="json").status_code == 201
    assert client.post(_list_url(article), {"body": "b"}, format="json").status_code == 201
    third = client.post(_list_url(article), {"body": "c"}, format="json")
    assert third.status_code == 429
    assert third.json()["code"] == "rate_limited"
    assert third.json()["retry_after"] == 60
    assert third["Retry-After"] == "60"  # as every throttle's 429
    assert Comment.objects.count() == 2


def test_daily_rate_limit_429_says_when_to_retry(api_client, subscriber, article, settings):
    settings.COMMENTS_RATE_PER_DAY = 1
    client = _as(api_client, subscriber)
    assert client.post(_list_url(article), {"body": "a"}, format="json").status_code == 201
    second = client.post(_list_url(article), {"body": "b"}, format="json")
    assert (second.status_code, second["Retry-After"], second.json()["retry_after"]) == (429, "3600", 3600)


def test_double_tap_returns_the_first_comment(api_client, subscriber, article):
    client = _as(api_client, subscriber)
    first = client.post(_list_url(article), {"body": "tap"}, format="json", headers={"Idempotency-Key": "abc-1"})
    again = client.post(_list_url(article), {"body": "tap tap"}, format="json", headers={"Idempotency-Key": "abc-1"})
    same_body = client.post(_list_url(article), {"body": "tap"}, format="json")
    assert (first.status_code, again.status_code, same_body.status_code) == (201, 200, 200)
    assert first.json()["id"] == again.json()["id"] == same_body.json()["id"]
    assert Comment.objects.count() == 1
    article.refresh_from_db()
    assert article.comment_count == 1


# --- flags and bans ---------------------------------------------------------------------------------------------------


def test_flag_once_then_auto_hide(api_client, subscriber, article, seed_comment, settings):
    settings.COMMENTS_FLAG_THRESHOLD = 2
    comment = seed_comment(article, subscriber, body="controversial")
    first_reader, second_reader = UserFactory(), UserFactory()
    client = _as(api_client, first_reader)
    url = f"/api/v1/comments/{comment.pk}/flag/"
    assert client.post(url, {"reason": "abuse"}, format="json").status_code == 201
    repeat = client.post(url, {}, format="json")
    assert repeat.status_code == 200 and repeat.json() == {"flagged": True, "created": False}
    comment.refresh_from_db()
    assert comment.flag_count == 1
    assert _as(api_client, second_reader).post(url, {}, format="json").status_code == 201
    comment.refresh_from_db()
    assert comment.status == "hidden"
    assert _as(api_client, first_reader).get(_list_url(article)).json()["results"] == []
    api_client.force_authenticate(user=None)
    assert api_client.post(url, {}, format="json").status_code == 401


def test_banned_reader_cannot_post(api_client, subscriber, editor, article):
    comment_ban_create(user=subscriber, by=editor, ends_at=timezone.now() + timedelta(days=3))
    response = _as(api_client, subscriber).post(_list_url(article), {"body": "hello"}, format="json")
    assert response.status_code == 403
    assert response.json()["code"] == "banned"
    assert _as(api_client, subscriber).get(_list_url(article)).status_code == 200  # still reads


# --- threads, pagination and queries ----------------------------------------------------------------------------------


def test_threaded_page_shape(api_client, subscriber, article, seed_threads):
    seed_threads(article, 1)
    data = _as(api_client, subscriber).get(_list_url(article)).json()
    top = data["results"][0]
    assert top["body"] == "top 0" and top["depth"] == 0
    level1 = top["replies"][0]
    level2 = level1["replies"][0]
    level3 = level2["replies"][0]
    assert [level1["depth"], level2["depth"], level3["depth"]] == [1, 2, 3]
    assert level3["body"] == "reply 0.3" and level3["replies"] == []
    assert data["count"] == 4
    assert set(top) >= {"id", "author", "body", "body_html", "status", "created_at", "edited_at", "parent", "replies"}
    assert "email" not in str(data)


def test_query_count_is_constant_for_a_page_of_threads(api_client, subscriber, article, seed_threads):
    client = _as(api_client, subscriber)
    client.get(_list_url(article))  # the article's detail snapshot, shared with the article detail
    seed_threads(article, 2)
    with CaptureQueriesContext(connection) as small:
        assert client.get(_list_url(article)).status_code == 200
    seed_threads(article, 18)
    with CaptureQueriesContext(connection) as large:
        response = client.get(_list_url(article))
    assert len(response.json()["results"]) == 20
    assert len(large.captured_queries) == len(small.captured_queries)


def test_query_count_is_pinned(api_client, subscriber, article, seed_threads, django_assert_max_num_queries):
    client = _as(api_client, subscriber)
    seed_threads(article, 20)
    # cold: the article's detail snapshot (article with section and hero image, byline, tags; then shared with the
    # article detail), subscription entitlement, "any pending comment of mine?", top-level page, replies; the same on
    # every database. The paywall's authorship rung reads the snapshot's byline. The second request finds the
    # snapshot and the public page in the cache: entitlement and pending check only.
    with django_assert_max_num_queries(7):
        response = client.get(_list_url(article), {"page_size": 20})
    assert len(response.json()["results"]) == 20
    with django_assert_max_num_queries(2):
        again = client.get(_list_url(article), {"page_size": 20})
    assert again.json() == response.json()


def test_cursor_pagination_oldest_and_newest(api_client, subscriber, article, seed_comment):
    author = UserFactory()
    for i in range(5):
        seed_comment(article, author, body=f"c{i}")
    client = _as(api_client, subscriber)
    seen = []
    url, params = _list_url(article), {"page_size": 2}
    while True:
        page = client.get(url, params).json()
        seen += [c["body"] for c in page["results"]]
        if not page["next_cursor"]:
            assert page["next"] is None
            break
        params = {"page_size": 2, "cursor": page["next_cursor"]}
    assert seen == ["c0", "c1", "c2", "c3", "c4"]
    newest = client.get(url, {"order": "newest", "page_size": 3}).json()
    assert [c["body"] for c in newest["results"]] == ["c4", "c3", "c2"]
    rest = client.get(newest["next"]).json()
    assert [c["body"] for c in rest["results"]] == ["c1", "c0"]


def test_comment_detail(api_client, subscriber, reader, article, seed_comment):
    top = seed_comment(article, subscriber, body="parent")
    seed_comment(article, reader, body="child", parent=top)
    response = _as(api_client, reader).get(f"/api/v1/comments/{top.pk}/")
    assert response.status_code == 200
    assert response.json()["article"] == article.slug
    assert [r["body"] for r in response.json()["replies"]] == ["child"]
    api_client.force_authenticate(user=None)
    anonymous = api_client.get(f"/api/v1/comments/{top.pk}/")
    assert anonymous.status_code == 401 and anonymous.json()["message"] == REFERENCE_MESSAGE


def test_deleted_reader_shown_as_deleted(api_client, subscriber, article, seed_comment):
    gone = UserFactory(display_name="Gone Soon")
    seed_comment(article, gone, body="I was here")
    gone.delete()
    data = _as(api_client, subscriber).get(_list_url(article)).json()
    assert data["results"][0]["author"]["name"] == "Deleted reader"
    assert data["results"][0]["body"] == "I was here"


def test_withdrawn_comment_keeps_its_replies_as_a_tombstone(
    api_client, subscriber, trial_reader, editor, article, django_capture_on_commit_callbacks
):
    from comments.services import comment_moderate

    # each change's commit forgets the article's snapshot, whose comment_count the page's `count` shows
    with django_capture_on_commit_callbacks(execute=True):
        client = _as(api_client, subscriber)
        top = client.post(_list_url(article), {"body": "SECRET-OPINION"}, format="json").json()
        alone = client.post(_list_url(article), {"body": "LONELY-REMARK"}, format="json").json()
        reply = _as(api_client, trial_reader).post(
            _list_url(article), {"body": "a reply worth keeping", "parent": top["id"]}, format="json"
        )
        nested = _as(api_client, subscriber).post(
            _list_url(article), {"body": "HIDDEN-MIDDLE", "parent": reply.json()["id"]}, format="json"
        )
        _as(api_client, trial_reader).post(
            _list_url(article), {"body": "deep reply", "parent": nested.json()["id"]}, format="json"
        )
        client = _as(api_client, subscriber)
        assert client.delete(f"/api/v1/comments/{top['id']}/").status_code == 204
        assert client.delete(f"/api/v1/comments/{alone['id']}/").status_code == 204
        comment_moderate(comment_id=nested.json()["id"], action="hide", moderator=editor)

    response = _as(api_client, trial_reader).get(_list_url(article))
    assert "SECRET-OPINION" not in response.content.decode()
    assert "LONELY-REMARK" not in response.content.decode()
    assert "HIDDEN-MIDDLE" not in response.content.decode()
    results = response.json()["results"]
    assert len(results) == 1
    tombstone = results[0]
    assert (tombstone["status"], tombstone["body"], tombstone["body_html"]) == ("removed", "", "")
    assert tombstone["author"] == {"name": "", "is_staff": False}
    assert tombstone["replies"][0]["body"] == "a reply worth keeping"
    middle = tombstone["replies"][0]["replies"][0]
    assert (middle["status"], middle["body"]) == ("removed", "")
    assert middle["replies"][0]["body"] == "deep reply"
    assert response.json()["count"] == 2
    # a tombstone is not a comment one can open, reply to or flag
    assert api_client.get(f"/api/v1/comments/{top['id']}/").status_code == 404
    orphan = api_client.post(_list_url(article), {"body": "hi", "parent": top["id"]}, format="json")
    assert orphan.status_code == 400


def test_posting_needs_a_verified_email(api_client, subscriber, article):
    # given a subscriber who never confirmed their address
    subscriber.email_verified_at = None
    subscriber.save(update_fields=["email_verified_at"])
    # when they post
    response = _as(api_client, subscriber).post(_list_url(article), {"body": "Hello"}, format="json")
    # then they are told to verify, and nothing is stored
    assert response.status_code == 403
    assert response.json()["code"] == "email_unverified"
    assert response.json()["errors"][0]["field"] == "email"
    assert not Comment.objects.exists()
    # reading is still allowed
    assert _as(api_client, subscriber).get(_list_url(article)).status_code == 200
