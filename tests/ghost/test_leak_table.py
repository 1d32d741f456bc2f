"""The paywall through the Ghost Content API: every Ghost route that carries a post body x every reader kind, on a
premium and a metered post whose paid part holds a unique sentence. The sentence never appears unless access is
granted, and `access` on a single read equals what `/api/v1/articles/{slug}/` decides for the same reader."""

from __future__ import annotations

import json

import pytest
from rest_framework_simplejwt.tokens import RefreshToken

from articles.models import ArticleAuthor, Page
from cms.ghost import ids
from tests.accounts.factories import UserFactory
from tests.articles.factories import ArticleFactory, AuthorFactory

pytestmark = pytest.mark.django_db

SECRET = "SECRET-AFTER-BOUNDARY"
READERS = [
    ("anonymous", 0),
    ("anonymous", 3),
    ("registered", 0),
    ("registered", 5),
    ("trial_reader", 0),
    ("subscriber", 0),
    ("lapsed_subscriber", 5),
    ("editor", 0),
    ("author", 0),
]
VARIANTS = [{}, {"formats": "html,plaintext"}, {"formats": "plaintext"}, {"fields": "excerpt,plaintext,html"}]


class Reader:
    """One reader, carrying its member token or X-Reader-Token, as a server-side frontend would."""

    def __init__(self, api_client, key: str, user=None, **extra):
        self.client, self.key, self.token, self.extra = api_client, key, None, extra
        self.auth = f"GhostMembers {RefreshToken.for_user(user).access_token}" if user is not None else None

    def headers(self, *, scheme: str = "GhostMembers") -> dict:
        out = {"X-Reader-Token": self.token} if self.token else {}
        if self.auth:
            out["Authorization"] = (
                self.auth if scheme == "GhostMembers" else self.auth.replace("GhostMembers", "Bearer")
            )
        return out

    def ghost(self, path: str, **params):
        self.client.cookies.clear()
        response = self.client.get(
            f"/ghost/api/content/{path}", {"key": self.key, **params}, headers=self.headers(), **self.extra
        )
        self.token = response.headers.get("X-Reader-Token") or self.token
        return response

    def rest(self, slug: str) -> dict:
        self.client.cookies.clear()
        response = self.client.get(f"/api/v1/articles/{slug}/", headers=self.headers(scheme="Bearer"), **self.extra)
        self.token = response.headers.get("X-Reader-Token") or self.token
        return response.json()["access"]


def _reader(request, api_client, key: str, who: str, used: int):
    user = None if who == "anonymous" else UserFactory() if who in ("registered", "author") else None
    if who not in ("anonymous", "registered", "author"):
        user = request.getfixturevalue(who)
    reader = Reader(api_client, key, user)
    for warmup in ArticleFactory.create_batch(used):
        assert reader.ghost(f"posts/slug/{warmup.slug}/").status_code == 200
    return reader, user


@pytest.mark.parametrize("level", ["premium", "metered"])
@pytest.mark.parametrize(("who", "used"), READERS, ids=[f"{w}-used{u}" for w, u in READERS])
def test_no_ghost_route_leaks_the_paid_part(request, api_client, ghost_key, who, used, level):
    # given a reader who used `used` metered reads, and a post of `level` (written by the reader when "author")
    reader, user = _reader(request, api_client, ghost_key, who, used)
    article = ArticleFactory(access_level=level)
    if who == "author":
        ArticleAuthor.objects.create(article=article, author=AuthorFactory(user=user))
    post_id = ids.ghost_id(ids.POST, article.pk)
    # when browsing (never counts) with every variant (`fields` may leave `access` out: the first variant has it)
    browse_access = None
    for variant in VARIANTS:
        browse = reader.ghost("posts/", include="tags,authors", filter=f"id:{post_id}", **variant)
        assert browse.status_code == 200, browse.content
        (post,) = json.loads(browse.content)["posts"]
        browse_access = post.get("access", browse_access)
        assert (SECRET.encode() in browse.content) is browse_access
        if not browse_access:
            assert len(post.get("excerpt", "")) <= 500
    # then a single read decides like /api/v1/ (each read counts once: the second one sees it already counted)
    read = reader.ghost(f"posts/{post_id}/", include="tags,authors")
    assert read.status_code == 200, read.content
    (post,) = json.loads(read.content)["posts"]
    assert (SECRET.encode() in read.content) is post["access"]
    assert post["visibility"] == {"premium": "paid", "metered": "members"}[level]
    rest = reader.rest(article.slug)
    assert post["access"] is rest["granted"], (post["access"], rest)
    for variant in VARIANTS:
        again = reader.ghost(f"posts/slug/{article.slug}/", **variant)
        (post_again,) = json.loads(again.content)["posts"]
        assert post_again.get("access", rest["granted"]) is rest["granted"]
        assert (SECRET.encode() in again.content) is rest["granted"]
    expected = who in ("trial_reader", "subscriber", "editor", "author") or (
        level == "metered" and who in ("anonymous", "registered") and used == 0
    )
    assert rest["granted"] is expected


