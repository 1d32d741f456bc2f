"""One scenario table, run through REST and GraphQL: identical decisions, and no full body for readers without
access. "SECRET-AFTER-BOUNDARY" exists only after the preview boundary of every factory article."""

from __future__ import annotations

import json

import pytest
from rest_framework_simplejwt.tokens import RefreshToken

from articles.models import Article, ArticleAuthor
from tests.accounts.factories import UserFactory
from tests.articles.factories import ArticleFactory, AuthorFactory

pytestmark = pytest.mark.django_db

SECRET = "SECRET-AFTER-BOUNDARY"
DETAIL_QUERY = """query($slug: String!, $gift: String) { article(slug: $slug, gift: $gift) {
  body bodyIsPreview access { granted reason readsLeft limit readerKind } paywall { code message }
  gift { status } offer { message } } }"""


class Surface:
    """Reads an article's detail the way a client does, through REST or GraphQL, carrying the reader token."""

    def __init__(self, client, kind: str, user=None, **extra):
        self.client, self.kind, self.token = client, kind, None
        self.headers, self.extra = {}, extra  # extra: WSGI environ, e.g. REMOTE_ADDR
        if user is not None:
            self.headers["Authorization"] = f"Bearer {RefreshToken.for_user(user).access_token}"

    def _headers(self) -> dict:
        return {**self.headers, **({"X-Reader-Token": self.token} if self.token else {})}

    def read(self, slug: str, gift: str | None = None) -> tuple[dict, bytes]:
        if self.kind == "rest":
            params = {"gift": gift} if gift is not None else {}
            response = self.client.get(f"/api/v1/articles/{slug}/", params, headers=self._headers(), **self.extra)
            assert response.status_code == 200, response.content
            data = response.json()
            access, body, preview = data["access"], data["body"], data["body_is_preview"]
            paywall, gift_status, offer = data["paywall"], data["gift"], data["offer"]
        else:
            response = self.client.post(
                "/graphql/",
                data=json.dumps({"query": DETAIL_QUERY, "variables": {"slug": slug, "gift": gift}}),
                content_type="application/json",
                headers=self._headers(),
                **self.extra,
            )
            assert response.status_code == 200, response.content
            payload = response.json()
            assert "errors" not in payload, payload
            node = payload["data"]["article"]
            access = {
                "granted": node["access"]["granted"],
                "reason": node["access"]["reason"],
                "reads_left": node["access"]["readsLeft"],
                "limit": node["access"]["limit"],
                "reader_kind": node["access"]["readerKind"],
            }
            body, preview, paywall = node["body"], node["bodyIsPreview"], node["paywall"]
            gift_status, offer = node["gift"], node["offer"]
        assert response["Cache-Control"].startswith("private") and "no-store" in response["Cache-Control"]
        self.token = response.headers.get("X-Reader-Token") or self.token
        result = {
            "granted": access["granted"],
            "reason": access["reason"],
            "reads_left": access["reads_left"],
            "limit": access["limit"],
            "reader_kind": access["reader_kind"],
            "body_is_preview": preview,
            "has_secret": SECRET in (body or ""),
            "paywall": (paywall or {}).get("code"),
            "gift": (gift_status or {}).get("status"),
            "offer": offer is not None,
        }
        return result, response.content


def _reader_and_article(request, api_client, surface: str, who: str, level: str, used: int):
    """A reader of kind `who` who already read `used` metered articles through `surface`, and a new article of
    `level` (written by the reader when `who` is "author")."""
    user = UserFactory() if who == "author" else _user(who, request)
    client = Surface(api_client, surface, user)
    for warmup in ArticleFactory.create_batch(used):
        client.read(warmup.slug)
    article = ArticleFactory(access_level=level)
    if who == "author":
        ArticleAuthor.objects.create(article=article, author=AuthorFactory(user=user))
    return client, article


def _user(kind: str, request):
    if kind == "anonymous":
        return None
    if kind == "registered":
        return UserFactory()
    return request.getfixturevalue(kind)


