"""Store fixtures: the App Store (a test certificate chain, the verifier's settings, a stand-in App Store Server
API) and Google Play (a service account, a stand-in Android Publisher API, token endpoint and OIDC certificates)."""

from __future__ import annotations

import json
from urllib.parse import unquote

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from cms.core.models import OutboundEmail
from paywall.models import Plan, ProviderEvent, StorePurchase, Subscription
from tests.paywall.billing.stores import (
    APP_APPLE_ID,
    AUDIENCE,
    BUNDLE_ID,
    PACKAGE_NAME,
    PRODUCT_ID,
    PUSH_ACCOUNT,
    AppleChain,
    GoogleKeys,
    StandIn,
    pubsub_push,
)


@pytest.fixture
def store_plan(db):
    """The seeded weekly plan, also sold as the App Store and Play product `news.weekly`."""
    plan = Plan.objects.get(code="weekly")
    plan.app_store_product_id = plan.google_play_product_id = PRODUCT_ID
    plan.save()
    return plan


def nothing_recorded() -> bool:
    return not (ProviderEvent.objects.exists() or Subscription.objects.exists() or StorePurchase.objects.exists())


def templates_sent() -> list[str]:
    return list(OutboundEmail.objects.order_by("id").values_list("template", flat=True))


class Apple:
    """The test chain and the stand-in App Store Server API: `statuses[original id]` is what "Get All Subscription
    Statuses" answers (a status and the signed transaction and renewal info), absent: 404."""

    def __init__(self, chain: AppleChain, api: StandIn, api_key):
        self.chain, self.api, self.api_key = chain, api, api_key
        self.statuses: dict[str, tuple[int, str, str]] = {}
        api.route("GET", r"/inApps/v1/subscriptions/([^/]+)", self._statuses)

    def _statuses(self, request):
        token = request["headers"].get("authorization", "").removeprefix("Bearer ")
        claims = jwt.decode(token, self.api_key.public_key(), algorithms=["ES256"], audience="appstoreconnect-v1")
        assert (claims["iss"], claims["bid"], jwt.get_unverified_header(token)["kid"]) == ("issuer-1", BUNDLE_ID, "K1")
        original_id = unquote(request["groups"][0])
        if original_id not in self.statuses:
            return 404, {"errorCode": 4040010, "errorMessage": "Transaction id not found."}
        status, transaction, renewal = self.statuses[original_id]
        item = {
            "status": status,
            "originalTransactionId": original_id,
            "signedTransactionInfo": transaction,
            "signedRenewalInfo": renewal,
        }
        group = {"subscriptionGroupIdentifier": "21000000", "lastTransactions": [item]}
        return 200, {"environment": "Sandbox", "bundleId": BUNDLE_ID, "appAppleId": APP_APPLE_ID, "data": [group]}

    def link(self, api_client, user, signed_transaction: str):
        api_client.force_authenticate(user)
        return api_client.post(
            "/api/v1/subscriptions/app-store/", {"signed_transaction": signed_transaction}, format="json"
        )

    @staticmethod
    def notify(client, body: dict):
        url = "/api/v1/billing/webhooks/app-store/"
        return client.post(url, data=json.dumps(body), content_type="application/json")