def test_the_fourth_metered_read_of_an_anonymous_reader_gets_the_paywall(api_client, ghost_key):
    reader = Reader(api_client, ghost_key)
    articles = ArticleFactory.create_batch(4)
    for article in articles[:3]:
        post = json.loads(reader.ghost(f"posts/slug/{article.slug}/").content)["posts"][0]
        assert post["access"] is True and SECRET in post["html"]
    response = reader.ghost(f"posts/slug/{articles[3].slug}/", formats="html,plaintext")
    post = json.loads(response.content)["posts"][0]
    assert post["access"] is False and SECRET.encode() not in response.content
    assert post["html"] and "Third paragraph" in post["html"] and "Third paragraph" in post["plaintext"]


def test_browse_never_counts(api_client, ghost_key):
    reader = Reader(api_client, ghost_key)
    articles = ArticleFactory.create_batch(4)
    reader.ghost(f"posts/slug/{articles[0].slug}/")  # gets a token: one read counted
    for _ in range(5):
        assert reader.ghost("posts/", limit="all").status_code == 200
        assert reader.ghost("posts/", formats="plaintext").status_code == 200
    assert reader.rest(articles[1].slug)["reads_left"] == 1


def test_a_head_read_does_not_count(api_client, ghost_key):
    reader = Reader(api_client, ghost_key)
    first, second = ArticleFactory.create_batch(2)
    reader.ghost(f"posts/slug/{first.slug}/")
    api_client.head(f"/ghost/api/content/posts/slug/{second.slug}/", {"key": ghost_key}, headers=reader.headers())
    assert reader.rest(second.slug)["reads_left"] == 1


def test_a_member_token_gets_a_premium_post_in_full(api_client, ghost_key, subscriber):
    article = ArticleFactory(access_level="premium")
    reader = Reader(api_client, ghost_key, subscriber)
    response = reader.ghost(f"posts/slug/{article.slug}/")
    assert json.loads(response.content)["posts"][0]["access"] is True and SECRET.encode() in response.content
    anonymous = Reader(api_client, ghost_key).ghost(f"posts/slug/{article.slug}/")
    assert SECRET.encode() not in anonymous.content


def test_limit_all_and_versioned_prefixes_do_not_leak(api_client, ghost_key):
    ArticleFactory(access_level="premium")
    ArticleFactory(access_level="metered")
    for prefix in ("v2/content", "canary/content"):
        response = api_client.get(f"/ghost/api/{prefix}/posts/", {"key": ghost_key, "limit": "all"})
        assert b"".join(response.streaming_content).count(SECRET.encode()) == 0


def test_pages_are_never_metered(api_client, ghost_key):
    Page.objects.create(title="About", slug="about", body=f"<p>Intro.</p><p>{SECRET}</p>", status="published")
    Page.objects.filter(slug="about").update(published_at="2026-01-01T00:00:00Z")
    reader = Reader(api_client, ghost_key)
    for article in ArticleFactory.create_batch(3):
        reader.ghost(f"posts/slug/{article.slug}/")
    response = reader.ghost("pages/slug/about/")
    assert SECRET.encode() in response.content
    assert reader.rest(ArticleFactory().slug)["reason"] == "meter_exhausted"


