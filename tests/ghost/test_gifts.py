"""A Masthead gift link on the Ghost Content API's single-post read (`?gift=`): the post in full with `offer`, or
the normal decision with `gift: {status, message}`; browse never takes it."""

from __future__ import annotations

import pytest

from tests.articles.factories import ArticleFactory
from tests.paywall.gifts import gift_of

pytestmark = pytest.mark.django_db

SECRET = "SECRET-AFTER-BOUNDARY"


def test_the_ghost_post_read_takes_a_gift(api_client, ghost_key, subscriber):
    article = ArticleFactory(access_level="premium")
    _, token = gift_of(article, subscriber)
    url = f"/ghost/api/content/posts/slug/{article.slug}/"
    response = api_client.get(url, {"key": ghost_key, "gift": token})
    (post,) = response.json()["posts"]
    assert post["access"] is True and SECRET in post["html"] and post["offer"]["plans"] is not None
    assert post["gift"] is None
    forged = api_client.get(url, {"key": ghost_key, "gift": token + "x"}).json()["posts"][0]
    assert forged["access"] is False and forged["gift"]["status"] == "invalid" and SECRET not in forged["html"]
    browse = api_client.get("/ghost/api/content/posts/", {"key": ghost_key, "gift": token})
    assert SECRET.encode() not in browse.content
    too_long = api_client.get(url, {"key": ghost_key, "gift": "x" * 300})
    assert too_long.status_code == 422