# (reader kind, article access level, metered reads already used today, expected decision)
SCENARIOS = [
    ("anonymous", "metered", 0, ("metered", True, 2, 3, "anonymous")),
    ("anonymous", "metered", 2, ("metered", True, 0, 3, "anonymous")),
    ("anonymous", "metered", 3, ("meter_exhausted", False, 0, 3, "anonymous")),
    ("anonymous", "free", 3, ("free", True, 0, 3, "anonymous")),
    ("anonymous", "premium", 0, ("premium", False, 3, 3, "anonymous")),
    ("registered", "metered", 4, ("metered", True, 0, 5, "registered")),
    ("registered", "metered", 5, ("meter_exhausted", False, 0, 5, "registered")),
    ("registered", "premium", 0, ("premium", False, 5, 5, "registered")),
    ("trial_reader", "premium", 0, ("trial", True, None, None, "trial")),
    ("trial_reader", "metered", 0, ("trial", True, None, None, "trial")),
    ("subscriber", "premium", 0, ("subscriber", True, None, None, "subscriber")),
    ("subscriber", "metered", 0, ("subscriber", True, None, None, "subscriber")),
    ("app_store_subscriber", "premium", 0, ("subscriber", True, None, None, "subscriber")),
    ("play_grace_subscriber", "premium", 0, ("subscriber", True, None, None, "subscriber")),
    ("store_refunded_subscriber", "premium", 0, ("premium", False, 5, 5, "registered")),
    ("store_refunded_subscriber", "metered", 5, ("meter_exhausted", False, 0, 5, "registered")),
    ("lapsed_subscriber", "premium", 0, ("premium", False, 5, 5, "registered")),
    ("lapsed_subscriber", "metered", 5, ("meter_exhausted", False, 0, 5, "registered")),
    ("editor", "premium", 0, ("staff", True, None, None, "staff")),
    ("author", "premium", 0, ("author", True, 5, 5, "registered")),
]


@pytest.mark.parametrize("surface", ["rest", "graphql"])
@pytest.mark.parametrize(
    ("who", "level", "used", "expected"), SCENARIOS, ids=[f"{w}-{lv}-used{u}" for w, lv, u, _ in SCENARIOS]
)
def test_every_reader_gets_the_same_decision_on_every_surface(request, api_client, surface, who, level, used, expected):
    # given a reader who already used `used` metered reads today, through the same surface
    client, article = _reader_and_article(request, api_client, surface, who, level, used)
    # when
    result, raw = client.read(article.slug)
    # then
    reason, granted, reads_left, limit, reader_kind = expected
    assert (result["reason"], result["granted"], result["reads_left"], result["limit"], result["reader_kind"]) == (
        reason,
        granted,
        reads_left,
        limit,
        reader_kind,
    )
    assert result["body_is_preview"] is (not granted)
    assert result["has_secret"] is granted
    if not granted:
        assert SECRET.encode() not in raw, "the full body leaked to a reader without access"
        assert result["paywall"] == ("premium" if reason == "premium" else "meter_exhausted")
    else:
        assert result["paywall"] is None


@pytest.mark.parametrize("surface", ["rest", "graphql"])
def test_rereading_an_already_counted_article_works_after_the_meter_is_exhausted(api_client, surface):
    client = Surface(api_client, surface)
    first, *rest = ArticleFactory.create_batch(4)
    assert client.read(first.slug)[0]["reason"] == "metered"
    for article in rest[:2]:
        client.read(article.slug)
    assert client.read(rest[2].slug)[0]["reason"] == "meter_exhausted"
    again, raw = client.read(first.slug)
    assert again["reason"] == "already_read" and again["granted"] and SECRET.encode() in raw


def test_a_tampered_reader_token_is_never_trusted(api_client):
    client = Surface(api_client, "rest")
    articles = ArticleFactory.create_batch(4)
    for article in articles[:3]:
        client.read(article.slug)
    client.token = client.token[:-2] + ("AA" if not client.token.endswith("AA") else "BB")
    result, _ = client.read(articles[3].slug)
    # a fresh anonymous id: a new allowance for a new reader id, and a new token is issued
    assert result["reason"] == "metered" and result["reads_left"] == 2


