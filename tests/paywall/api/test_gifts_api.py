"""Gift links through REST, GraphQL and the Ghost Content API: creating (201, 401, 403, 429 with Retry-After and
renews_at), listing and revoking one's own links, and the recipient's read: the full text with `offer`, or the
normal decision with `gift: {status, message}`; a token never opens a list, a feed, search, related articles,
comments or another article."""

from __future__ import annotations

import pytest
from django.utils import timezone
from rest_framework_simplejwt.tokens import RefreshToken

from paywall.models import GiftLink, MeterRead
from tests.accounts.factories import UserFactory
from tests.articles.factories import ArticleFactory
from tests.paywall.gifts import gift_of

pytestmark = pytest.mark.django_db

SECRET = "SECRET-AFTER-BOUNDARY"
GIFT_QUERY = """query($slug: String!, $gift: String) { article(slug: $slug, gift: $gift) {
  body access { granted reason } paywall { code } gift { status message } offer { message plans { code } } } }"""
CREATE = "mutation($slug: String!) { createGiftLink(slug: $slug) { giftLink { id token url redemptionsLeft "
CREATE += "expiresAt status article { slug } } renewsAt retryAfter errors { code message } } }"


def _bearer(user) -> dict:
    return {"Authorization": f"Bearer {RefreshToken.for_user(user).access_token}"}


def _create(api_client, user, slug):
    return api_client.post(f"/api/v1/articles/{slug}/gifts/", headers=_bearer(user) if user else {})


# --- the giver ------------------------------------------------------------------------------------------------------


def test_a_subscriber_creates_lists_and_revokes_a_gift_link(api_client, subscriber, settings):
    article = ArticleFactory(access_level="premium")
    created = _create(api_client, subscriber, article.slug)
    assert created.status_code == 201, created.content
    data = created.json()
    assert data["redemptions_left"] == settings.GIFT_LINK_REDEMPTIONS and data["status"] == "active"
    assert data["url"].endswith(f"/api/v1/articles/{article.slug}/?gift={data['token']}")
    assert data["article"] == {"slug": article.slug, "title": article.title}
    assert created["Cache-Control"] == "private, no-store"
    listed = api_client.get("/api/v1/me/gifts/", headers=_bearer(subscriber)).json()["results"]
    assert [(g["id"], g["token"], g["redemptions"]) for g in listed] == [(data["id"], data["token"], 0)]
    # another reader neither sees nor revokes it
    stranger = UserFactory()
    assert api_client.get("/api/v1/me/gifts/", headers=_bearer(stranger)).json() == {"results": []}
    refused = api_client.delete(f"/api/v1/me/gifts/{data['id']}/", headers=_bearer(stranger))
    assert refused.status_code == 404 and refused.json()["code"] == "gift_not_found"
    revoked = api_client.delete(f"/api/v1/me/gifts/{data['id']}/", headers=_bearer(subscriber))
    assert revoked.status_code == 204
    (link,) = api_client.get("/api/v1/me/gifts/", headers=_bearer(subscriber)).json()["results"]
    assert link["status"] == "revoked" and link["revoked_at"]


@pytest.mark.parametrize(
    ("who", "status", "code"),
    [(None, 401, "not_authenticated"), ("registered", 403, "gift_not_allowed")],
)
def test_anonymous_and_non_subscribers_may_not_give(api_client, who, status, code):
    response = _create(api_client, UserFactory() if who else None, ArticleFactory().slug)
    assert (response.status_code, response.json()["code"]) == (status, code)
    assert not GiftLink.objects.exists()


def test_over_the_allowance_a_429_says_when_it_renews(api_client, subscriber, settings):
    settings.GIFT_LINKS_PER_MONTH = 2
    article = ArticleFactory()
    assert [_create(api_client, subscriber, article.slug).status_code for _ in range(2)] == [201, 201]
    refused = _create(api_client, subscriber, article.slug)
    assert refused.status_code == 429
    body = refused.json()
    assert body["code"] == "gift_limit_reached" and body["errors"][0]["code"] == "gift_limit_reached"
    assert int(refused["Retry-After"]) == body["retry_after"] > 0
    renews_at = timezone.datetime.fromisoformat(body["renews_at"])
    assert timezone.localtime(renews_at).day == 1 and timezone.localtime(renews_at).hour == 0


