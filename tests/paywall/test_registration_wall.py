"""The registration wall over HTTP: an anonymous reader at the anonymous allowance is asked to register
(`paywall.code = "registration_required"`) while `access.reason` stays `meter_exhausted`; after registering, the reads
already made move to the account and the registered allowance applies. Paywall messages follow the window."""

import pytest

from paywall.models import MeterWindow
from paywall.services import meter_policy_update
from tests.articles.factories import ArticleFactory
from tests.articles.graphql.helpers import DETAIL

pytestmark = pytest.mark.django_db

ARTICLE = DETAIL + "query($slug: String!) { article(slug: $slug) { ...Detail } }"
REGISTER = "/api/v1/auth/register/"


def _rest(client, article) -> dict:
    response = client.get(f"/api/v1/articles/{article.slug}/")
    assert response.status_code == 200
    return response.json()


def test_the_wall_asks_anonymous_readers_to_register_over_rest_and_graphql(api_client, graphql_client):
    # given a policy with the registration wall: 1 anonymous read, 3 registered
    meter_policy_update(anonymous_limit=1, registered_limit=3, registration_wall=True)
    first, second, third = ArticleFactory.create_batch(3)
    assert _rest(api_client, first)["access"]["granted"] is True
    # when the anonymous reader (same cookie) reaches the allowance
    body = _rest(api_client, second)
    # then the paywall asks them to register; the access reason stays the meter's
    assert body["access"]["reason"] == "meter_exhausted" and body["access"]["granted"] is False
    assert body["paywall"]["code"] == "registration_required"
    assert body["paywall"]["message"] == "You've reached your daily free article limit. Register free to read more."
    data = graphql_client(ARTICLE, {"slug": second.slug}).json_body["data"]["article"]
    assert (data["access"]["reason"], data["paywall"]["code"]) == ("meter_exhausted", "registration_required")
    assert data["paywall"]["message"] == body["paywall"]["message"]
    # and after registering, the read moves to the account and the registered allowance applies
    credentials = {"email": "wall@example.com", "password": "a-long-enough-passphrase"}
    assert api_client.post(REGISTER, credentials, format="json").status_code == 202
    login = api_client.post("/api/v1/auth/login/", credentials, format="json")
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {login.json()['access']}")
    body = _rest(api_client, second)
    assert (body["access"]["granted"], body["access"]["reader_kind"], body["access"]["reads_left"]) == (
        True,
        "registered",
        1,
    )
    assert _rest(api_client, first)["access"]["reason"] == "already_read"
    assert _rest(api_client, third)["access"]["reads_left"] == 0


def test_without_the_wall_the_anonymous_reader_is_asked_to_subscribe(api_client):
    meter_policy_update(anonymous_limit=0, registration_wall=False)
    body = _rest(api_client, ArticleFactory())
    assert body["paywall"]["code"] == "meter_exhausted"


def test_registered_readers_never_see_the_wall(api_client, reader):
    meter_policy_update(registered_limit=0, registration_wall=True)
    api_client.force_authenticate(reader)
    assert _rest(api_client, ArticleFactory())["paywall"]["code"] == "meter_exhausted"


@pytest.mark.parametrize(
    "window, rolling_days, wall, text",
    [
        (MeterWindow.DAY, 30, False, "You've reached your daily free article limit. Subscribe"),
        (MeterWindow.WEEK, 30, False, "You've reached your free article limit for this week. Subscribe"),
        (MeterWindow.MONTH, 30, False, "You've reached your free article limit for this month. Subscribe"),
        (MeterWindow.ROLLING, 10, False, "You've reached your free article limit for the last 10 days. Subscribe"),
        (MeterWindow.MONTH, 30, True, "You've reached your free article limit for this month. Register free"),
    ],
)
def test_the_message_follows_the_window(api_client, window, rolling_days, wall, text):
    meter_policy_update(window=window, rolling_days=rolling_days, anonymous_limit=0, registration_wall=wall)
    assert _rest(api_client, ArticleFactory())["paywall"]["message"].startswith(text)