@pytest.fixture
def apple(settings, tmp_path, store_plan):
    chain = AppleChain()
    root = tmp_path / "AppleRootCA-test.cer"
    root.write_bytes(chain.root_der())
    api_key = ec.generate_private_key(ec.SECP256R1())
    key_path = tmp_path / "SubscriptionKey_K1.p8"
    key_path.write_bytes(
        api_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    api = StandIn()
    settings.APP_STORE_BUNDLE_ID = BUNDLE_ID
    settings.APP_STORE_APP_APPLE_ID = APP_APPLE_ID
    settings.APP_STORE_ENVIRONMENT = "Sandbox"
    settings.APP_STORE_ROOT_CERTIFICATES = [str(root)]
    settings.APP_STORE_ONLINE_CHECKS = False
    settings.APP_STORE_ISSUER_ID = "issuer-1"
    settings.APP_STORE_KEY_ID = "K1"
    settings.APP_STORE_PRIVATE_KEY_PATH = str(key_path)
    settings.APP_STORE_API_BASE = api.url
    try:
        yield Apple(chain, api, api_key)
    finally:
        api.close()


class Play:
    """The stand-in Android Publisher API: `purchases[token]` is what subscriptionsv2.get answers (absent: 404);
    `down` makes it answer 500. Acknowledging marks the purchase acknowledged."""

    def __init__(self, api: StandIn, keys: GoogleKeys):
        self.api, self.keys = api, keys
        self.purchases: dict[str, dict] = {}
        self.down = False
        base = f"/androidpublisher/v3/applications/{PACKAGE_NAME}/purchases"
        api.route("POST", "/token", self._token)
        api.route("GET", "/oauth2/certs", lambda request: (200, keys.certs))
        api.route("GET", f"{base}/subscriptionsv2/tokens/([^/]+)", self._get)
        api.route("POST", f"{base}/subscriptions/([^/]+)/tokens/([^/]+):acknowledge", self._acknowledge)

    def _token(self, request):
        assertion = dict(part.split("=", 1) for part in request["body"].decode().split("&"))["assertion"]
        audience = "https://oauth2.googleapis.com/token"  # google-auth's, whatever the token_uri
        claims = jwt.decode(assertion, self.keys.account_key.public_key(), algorithms=["RS256"], audience=audience)
        assert claims["iss"] == self.keys.service_account["client_email"]
        assert claims["scope"] == "https://www.googleapis.com/auth/androidpublisher"
        return 200, {"access_token": "ya29.test-token", "expires_in": 3600, "token_type": "Bearer"}

    def _authorized(self, request) -> bool:
        return request["headers"].get("authorization") == "Bearer ya29.test-token"

    def _get(self, request):
        if self.down:
            return 500, {"error": {"code": 500}}
        if not self._authorized(request):
            return 401, {"error": {"code": 401}}
        purchase = self.purchases.get(unquote(request["groups"][0]))
        return (200, purchase) if purchase is not None else (404, {"error": {"code": 404}})

    def _acknowledge(self, request):
        if not self._authorized(request):
            return 401, {"error": {"code": 401}}
        purchase = self.purchases[unquote(request["groups"][1])]
        purchase["acknowledgementState"] = "ACKNOWLEDGEMENT_STATE_ACKNOWLEDGED"
        return 200, None

    def acknowledgements(self) -> list[dict]:
        return self.api.calls("POST", ":acknowledge")

    def link(self, api_client, user, token: str, product_id: str = PRODUCT_ID):
        api_client.force_authenticate(user)
        body = {"purchase_token": token, "product_id": product_id}
        return api_client.post("/api/v1/subscriptions/google-play/", body, format="json")

    def notify(self, client, notification: dict, *, message_id: str | None = None, token: str | None = None):
        token = self.keys.oidc_token() if token is None else token
        return client.post(
            "/api/v1/billing/webhooks/google-play/",
            data=json.dumps(pubsub_push(notification, message_id=message_id)),
            content_type="application/json",
            headers={"Authorization": f"Bearer {token}"} if token else {},
        )


@pytest.fixture
def play(settings, tmp_path, store_plan):
    api = StandIn()
    keys = GoogleKeys(token_uri=f"{api.url}/token")
    account_file = tmp_path / "play-service-account.json"
    account_file.write_text(json.dumps(keys.service_account))
    settings.GOOGLE_PLAY_PACKAGE_NAME = PACKAGE_NAME
    settings.GOOGLE_PLAY_SERVICE_ACCOUNT_FILE = str(account_file)
    settings.GOOGLE_PLAY_API_BASE = api.url
    settings.GOOGLE_PUBSUB_AUDIENCE = AUDIENCE
    settings.GOOGLE_PUBSUB_SERVICE_ACCOUNT_EMAIL = PUSH_ACCOUNT
    settings.GOOGLE_OIDC_CERTS_URL = f"{api.url}/oauth2/certs"
    try:
        yield Play(api, keys)
    finally:
        api.close()