def test_a_missing_article_is_a_404(api_client, subscriber):
    assert _create(api_client, subscriber, "no-such-article").status_code == 404


def test_graphql_creates_a_gift_link_and_maps_the_refusals(graphql_client, subscriber, settings):
    article = ArticleFactory()
    anonymous = graphql_client(CREATE, {"slug": article.slug}).json_body["data"]["createGiftLink"]
    assert anonymous["errors"][0]["code"] == "unauthenticated" and anonymous["giftLink"] is None
    non_subscriber = graphql_client(CREATE, {"slug": article.slug}, headers=_bearer(UserFactory()))
    assert non_subscriber.json_body["data"]["createGiftLink"]["errors"][0]["code"] == "gift_not_allowed"
    settings.GIFT_LINKS_PER_MONTH = 1
    made = graphql_client(CREATE, {"slug": article.slug}, headers=_bearer(subscriber))
    payload = made.json_body["data"]["createGiftLink"]
    assert payload["errors"] == [] and payload["giftLink"]["redemptionsLeft"] == 50
    assert payload["giftLink"]["article"] == {"slug": article.slug} and payload["giftLink"]["status"] == "active"
    over = graphql_client(CREATE, {"slug": article.slug}, headers=_bearer(subscriber)).json_body
    over = over["data"]["createGiftLink"]
    assert over["errors"][0]["code"] == "gift_limit_reached" and over["retryAfter"] > 0 and over["renewsAt"]
    assert GiftLink.objects.count() == 1


def test_graphql_lists_and_revokes_the_readers_own_links(graphql_client, subscriber):
    link, _ = gift_of(ArticleFactory(), subscriber)
    listed = graphql_client("{ myGiftLinks { id status } }", headers=_bearer(subscriber)).json_body["data"]
    assert listed == {"myGiftLinks": [{"id": link.pk, "status": "active"}]}
    revoke = "mutation($id: Int!) { revokeGiftLink(id: $id) { giftLink { status } errors { code } } }"
    other = graphql_client(revoke, {"id": link.pk}, headers=_bearer(UserFactory())).json_body["data"]
    assert other["revokeGiftLink"]["errors"] == [{"code": "gift_not_found"}]
    done = graphql_client(revoke, {"id": link.pk}, headers=_bearer(subscriber)).json_body["data"]
    assert done["revokeGiftLink"] == {"giftLink": {"status": "revoked"}, "errors": []}


# --- the recipient ------------------------------------------------------------------------------------------------


def _rest(api_client, article, token, headers=None) -> tuple[dict, bytes]:
    api_client.cookies.clear()
    params = {"gift": token} if token is not None else {}
    response = api_client.get(f"/api/v1/articles/{article.slug}/", params, headers=headers or {})
    assert response.status_code == 200, response.content
    assert response["Cache-Control"] == "private, no-store"
    return response.json(), response.content


def _graphql(graphql_client, article, token, headers=None) -> tuple[dict, bytes]:
    graphql_client.client.cookies.clear()
    response = graphql_client(GIFT_QUERY, {"slug": article.slug, "gift": token}, headers=headers or {})
    assert response.status_code == 200 and "errors" not in response.json_body, response.content
    return response.json_body["data"]["article"], response.content


@pytest.fixture(params=["rest", "graphql"])
def recipient_read(request, api_client, graphql_client):
    """read(article, token) -> (detail, raw answer), through REST or GraphQL, each time as a new anonymous reader."""
    if request.param == "rest":
        return lambda article, token: _rest(api_client, article, token)
    return lambda article, token: _graphql(graphql_client, article, token)


def test_the_recipient_reads_in_full_with_an_offer_and_the_meter_untouched(recipient_read, subscriber):
    article = ArticleFactory(access_level="metered")
    link, token = gift_of(article, subscriber)
    data, raw = recipient_read(article, token)
    assert data["access"]["reason"] == "gift" and data["access"]["granted"] is True and SECRET.encode() in raw
    assert data["paywall"] is None and data["gift"] is None
    assert data["offer"]["message"] and [p["code"] for p in data["offer"]["plans"]] == ["weekly", "annual"]
    assert not MeterRead.objects.exists()
    link.refresh_from_db()
    assert link.redemptions == 1


