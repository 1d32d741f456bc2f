"""GraphQL edges of comments: `article { comments }` and the four mutations give the same decisions as REST."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from comments.models import Comment
from comments.services import LOGIN_MESSAGE, comment_ban_create
from paywall.models import MeterRead
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db

COMMENTS = """
query($slug: String!, $first: Int, $after: String, $order: String) {
  article(slug: $slug) {
    commentCount
    comments(first: $first, after: $after, order: $order) {
      count canPost nextCursor order
      results {
        id body bodyHtml status isPending isOwn isStaffReply depth parentId createdAt editedAt
        author { name isStaff }
        replies { id body depth author { name } replies { id body depth replies { id body depth } } }
      }
    }
  }
}
"""

POST = """
mutation($slug: String!, $body: String!, $parentId: ID, $key: String) {
  postComment(articleSlug: $slug, body: $body, parentId: $parentId, idempotencyKey: $key) {
    created
    comment { id body bodyHtml status isPending isStaffReply author { name isStaff } }
    errors { field code message }
  }
}
"""

EDIT = """
mutation($id: ID!, $body: String!) {
  editComment(id: $id, body: $body) { comment { id body editedAt } errors { field code message } }
}
"""

DELETE = """
mutation($id: ID!) { deleteComment(id: $id) { deleted errors { field code message } } }
"""

FLAG = """
mutation($id: ID!) { flagComment(id: $id, reason: "spam") { flagged created errors { field code message } } }
"""


@pytest.fixture
def cast(reader, trial_reader, subscriber, editor):
    return {"anonymous": None, "registered": reader, "trial": trial_reader, "subscriber": subscriber, "staff": editor}


def _as(graphql_client, user):
    graphql_client.force_authenticate(user)
    return graphql_client


def _comments(gql, article, **variables):
    response = gql(COMMENTS, {"slug": article.slug, **variables})
    body = response.json_body
    page = (body.get("data") or {}).get("article") or {}
    return response, page.get("comments"), body.get("errors")


@pytest.mark.parametrize(
    ("who", "can_see", "post_code"),
    [
        ("anonymous", False, "login_required"),
        ("registered", True, "subscription_required"),
        ("trial", True, None),
        ("subscriber", True, None),
        ("staff", True, None),
    ],
)
def test_policy_matrix(graphql_client, api_client, cast, article, seed_comment, who, can_see, post_code):
    seed_comment(article, UserFactory(display_name="Early Bird"), body="First!")
    gql = _as(graphql_client, cast[who])

    _, page, errors = _comments(gql, article)
    if can_see:
        assert errors is None
        assert [c["body"] for c in page["results"]] == ["First!"]
        assert page["canPost"] is (post_code is None)
    else:
        assert page is None
        assert errors[0]["message"] == LOGIN_MESSAGE
        assert errors[0]["extensions"]["code"] == "login_required"

    posted = gql(POST, {"slug": article.slug, "body": f"as {who}"}).json_body["data"]["postComment"]
    if post_code is None:
        assert posted["errors"] == [] and posted["created"] is True
        assert posted["comment"]["isStaffReply"] is (who == "staff")
    else:
        assert posted["comment"] is None
        assert posted["errors"][0]["code"] == post_code
        if who == "anonymous":
            assert posted["errors"][0]["message"] == LOGIN_MESSAGE

    # same decisions as REST
    api_client.force_authenticate(user=cast[who])
    rest = api_client.get(f"/api/v1/articles/{article.slug}/comments/")
    assert (rest.status_code == 200) is can_see
    assert MeterRead.objects.count() == 0


def test_forged_fields_are_not_arguments(graphql_client, subscriber, article):
    query = 'mutation($slug: String!) { postComment(articleSlug: $slug, body: "hi", status: "visible") { created } }'
    response = _as(graphql_client, subscriber)(query, {"slug": article.slug})
    assert response.status_code == 400
    assert Comment.objects.count() == 0


def test_ownership_attacks(graphql_client, subscriber, trial_reader, article, seed_comment):
    victim = seed_comment(article, subscriber, body="mine")
    gql = _as(graphql_client, trial_reader)
    edit = gql(EDIT, {"id": victim.pk, "body": "pwned"}).json_body["data"]["editComment"]
    assert edit["comment"] is None and edit["errors"][0]["code"] == "not_author"
    delete = gql(DELETE, {"id": victim.pk}).json_body["data"]["deleteComment"]
    assert delete["deleted"] is None and delete["errors"][0]["code"] == "not_author"
    victim.refresh_from_db()
    assert (victim.body, victim.status) == ("mine", "visible")


def test_post_edit_delete_own(graphql_client, subscriber, article):
    gql = _as(graphql_client, subscriber)
    posted = gql(POST, {"slug": article.slug, "body": "<b>bold</b> claim"}).json_body["data"]["postComment"]
    comment = posted["comment"]
    assert comment["bodyHtml"] == "<p>&lt;b&gt;bold&lt;/b&gt; claim</p>"
    edited = gql(EDIT, {"id": comment["id"], "body": "softer claim"}).json_body["data"]["editComment"]
    assert edited["errors"] == [] and edited["comment"]["body"] == "softer claim"
    assert edited["comment"]["editedAt"] is not None
    Comment.objects.filter(pk=comment["id"]).update(created_at=timezone.now() - timedelta(hours=1))
    late = gql(EDIT, {"id": comment["id"], "body": "x"}).json_body["data"]["editComment"]
    assert late["errors"][0]["code"] == "edit_window_closed"
    Comment.objects.filter(pk=comment["id"]).update(created_at=timezone.now())
    assert gql(DELETE, {"id": comment["id"]}).json_body["data"]["deleteComment"] == {"deleted": True, "errors": []}
    article.refresh_from_db()
    assert article.comment_count == 0


def test_validation_errors_name_the_field(graphql_client, subscriber, article):
    gql = _as(graphql_client, subscriber)
    result = gql(POST, {"slug": article.slug, "body": "x" * 5001}).json_body["data"]["postComment"]
    assert result["errors"][0]["field"] == "body" and result["errors"][0]["code"] == "too_long"
    result = gql(POST, {"slug": article.slug, "body": "reply", "parentId": "99999"}).json_body["data"]["postComment"]
    assert result["errors"][0]["field"] == "parent"


def test_double_tap_and_rate_limit(graphql_client, subscriber, article, settings):
    settings.COMMENTS_RATE_PER_MINUTE = 2
    gql = _as(graphql_client, subscriber)
    first = gql(POST, {"slug": article.slug, "body": "tap", "key": "k1"}).json_body["data"]["postComment"]
    again = gql(POST, {"slug": article.slug, "body": "tap 2", "key": "k1"}).json_body["data"]["postComment"]
    assert first["created"] is True and again["created"] is False
    assert first["comment"]["id"] == again["comment"]["id"]
    gql(POST, {"slug": article.slug, "body": "second"})
    limited = gql(POST, {"slug": article.slug, "body": "third"}).json_body["data"]["postComment"]
    assert limited["errors"][0]["code"] == "rate_limited"
    assert Comment.objects.count() == 2


def test_flag_once_and_ban(graphql_client, subscriber, reader, editor, article, seed_comment):
    comment = seed_comment(article, subscriber)
    gql = _as(graphql_client, reader)
    assert gql(FLAG, {"id": comment.pk}).json_body["data"]["flagComment"]["created"] is True
    repeat = gql(FLAG, {"id": comment.pk}).json_body["data"]["flagComment"]
    assert repeat == {"flagged": True, "created": False, "errors": []}
    comment_ban_create(user=subscriber, by=editor)
    banned = _as(graphql_client, subscriber)(POST, {"slug": article.slug, "body": "hi"}).json_body["data"]
    assert banned["postComment"]["errors"][0]["code"] == "banned"


def test_pending_shown_only_to_author(graphql_client, subscriber, trial_reader, article):
    gql = _as(graphql_client, subscriber)
    gql(POST, {"slug": article.slug, "body": "visit www.example.com"})
    _, page, _ = _comments(gql, article)
    assert [(c["isPending"], c["isOwn"]) for c in page["results"]] == [(True, True)]
    _, page, _ = _comments(_as(graphql_client, trial_reader), article)
    assert page["results"] == []


def test_threads_and_constant_queries(graphql_client, subscriber, article, seed_threads):
    gql = _as(graphql_client, subscriber)
    seed_threads(article, 2)
    cache.clear()  # both measured requests start cold (the article comes from the detail snapshot when warm)
    with CaptureQueriesContext(connection) as small:
        _, page, errors = _comments(gql, article, first=20)
    assert errors is None
    deepest = page["results"][0]["replies"][0]["replies"][0]["replies"][0]
    assert (deepest["body"], deepest["depth"]) == ("reply 0.3", 3)
    seed_threads(article, 18)
    cache.clear()
    with CaptureQueriesContext(connection) as large:
        _, page, _ = _comments(gql, article, first=20)
    assert len(page["results"]) == 20
    assert len(large.captured_queries) == len(small.captured_queries)


def test_cursor_pagination(graphql_client, subscriber, article, seed_comment):
    author = UserFactory()
    for i in range(3):
        seed_comment(article, author, body=f"c{i}")
    gql = _as(graphql_client, subscriber)
    _, page, _ = _comments(gql, article, first=2, order="newest")
    assert [c["body"] for c in page["results"]] == ["c2", "c1"]
    _, rest, _ = _comments(gql, article, first=2, order="newest", after=page["nextCursor"])
    assert [c["body"] for c in rest["results"]] == ["c0"] and rest["nextCursor"] is None


def test_bad_paging_arguments_name_the_argument(graphql_client, subscriber, article):
    gql = _as(graphql_client, subscriber)
    _, page, errors = _comments(gql, article, after="garbage!")
    assert page is None and errors[0]["extensions"]["field"] == "after"
    _, page, errors = _comments(gql, article, first=0)
    assert page is None and errors[0]["extensions"]["field"] == "first"
    _, page, errors = _comments(gql, article, order="sideways")
    assert page is None and errors[0]["extensions"]["field"] == "order"


@pytest.mark.parametrize(
    ("mutation", "name"), [(EDIT, "editComment"), (DELETE, "deleteComment"), (FLAG, "flagComment")]
)
def test_anonymous_mutations_are_refused(graphql_client, subscriber, article, seed_comment, mutation, name):
    comment = seed_comment(article, subscriber, body="untouched")
    variables = {"id": comment.pk, "body": "x"} if name == "editComment" else {"id": comment.pk}
    result = graphql_client(mutation, variables).json_body["data"][name]
    assert result["errors"][0]["code"] == "login_required"
    assert result["errors"][0]["message"] == LOGIN_MESSAGE
    comment.refresh_from_db()
    assert (comment.body, comment.status, comment.flag_count) == ("untouched", "visible", 0)


def test_unknown_comment_ids(graphql_client, subscriber):
    gql = _as(graphql_client, subscriber)
    missing = gql(DELETE, {"id": "999999"}).json_body["data"]["deleteComment"]
    assert missing["errors"][0]["code"] == "not_found"
    garbage = gql(DELETE, {"id": "not-a-number"}).json_body["data"]["deleteComment"]
    assert (garbage["errors"][0]["code"], garbage["errors"][0]["field"]) == ("invalid", "id")