def test_no_surface_that_lists_articles_leaks_or_counts(api_client, graphql_client):
    articles = ArticleFactory.create_batch(3)
    premium = ArticleFactory(access_level=Article.AccessLevel.PREMIUM)
    surfaces = [
        api_client.get("/api/v1/articles/"),
        api_client.get(f"/api/v1/articles/{articles[0].slug}/related/"),
        api_client.get("/api/v1/articles/", {"search": "paid"}),
        api_client.get("/api/v1/articles/", {"search": "paid", "order": "newest"}),
        api_client.get("/api/v1/search/suggest/", {"q": "paid"}),
        api_client.get("/feeds/latest/"),
        api_client.get("/feeds/latest/atom/"),
        graphql_client("{ articles(first: 10) { edges { node { slug body related { body } } } } }"),
        graphql_client('{ articles(first: 10, search: "paid") { edges { node { slug body snippet } } } }'),
        graphql_client('{ searchSuggest(q: "paid") { type text slug url } }'),
    ]
    for response in surfaces:
        assert response.status_code == 200, response.content
        assert SECRET.encode() not in response.content
    # none of these counted a read: a detail read is still the first of three
    first = Surface(api_client, "rest").read(premium.slug)[0]
    assert first["reason"] == "premium"
    assert Surface(api_client, "rest").read(articles[0].slug)[0]["reads_left"] == 2


def test_spoofed_crawler_headers_get_nothing_extra(api_client):
    # given an anonymous reader who used the allowance
    client = Surface(api_client, "rest")
    articles = ArticleFactory.create_batch(4)
    for article in articles[:3]:
        client.read(article.slug)
    # when it claims to be Googlebot, arriving from Google, through a "trusted" address
    client.headers.update(
        {
            "User-Agent": "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
            "Referer": "https://www.google.com/",
            "X-Forwarded-For": "66.249.66.1",
        }
    )
    result, raw = client.read(articles[3].slug)
    # then it is still metered out, and the JSON-LD has no article body
    assert result["reason"] == "meter_exhausted" and not result["granted"]
    assert SECRET.encode() not in raw
    assert b'"articleBody"' not in raw
    assert b'"isAccessibleForFree":false' in raw.replace(b" ", b"")


# Meter policies (issue 16) through both surfaces: (policy, section rule, reads in the section first, reads outside
# it first, expected (reason, granted, paywall code)). The read is of a metered article in the section.
POLICY_SCENARIOS = [
    ("day", None, 0, 3, ("meter_exhausted", False, "meter_exhausted")),
    ("wall", None, 0, 3, ("meter_exhausted", False, "registration_required")),
    ("month", None, 0, 3, ("meter_exhausted", False, "meter_exhausted")),
    ("day", "premium", 0, 0, ("premium", False, "premium")),
    ("day", "unmetered", 0, 3, ("free", True, None)),
    ("day", "own", 1, 0, ("meter_exhausted", False, "meter_exhausted")),
    ("day", "own", 0, 3, ("metered", True, None)),  # the main allowance spent, the section's own is not
]


@pytest.mark.parametrize("surface", ["rest", "graphql"])
@pytest.mark.parametrize(("policy", "rule", "in_section", "outside", "expected"), POLICY_SCENARIOS)
def test_meter_policies_decide_the_same_on_every_surface_and_never_leak(
    api_client, surface, policy, rule, in_section, outside, expected
):
    from paywall.models import MeterPolicy, SectionMeterRule
    from tests.articles.factories import SectionFactory

    # given the default policy, a section rule, and an anonymous reader who already read some articles
    MeterPolicy.objects.create(
        pk=1, window="month" if policy == "month" else "day", registration_wall=policy == "wall", anonymous_limit=3
    )
    section = SectionFactory(name="Coalition SOF")
    if rule is not None:
        SectionMeterRule.objects.create(section=section, mode=rule, anonymous_limit=1 if rule == "own" else None)
    client = Surface(api_client, surface)
    for warmup in [*ArticleFactory.create_batch(in_section, section=section), *ArticleFactory.create_batch(outside)]:
        client.read(warmup.slug)
    # when
    result, raw = client.read(ArticleFactory(section=section).slug)
    # then
    reason, granted, code = expected
    assert (result["reason"], result["granted"], result["paywall"]) == (reason, granted, code)
    assert result["has_secret"] is granted
    if not granted:
        assert SECRET.encode() not in raw, "the full body leaked to a reader without access"