@pytest.mark.parametrize(
    ("change", "status"),
    [
        ({"expires_at": timezone.now()}, "expired"),
        ({"revoked_at": timezone.now()}, "revoked"),
        ({"redemptions": 50}, "exhausted"),
        ({"token": "forged"}, "invalid"),
    ],
    ids=["expired", "revoked", "exhausted", "forged"],
)
def test_a_dead_token_adds_why_and_the_paywall_keeps_its_code(recipient_read, subscriber, change, status):
    article = ArticleFactory(access_level="premium")
    change = dict(change)
    forged = change.pop("token", None)
    _, token = gift_of(article, subscriber, **change)
    data, raw = recipient_read(article, forged or token)
    assert data["access"]["reason"] == "premium" and data["paywall"]["code"] == "premium"
    assert data["gift"]["status"] == status and data["gift"]["message"]
    assert data["offer"] is None and SECRET.encode() not in raw


def test_a_long_or_nul_token_is_a_clear_400_never_a_500(api_client, graphql_client):
    article = ArticleFactory()
    response = api_client.get(f"/api/v1/articles/{article.slug}/", {"gift": "x" * 201})
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "gift"
    nul = graphql_client(GIFT_QUERY, {"slug": article.slug, "gift": "a\x00b"}).json_body
    assert nul["errors"][0]["extensions"]["field"] == "gift"


def test_a_token_opens_no_other_surface(api_client, graphql_client, subscriber, reader):
    # given a gift of a premium article, and the recipient's token on every other surface
    article = ArticleFactory(access_level="premium", title="Paid piece about ships")
    other = ArticleFactory(access_level="premium")
    _, token = gift_of(article, subscriber)
    gift = {"gift": token}
    responses = [
        api_client.get("/api/v1/articles/", gift),
        api_client.get("/api/v1/articles/", {**gift, "search": "ships"}),
        api_client.get(f"/api/v1/articles/{article.slug}/related/", gift),
        api_client.get("/feeds/latest/", gift),
        graphql_client(
            "query($s: String!, $g: String) { article(slug: $s, gift: $g) { body } "
            "articles(first: 10) { edges { node { body } } } }",
            {"s": other.slug, "g": token},
        ),
        graphql_client(
            "query($s: String!, $g: String) { article(slug: $s, gift: $g) { related(first: 5) { body } } }",
            {"s": other.slug, "g": token},
        ),
    ]
    for response in responses:
        assert response.status_code == 200, response.content
        assert SECRET.encode() not in response.content
    # the gifted article's comments stay locked to a reader without access of their own
    comments = api_client.get(f"/api/v1/articles/{article.slug}/comments/", gift, headers=_bearer(reader))
    assert (comments.status_code, comments.json()["code"]) == (403, "article_locked")
    # and another article's detail with the token is refused, with the reason
    data, raw = _rest(api_client, other, token)
    assert data["gift"]["status"] == "invalid" and SECRET.encode() not in raw
    assert GiftLink.objects.get().redemptions == 0


@pytest.mark.parametrize("links", [1, 8])
def test_listing_gift_links_costs_the_same_queries_for_one_or_many(
    api_client, graphql_client, subscriber, django_assert_max_num_queries, links
):
    for article in ArticleFactory.create_batch(links):
        gift_of(article, subscriber)
    with django_assert_max_num_queries(3):  # the JWT's user and the links with their articles, whatever the count
        response = api_client.get("/api/v1/me/gifts/", headers=_bearer(subscriber))
    assert len(response.json()["results"]) == links
    with django_assert_max_num_queries(3):
        answer = graphql_client("{ myGiftLinks { id article { slug } } }", headers=_bearer(subscriber)).json_body
    assert len(answer["data"]["myGiftLinks"]) == links


def test_caches_never_hand_a_gift_body_to_others_nor_a_teaser_to_the_recipient(recipient_read, subscriber):
    # given the article's detail already cached by a reader without access (snapshot, answer caches warm)
    article = ArticleFactory(access_level="premium")
    _, token = gift_of(article, subscriber)
    for gift in (None, token, None, token):
        data, raw = recipient_read(article, gift)
        # then each answer is the decision of its own request
        assert (SECRET.encode() in raw) is (gift is not None)
        assert data["access"]["reason"] == ("gift" if gift else "premium")
