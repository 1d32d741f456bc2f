"""Test doubles for the stores, built here so that the real verifiers run end to end.

- `StandIn`: a local HTTP server (a thread) answering from a route table and logging every request: the App Store
  Server API, the Android Publisher API, Google's OAuth token endpoint and its OIDC certificates.
- `AppleChain`: a test root, intermediate and leaf (ES256, with Apple's marker extensions), and StoreKit 2 JWS
  transactions, renewal infos and App Store Server Notifications V2 signed with the leaf.
- `GoogleKeys`: a service account (key file whose `token_uri` is the stand-in) and a Pub/Sub push OIDC signer.
"""

from __future__ import annotations

import base64
import json
import re
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

BUNDLE_ID = "com.example.masthead"
APP_APPLE_ID = 1234567890
PRODUCT_ID = "news.weekly"
PACKAGE_NAME = "com.example.masthead"
PUSH_ACCOUNT = "pubsub-push@masthead-test.iam.gserviceaccount.com"
AUDIENCE = "https://news.example.com/api/v1/billing/webhooks/google-play/"

Handler = Callable[[dict], tuple[int, object]]


class StandIn:
    """A local HTTP server: `route(method, path_regex, handler)`; a handler takes the logged request (method, path,
    lower-cased headers, body, match groups) and returns (status, JSON-able body or None)."""

    def __init__(self):
        self.routes: list[tuple[str, re.Pattern, Handler]] = []
        self.requests: list[dict] = []
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def route(self, method: str, path: str, handler: Handler) -> None:
        self.routes.insert(0, (method, re.compile(f"^{path}$"), handler))

    def calls(self, method: str, fragment: str = "") -> list[dict]:
        return [r for r in self.requests if r["method"] == method and fragment in r["path"]]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _handler(self):
        stand_in = self

        class RequestHandler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _serve(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                path = self.path.split("?")[0]
                headers = {key.lower(): value for key, value in self.headers.items()}
                request = {"method": self.command, "path": path, "headers": headers, "body": body}
                with stand_in.lock:
                    stand_in.requests.append(request)
                status, reply = 404, {"error": "no route"}
                for method, pattern, handler in stand_in.routes:
                    match = pattern.match(path)
                    if method == self.command and match:
                        status, reply = handler({**request, "groups": match.groups()})
                        break
                data = json.dumps(reply).encode() if reply is not None else b""
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = _serve

        return RequestHandler


# --- Apple --------------------------------------------------------------------------------------------------------

LEAF_OID = x509.ObjectIdentifier("1.2.840.113635.100.6.11.1")
INTERMEDIATE_OID = x509.ObjectIdentifier("1.2.840.113635.100.6.2.1")


NO_KEY_USAGE = dict.fromkeys(
    (
        "digital_signature",
        "content_commitment",
        "key_encipherment",
        "data_encipherment",
        "key_agreement",
        "key_cert_sign",
        "crl_sign",
        "encipher_only",
        "decipher_only",
    ),
    False,
)


def _usage(ca: bool) -> dict:
    """A CA signs certificates (and CRLs); a leaf signs data."""
    return {"key_cert_sign": True, "crl_sign": True} if ca else {"digital_signature": True}


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _cert(subject, key, issuer, issuer_key, *, ca: bool, marker=None, not_before=None, not_after=None):
    now = datetime.now(UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(_name(issuer))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before or now - timedelta(days=30))
        .not_valid_after(not_after or now + timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(**{**NO_KEY_USAGE, **_usage(ca)}), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), critical=False)
    )
    if marker is not None:
        builder = builder.add_extension(x509.UnrecognizedExtension(marker, b"\x05\x00"), critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


def _b64_der(cert: x509.Certificate) -> str:
    return base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode()


def _ms(dt: datetime) -> int:
    return int(dt.timestamp() * 1000)


class AppleChain:
    """A test root, intermediate and leaf; `leaf_valid` bounds the leaf's validity (an expired chain)."""

    def __init__(self, *, leaf_valid: tuple[datetime, datetime] | None = None, environment: str = "Sandbox"):
        self.environment = environment
        self.root_key = ec.generate_private_key(ec.SECP256R1())
        self.root = _cert("Test Apple Root", self.root_key, "Test Apple Root", self.root_key, ca=True)
        inter_key = ec.generate_private_key(ec.SECP256R1())
        self.intermediate = _cert(
            "Test WWDR", inter_key, "Test Apple Root", self.root_key, ca=True, marker=INTERMEDIATE_OID
        )
        self.leaf_key = ec.generate_private_key(ec.SECP256R1())
        not_before, not_after = leaf_valid or (None, None)
        self.leaf = _cert(
            "Test StoreKit Signing",
            self.leaf_key,
            "Test WWDR",
            inter_key,
            ca=False,
            marker=LEAF_OID,
            not_before=not_before,
            not_after=not_after,
        )

    def root_der(self) -> bytes:
        return self.root.public_bytes(serialization.Encoding.DER)

    def root_pem(self) -> bytes:
        return self.root.public_bytes(serialization.Encoding.PEM)

    def sign(self, payload: dict) -> str:
        x5c = [_b64_der(self.leaf), _b64_der(self.intermediate), _b64_der(self.root)]
        return jwt.encode(payload, self.leaf_key, algorithm="ES256", headers={"x5c": x5c})

    def transaction(self, *, original_id="2000000001", transaction_id=None, bundle_id=BUNDLE_ID, **fields) -> str:
        """A signed StoreKit 2 transaction of a weekly subscription, bought now (fields override anything)."""
        now = datetime.now(UTC)
        payload = {
            "transactionId": transaction_id or f"{original_id}-{uuid.uuid4().hex[:6]}",
            "originalTransactionId": original_id,
            "bundleId": bundle_id,
            "productId": PRODUCT_ID,
            "subscriptionGroupIdentifier": "21000000",
            "purchaseDate": _ms(now),
            "originalPurchaseDate": _ms(now),
            "expiresDate": _ms(now + timedelta(days=7)),
            "quantity": 1,
            "type": "Auto-Renewable Subscription",
            "inAppOwnershipType": "PURCHASED",
            "signedDate": _ms(now),
            "environment": self.environment,
            "transactionReason": "PURCHASE",
            "storefront": "USA",
        }
        payload.update(fields)
        return self.sign({k: v for k, v in payload.items() if v is not None})

    def renewal(self, *, original_id="2000000001", auto_renew=True, **fields) -> str:
        payload = {
            "originalTransactionId": original_id,
            "autoRenewProductId": PRODUCT_ID,
            "productId": PRODUCT_ID,
            "autoRenewStatus": 1 if auto_renew else 0,
            "signedDate": _ms(datetime.now(UTC)),
            "environment": self.environment,
            **fields,
        }
        return self.sign(payload)

    def notification(self, kind: str, subtype: str | None = None, *, signed_at=None, notification_id=None, **data):
        """The webhook body `{"signedPayload": ...}` of an App Store Server Notification V2. `data`: `transaction`
        and `renewal` (signed), `status`, `environment`, `bundle_id`."""
        data = {
            "bundleId": data.get("bundle_id", BUNDLE_ID),
            "appAppleId": APP_APPLE_ID,
            "environment": data.get("environment", self.environment),
            "bundleVersion": "42",
            "signedTransactionInfo": data.get("transaction"),
            "signedRenewalInfo": data.get("renewal"),
            "status": data.get("status"),
        }
        payload = {
            "notificationType": kind,
            "subtype": subtype,
            "notificationUUID": notification_id or str(uuid.uuid4()),
            "version": "2.0",
            "signedDate": _ms(signed_at or datetime.now(UTC)),
            "data": {k: v for k, v in data.items() if v is not None},
        }
        return {"signedPayload": self.sign({k: v for k, v in payload.items() if v is not None})}


# --- Google -------------------------------------------------------------------------------------------------------


def _rsa_cert(key, common_name: str) -> x509.Certificate:
    now = datetime.now(UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(_name(common_name))
        .issuer_name(_name(common_name))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
        .sign(key, hashes.SHA256())
    )


class GoogleKeys:
    """The Play service account (its key file) and Google's OIDC signing key (its certificate, served by kid)."""

    def __init__(self, token_uri: str):
        self.account_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.service_account = {
            "type": "service_account",
            "project_id": "masthead-test",
            "private_key_id": "sa-key-1",
            "private_key": self.account_key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            ).decode(),
            "client_email": "play-api@masthead-test.iam.gserviceaccount.com",
            "client_id": "1000",
            "token_uri": token_uri,
        }
        self.oidc_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.oidc_kid = "oidc-key-1"
        self.certs = {
            self.oidc_kid: _rsa_cert(self.oidc_key, "Google OIDC").public_bytes(serialization.Encoding.PEM).decode()
        }

    def oidc_token(self, *, audience=AUDIENCE, email=PUSH_ACCOUNT, key=None, expires_in=3600, **claims) -> str:
        now = int(time.time())
        payload = {
            "iss": "https://accounts.google.com",
            "aud": audience,
            "sub": "1234",
            "email": email,
            "email_verified": True,
            "iat": now,
            "exp": now + expires_in,
            **claims,
        }
        return jwt.encode(payload, key or self.oidc_key, algorithm="RS256", headers={"kid": self.oidc_kid})