# Gift links (issue 17) on the single-post read: every reader kind with a live token of the post, a dead one (revoked)
# and a live one of another post. The post's `access` equals the REST detail's with the same token.
@pytest.mark.parametrize("token", ["live", "revoked", "other"])
@pytest.mark.parametrize(("who", "used"), READERS, ids=[f"{w}-used{u}" for w, u in READERS])
def test_a_gift_opens_only_its_post_on_the_ghost_read_and_nothing_leaks(
    request, api_client, ghost_key, who, used, token
):
    from datetime import timedelta

    from django.utils import timezone

    from tests.paywall.factories import SubscriptionFactory
    from tests.paywall.gifts import gift_of

    reader, user = _reader(request, api_client, ghost_key, who, used)
    article = ArticleFactory(access_level="premium")
    if who == "author":
        ArticleAuthor.objects.create(article=article, author=AuthorFactory(user=user))
    giver = SubscriptionFactory(current_period_end=timezone.now() + timedelta(days=9)).user
    gifted = article if token != "other" else ArticleFactory(access_level="premium")
    _, gift = gift_of(gifted, giver, **({"revoked_at": timezone.now()} if token == "revoked" else {}))
    # when the reader opens the post with the token, then the same through REST
    read = reader.ghost(f"posts/slug/{article.slug}/", gift=gift, formats="html,plaintext")
    assert read.status_code == 200, read.content
    (post,) = json.loads(read.content)["posts"]
    reader.client.cookies.clear()
    rest = reader.client.get(
        f"/api/v1/articles/{article.slug}/", {"gift": gift}, headers=reader.headers(scheme="Bearer")
    ).json()
    # then the same decision, the paid part only when granted, and why a token did not open it
    own_access = who in ("trial_reader", "subscriber", "editor", "author")
    assert post["access"] is rest["access"]["granted"] is (own_access or token == "live")
    assert (SECRET.encode() in read.content) is post["access"]
    expected_status = {"live": None, "revoked": "revoked", "other": "invalid"}[token]
    assert (post["gift"] or {}).get("status") == (rest["gift"] or {}).get("status") == expected_status
    assert (post["offer"] is not None) is (rest["access"]["reason"] == "gift")


# Group subscriptions (issue 17): a member and a reader on a live group's network (IPv4, IPv6, via a trusted proxy)
# read a premium post in full on a single read, with the same `access` as /api/v1/; a forged X-Forwarded-For opens
# nothing. A browse without a reader token stays the public, cacheable answer: previews only, even from the network.
GROUP_READERS = [
    ("group_member", {"REMOTE_ADDR": "198.51.100.7"}, True),
    ("anonymous", {"REMOTE_ADDR": "192.0.2.10"}, True),
    ("anonymous", {"REMOTE_ADDR": "2001:db8:42::10"}, True),
    ("anonymous", {"REMOTE_ADDR": "10.1.2.3", "HTTP_X_FORWARDED_FOR": "2001:db8:42::10"}, True),
    ("anonymous", {"REMOTE_ADDR": "198.51.100.7", "HTTP_X_FORWARDED_FOR": "192.0.2.10"}, False),
]


@pytest.mark.parametrize(("who", "extra", "granted"), GROUP_READERS)
def test_group_readers_on_ghost_routes(request, api_client, ghost_key, settings, live_group, who, extra, granted):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    user = request.getfixturevalue(who) if who != "anonymous" else None
    reader = Reader(api_client, ghost_key, user, **extra)
    article = ArticleFactory(access_level="premium")
    read = reader.ghost(f"posts/slug/{article.slug}/", formats="html,plaintext")
    (post,) = json.loads(read.content)["posts"]
    assert post["access"] is granted and (SECRET.encode() in read.content) is granted
    assert read["Cache-Control"].startswith("private") and "no-store" in read["Cache-Control"]
    assert reader.rest(article.slug)["reason"] == ("group" if granted else "premium")
    browse = reader.ghost("posts/", filter=f"id:{ids.ghost_id(ids.POST, article.pk)}")  # with its reader token
    assert (SECRET.encode() in browse.content) is granted
    reader.token = None
    public = reader.ghost("posts/", filter=f"id:{ids.ghost_id(ids.POST, article.pk)}")
    assert SECRET.encode() not in public.content or who == "group_member"