# Gift links (issue 17) through both surfaces: (reader kind, article level, metered reads used first, the token
# given, expected (reason, granted, paywall code, gift status)). "other": a live token of another article.
GIFT_SCENARIOS = [
    ("anonymous", "premium", 0, "live", ("gift", True, None, None)),
    ("anonymous", "metered", 3, "live", ("gift", True, None, None)),
    ("registered", "metered", 5, "live", ("gift", True, None, None)),
    ("lapsed_subscriber", "premium", 0, "live", ("gift", True, None, None)),
    ("trial_reader", "premium", 0, "live", ("gift", True, None, None)),
    ("subscriber", "premium", 0, "live", ("gift", True, None, None)),
    ("editor", "premium", 0, "live", ("staff", True, None, None)),
    ("author", "premium", 0, "live", ("author", True, None, None)),
    ("anonymous", "free", 3, "live", ("free", True, None, None)),
    ("anonymous", "premium", 0, "expired", ("premium", False, "premium", "expired")),
    ("anonymous", "metered", 3, "revoked", ("meter_exhausted", False, "meter_exhausted", "revoked")),
    ("registered", "metered", 0, "exhausted", ("metered", True, None, "exhausted")),
    ("registered", "premium", 0, "forged", ("premium", False, "premium", "invalid")),
    ("anonymous", "premium", 0, "other", ("premium", False, "premium", "invalid")),
    ("lapsed_subscriber", "metered", 5, "other", ("meter_exhausted", False, "meter_exhausted", "invalid")),
]
_TOKEN_CHANGES = {
    "live": {},
    "expired": {"expires_at": "2020-01-01T00:00:00Z"},
    "revoked": {"revoked_at": "2020-01-01T00:00:00Z"},
    "exhausted": {"redemptions_max": 0},
}


def _gift_token(article, state: str) -> str:
    from tests.paywall.factories import SubscriptionFactory
    from tests.paywall.gifts import gift_of

    giver = UserFactory()
    SubscriptionFactory(user=giver, status="active", current_period_end="2099-01-01T00:00:00Z")
    if state == "other":
        return gift_of(ArticleFactory(access_level="premium"), giver)[1]
    _, token = gift_of(article, giver, **_TOKEN_CHANGES.get(state, {}))
    return token + "x" if state == "forged" else token


@pytest.mark.parametrize("surface", ["rest", "graphql"])
@pytest.mark.parametrize(
    ("who", "level", "used", "token", "expected"),
    GIFT_SCENARIOS,
    ids=[f"{w}-{lv}-used{u}-{t}" for w, lv, u, t, _ in GIFT_SCENARIOS],
)
def test_gift_readers_get_the_same_decision_on_every_surface_and_nothing_leaks(
    request, api_client, surface, who, level, used, token, expected
):
    # given a reader who used `used` metered reads, and a gift token of the article (live, dead or another's)
    client, article = _reader_and_article(request, api_client, surface, who, level, used)
    before = client.read(ArticleFactory(access_level="free").slug)[0]["reads_left"]
    # when
    result, raw = client.read(article.slug, gift=_gift_token(article, token))
    # then
    reason, granted, code, gift_status = expected
    assert (result["reason"], result["granted"], result["paywall"], result["gift"]) == expected
    assert result["has_secret"] is granted and result["body_is_preview"] is (not granted)
    assert result["offer"] is (reason == "gift")
    if not granted:
        assert SECRET.encode() not in raw, "the full body leaked to a reader without access"
    if reason == "gift":  # a gift read is never counted against the meter
        assert client.read(ArticleFactory(access_level="free").slug)[0]["reads_left"] == before