def pubsub_push(notification: dict, *, message_id: str | None = None) -> dict:
    """A Pub/Sub push body carrying a Play developer notification."""
    data = base64.b64encode(json.dumps(notification).encode()).decode()
    return {
        "message": {"data": data, "messageId": message_id or uuid.uuid4().hex, "publishTime": "2026-12-03T10:00:00Z"},
        "subscription": "projects/masthead-test/subscriptions/play-rtdn",
    }


def play_notification(token: str, notification_type: int, *, product_id=PRODUCT_ID) -> dict:
    return {
        "version": "1.0",
        "packageName": PACKAGE_NAME,
        "eventTimeMillis": str(int(time.time() * 1000)),
        "subscriptionNotification": {
            "version": "1.0",
            "notificationType": notification_type,
            "purchaseToken": token,
            "subscriptionId": product_id,
        },
    }


def play_purchase(
    *,
    state="SUBSCRIPTION_STATE_ACTIVE",
    expiry: datetime | None = None,
    auto_renew=True,
    acknowledged=False,
    account: str | None = None,
    product_id=PRODUCT_ID,
) -> dict:
    """A `SubscriptionPurchaseV2` as purchases.subscriptionsv2.get returns it."""
    expiry = expiry or datetime.now(UTC) + timedelta(days=7)
    purchase = {
        "kind": "androidpublisher#subscriptionPurchaseV2",
        "startTime": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
        "regionCode": "US",
        "subscriptionState": state,
        "latestOrderId": "GPA.3300-0000-0000-00000",
        "acknowledgementState": "ACKNOWLEDGEMENT_STATE_ACKNOWLEDGED"
        if acknowledged
        else "ACKNOWLEDGEMENT_STATE_PENDING",
        "lineItems": [
            {
                "productId": product_id,
                "expiryTime": expiry.isoformat().replace("+00:00", "Z"),
                "autoRenewingPlan": {"autoRenewEnabled": auto_renew},
            }
        ],
    }
    if account:
        purchase["externalAccountIdentifiers"] = {"obfuscatedExternalAccountId": account}
    return purchase
