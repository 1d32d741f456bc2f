"""Paywall test helpers: a local HTTP server standing in for the Stripe API, and webhook signing."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl

import pytest
import stripe

WEBHOOK_SECRET = "whsec_test_masthead"


class FakeStripe:
    """State and request log of the stand-in Stripe API."""

    def __init__(self):
        self.requests: list[dict] = []
        self.subscriptions: dict[str, dict] = {}
        self.lock = threading.Lock()
        self.url = ""
        self.down = False  # answer 500 to everything
        self.invoice_payments: dict[str, list[dict]] = {}
        self.refunds: list[dict] = []

    def subscription(self, sub_id: str, *, user_id, status="active", start=None, end=None, price="price_weekly", **kw):
        start = int(start or time.time())
        end = int(end or start + 7 * 86400)
        self.subscriptions[sub_id] = {
            "id": sub_id,
            "object": "subscription",
            "status": status,
            "customer": kw.pop("customer", "cus_test_1"),
            "cancel_at_period_end": False,
            "current_period_start": start,
            "current_period_end": end,
            "ended_at": None,
            "latest_invoice": None,
            "metadata": {"user_id": str(user_id), "plan": "weekly"},
            "items": {"object": "list", "data": [{"id": "si_1", "price": {"id": price}}]},
            **kw,
        }
        return self.subscriptions[sub_id]


def _handler(state: FakeStripe):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def _reply(self, status: int, body: dict):
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Request-Id", "req_test")
            self.end_headers()
            self.wfile.write(data)

        def _record(self) -> dict:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length).decode() if length else ""
            entry = {
                "method": self.command,
                "path": self.path.split("?")[0],
                "form": dict(parse_qsl(raw, keep_blank_values=True)),
                "authorization": self.headers.get("Authorization"),
            }
            with state.lock:
                state.requests.append(entry)
            return entry

        def _subscription_or_404(self, path):
            sub_id = path.rsplit("/", 1)[1]
            sub = state.subscriptions.get(sub_id)
            if sub is None:
                error = {"type": "invalid_request_error", "message": f"No such subscription: {sub_id}"}
                self._reply(404, {"error": error})
            return sub

        def do_GET(self):
            entry = self._record()
            if state.down:
                self._reply(500, {"error": {"type": "api_error", "message": "down"}})
                return
            if entry["path"].startswith("/v1/subscriptions/"):
                sub = self._subscription_or_404(entry["path"])
                if sub is not None:
                    self._reply(200, sub)
                return
            if entry["path"] == "/v1/invoice_payments":
                query = dict(parse_qsl(self.path.partition("?")[2]))
                data = state.invoice_payments.get(query.get("invoice"), [])
                self._reply(200, {"object": "list", "data": data, "has_more": False, "url": "/v1/invoice_payments"})
                return
            if entry["path"].startswith("/v1/invoices/"):
                invoice_id = entry["path"].rsplit("/", 1)[1]
                self._reply(200, {"id": invoice_id, "object": "invoice"})
                return
            self._reply(404, {"error": {"type": "invalid_request_error", "message": "unknown"}})

        def do_POST(self):
            entry = self._record()
            path, form = entry["path"], entry["form"]
            if path == "/v1/checkout/sessions":
                self._reply(
                    200,
                    {
                        "id": "cs_test_1",
                        "object": "checkout.session",
                        "mode": form.get("mode"),
                        "url": "https://checkout.stripe.test/c/pay/cs_test_1",
                    },
                )
                return
            if path == "/v1/refunds":
                refund = {"id": f"re_{len(state.refunds) + 1}", "object": "refund", **form}
                state.refunds.append(refund)
                self._reply(200, refund)
                return
            if path.startswith("/v1/subscriptions/"):
                sub = self._subscription_or_404(path)
                if sub is not None:
                    if "cancel_at_period_end" in form:
                        sub["cancel_at_period_end"] = form["cancel_at_period_end"] == "true"
                    self._reply(200, sub)
                return
            self._reply(404, {"error": {"type": "invalid_request_error", "message": "unknown"}})

        def do_DELETE(self):
            entry = self._record()
            sub = self._subscription_or_404(entry["path"])
            if sub is not None:
                sub.update(status="canceled", ended_at=int(time.time()))
                self._reply(200, sub)

    return Handler


@pytest.fixture(params=["function", "orm"])
def meter_implementation(request, monkeypatch):
    """Run the test once with each implementation of the counted read (`paywall.services.meter_read_record`): the
    PostgreSQL stored function and the ORM (every database's, SQLite's only). Both must behave the same."""
    from django.db import connection

    from paywall.services import meter

    if request.param == "function" and connection.vendor != "postgresql":
        pytest.skip("the stored function exists on PostgreSQL only")
    implementation = {"function": meter._meter_read_with_function, "orm": meter._meter_read_with_orm}[request.param]
    monkeypatch.setattr(meter, "meter_read_recorder", lambda connection: implementation)
    return request.param


@pytest.fixture
def fake_stripe(settings):
    """A stand-in Stripe API on 127.0.0.1 (the library's api_base points at it) and stripe billing settings."""
    state = FakeStripe()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    settings.BILLING_PROVIDER = "stripe"
    settings.STRIPE_SECRET_KEY = "sk_test_masthead"
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.STRIPE_API_BASE = state.url
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        stripe.api_base = "https://api.stripe.com"


@pytest.fixture
def stripe_plan(db):
    """The seeded weekly plan, sold through Stripe's price `price_weekly`."""
    from paywall.models import Plan

    plan = Plan.objects.get(code="weekly")
    plan.provider_price_id = "price_weekly"
    plan.save()
    return plan


def stripe_event(event_type: str, obj: dict, *, event_id: str = "evt_test_1") -> dict:
    return {
        "id": event_id,
        "object": "event",
        "api_version": "2024-06-20",
        "created": int(time.time()),
        "type": event_type,
        "data": {"object": obj},
    }


def signed_post(client, event: dict | str, *, secret: str = WEBHOOK_SECRET, timestamp: int | None = None, body=None):
    """POST an event to the webhook with a real Stripe-Signature header made by the library's own helper."""
    payload = event if isinstance(event, str) else json.dumps(event)
    header = stripe.WebhookSignature.generate_signature_header(payload, secret, timestamp=timestamp)
    return client.post(
        "/api/v1/billing/webhooks/stripe/",
        data=body if body is not None else payload,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=header,
    )