# Group subscriptions (issue 17) through both surfaces: a member reads as a subscriber; a request from a live group's
# network (IPv4 or IPv6, directly or through a trusted proxy) keeps its reader kind and reads in full, uncounted; a
# forged X-Forwarded-For or an untrusted proxy opens nothing. (who, REMOTE_ADDR, X-Forwarded-For, TRUSTED_PROXIES,
# expected (reason, reader kind)); the article is premium.
OUTSIDE, PROXY = "198.51.100.7", "10.1.2.3"
GROUP_SCENARIOS = [
    ("group_member", OUTSIDE, None, [], ("group", "subscriber")),
    ("anonymous", "192.0.2.10", None, [], ("group", "anonymous")),
    ("anonymous", "2001:db8:42::10", None, [], ("group", "anonymous")),
    ("registered", "192.0.2.10", None, [], ("group", "registered")),
    ("anonymous", PROXY, "192.0.2.10", ["10.0.0.0/8"], ("group", "anonymous")),
    ("anonymous", PROXY, "2001:db8:42::10", ["10.0.0.0/8"], ("group", "anonymous")),
    ("anonymous", OUTSIDE, "192.0.2.10", [], ("premium", "anonymous")),  # a forged header
    ("anonymous", PROXY, "2001:db8:42::10", [], ("premium", "anonymous")),  # a proxy nobody trusts
    ("anonymous", PROXY, f"192.0.2.10, {OUTSIDE}", ["10.0.0.0/8"], ("premium", "anonymous")),  # forged left hop
    ("anonymous", OUTSIDE, None, [], ("premium", "anonymous")),
    ("registered", "2001:db8:43::1", None, [], ("premium", "registered")),
]


@pytest.mark.parametrize("surface", ["rest", "graphql"])
@pytest.mark.parametrize(("who", "remote", "forwarded", "proxies", "expected"), GROUP_SCENARIOS)
def test_group_readers_decide_the_same_on_every_surface_and_never_leak(
    request, api_client, settings, live_group, surface, who, remote, forwarded, proxies, expected
):
    # given a live group with networks, and a reader coming from `remote` (through `forwarded`)
    settings.TRUSTED_PROXIES = proxies
    extra = {"REMOTE_ADDR": remote, **({"HTTP_X_FORWARDED_FOR": forwarded} if forwarded else {})}
    client = Surface(api_client, surface, _user(who, request), **extra)
    # when it reads a premium article
    result, raw = client.read(ArticleFactory(access_level="premium").slug)
    # then
    reason, reader_kind = expected
    assert (result["reason"], result["reader_kind"], result["granted"]) == (reason, reader_kind, reason == "group")
    assert result["has_secret"] is (reason == "group")
    if reason != "group":
        assert SECRET.encode() not in raw, "the full body leaked to a reader without access"
        assert result["paywall"] == "premium"


@pytest.mark.parametrize("surface", ["rest", "graphql"])
def test_network_reads_are_not_counted_and_a_lapsed_group_opens_nothing(api_client, live_group, group_member, surface):
    from paywall.services import subscription_expire

    # given an anonymous reader who reads four metered articles from the group's network
    inside = Surface(api_client, surface, REMOTE_ADDR="192.0.2.10")
    for article in ArticleFactory.create_batch(4):
        assert inside.read(article.slug)[0]["reason"] == "group"
    # then the same reader outside the network still has its whole allowance
    outside = Surface(api_client, surface, REMOTE_ADDR=OUTSIDE)
    outside.token = inside.token
    assert outside.read(ArticleFactory().slug)[0]["reads_left"] == 2
    # when the group's subscription lapses, neither the network nor the member reads a premium article
    subscription_expire(subscription=live_group.subscriptions.get(), source="test")
    premium = ArticleFactory(access_level="premium").slug
    for client in (inside, Surface(api_client, surface, group_member)):
        result, raw = client.read(premium)
        assert (result["reason"], result["granted"]) == ("premium", False) and SECRET.encode() not in raw
