"""Outgoing webhooks: article events delivered to registered endpoints for cache invalidation.

Flow: `article_changed` (sent after commit by the article services) -> `webhook_deliveries_create` writes one
WebhookDelivery per interested endpoint (unique per endpoint, event, article and version, so a repeated signal
never delivers twice) -> the `articles.webhook_deliver` task (`cms/webhooks/tasks.py`) POSTs the JSON payload, signed:

    X-Masthead-Signature: sha256=<hex HMAC-SHA256 of the raw request body with the endpoint's secret>
    X-Masthead-Event: article.published
    X-Masthead-Delivery: <delivery id>

A 2xx answer marks the delivery delivered; anything else (or a network error) is retried by the task with
exponential backoff, at most WEBHOOK_MAX_ATTEMPTS attempts, then marked failed. Payloads never carry the body.

One send at a time: an attempt claims the delivery (`sending_until`, under the row lock) for the request's timeout
plus a margin, and clears the claim when it records the answer. A second execution of the same delivery meanwhile
(a task redelivered by the broker, the same delivery enqueued twice) finds the claim and sends nothing. Only a
worker killed mid-send leaves a claim to expire, after which the delivery is sent again: delivery is at least once,
never twice concurrently, and receivers can deduplicate with `X-Masthead-Delivery`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import urllib.error
import urllib.request
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from articles.models import Article
from cms.core.links import article_url, site_base

from .models import WebhookDelivery, WebhookEndpoint

logger = logging.getLogger(__name__)

WEBHOOK_MAX_ATTEMPTS = 6  # the first try plus 5 retries
WEBHOOK_TIMEOUT_SECONDS = 5
WEBHOOK_CLAIM_SECONDS = WEBHOOK_TIMEOUT_SECONDS + 25  # the request's timeout, the answer's bookkeeping, slack
IN_FLIGHT = "in_flight"  # webhook_deliver's answer when another attempt holds the delivery
USER_AGENT = "Masthead-Webhooks/1"


class WebhookRetryable(Exception):
    """The endpoint did not accept the delivery this time (non-2xx or network error)."""


def webhook_signature(*, secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def webhook_body(payload: dict) -> bytes:
    return json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()


def webhook_backoff(retries: int) -> int:
    """Seconds before retry number `retries + 1`: 30 s, 60 s, 2 min, 4 min, 8 min."""
    return 30 * (2 ** max(retries, 0))


def webhook_deliveries_create(*, article_id: int, event: str, version: int) -> list[int]:
    """Record one pending delivery per active endpoint that wants `event`. Idempotent; returns the pending ids."""
    endpoints = [e for e in WebhookEndpoint.objects.filter(active=True) if e.wants(event)]
    if not endpoints:
        return []
    article = Article.objects.filter(pk=article_id).only("id", "slug").first()
    payload = {
        "event": event,
        "article_id": article_id,
        "slug": article.slug if article else None,
        "url": article_url(article, base=site_base()) if article else None,
        "version": version,
        "occurred_at": timezone.now().isoformat(),
    }
    WebhookDelivery.objects.bulk_create(
        [
            WebhookDelivery(endpoint=e, event=event, article_id=article_id, version=version, payload=payload)
            for e in endpoints
        ],
        ignore_conflicts=True,
    )
    return list(
        WebhookDelivery.objects.filter(
            endpoint__in=endpoints,
            event=event,
            article_id=article_id,
            version=version,
            status=WebhookDelivery.Status.PENDING,
        ).values_list("id", flat=True)
    )


def webhook_deliver(*, delivery_id: int, final: bool = False) -> str:
    """One delivery attempt. Returns the delivery's status; raises WebhookRetryable when a retry should follow
    (never when `final`: the delivery is then marked failed). Delivered or failed deliveries are left alone, and so
    is a delivery another attempt is sending (`IN_FLIGHT`)."""
    with transaction.atomic():
        delivery = WebhookDelivery.objects.select_for_update().select_related("endpoint").filter(pk=delivery_id).first()
        if delivery is None or delivery.status != WebhookDelivery.Status.PENDING:
            return delivery.status if delivery else "missing"
        now = timezone.now()
        if delivery.sending_until is not None and delivery.sending_until > now:
            return IN_FLIGHT
        delivery.attempts += 1
        delivery.sending_until = now + timedelta(seconds=WEBHOOK_CLAIM_SECONDS)
        delivery.save(update_fields=["attempts", "sending_until", "updated_at"])
    endpoint = delivery.endpoint
    if not endpoint.url.startswith(("http://", "https://")):
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            status=WebhookDelivery.Status.FAILED, error="Only http(s) endpoints are supported.", sending_until=None
        )
        return WebhookDelivery.Status.FAILED
    body = webhook_body(delivery.payload)
    request = urllib.request.Request(  # noqa: S310 (scheme checked above)
        endpoint.url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            "X-Masthead-Signature": webhook_signature(secret=endpoint.secret, body=body),
            "X-Masthead-Event": delivery.event,
            "X-Masthead-Delivery": str(delivery.pk),
        },
    )
    code, error = None, ""
    try:
        with urllib.request.urlopen(request, timeout=WEBHOOK_TIMEOUT_SECONDS) as response:  # noqa: S310
            code = response.status
    except urllib.error.HTTPError as exc:
        code, error = exc.code, f"HTTP {exc.code}"
    except (urllib.error.URLError, OSError, ValueError) as exc:
        error = f"{type(exc).__name__}: {exc}"[:1000]
    ok = code is not None and 200 <= code < 300
    final = final or delivery.attempts >= WEBHOOK_MAX_ATTEMPTS
    if ok:
        status = WebhookDelivery.Status.DELIVERED
    elif final:
        status = WebhookDelivery.Status.FAILED
    else:
        status = WebhookDelivery.Status.PENDING
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status=status,
        response_code=code,
        error=error,
        delivered_at=timezone.now() if ok else None,
        sending_until=None,
        updated_at=timezone.now(),
    )
    if status == WebhookDelivery.Status.PENDING:
        raise WebhookRetryable(error or f"HTTP {code}")
    return status


def webhook_sweep(
    *, older_than: timedelta = timedelta(minutes=20), give_up_after: timedelta = timedelta(days=1)
) -> dict:
    """Re-enqueue pending deliveries whose task was lost (the broker down when the event fired, or a message dropped
    by a killed worker), and fail those pending for more than `give_up_after`. `older_than` exceeds the retry chain
    (30 s to 8 min, about 15 min in all), so a delivery waiting for its next retry is left alone; a claimed one
    (`sending_until`) too. Sending is guarded by the row lock and the claim, so a re-enqueued delivery is not sent
    twice at once. The beat runs it every 5 minutes (`articles.webhook_sweep`)."""
    now = timezone.now()
    pending = WebhookDelivery.objects.filter(status=WebhookDelivery.Status.PENDING)
    expired = pending.filter(created_at__lt=now - give_up_after).update(
        status=WebhookDelivery.Status.FAILED, error=f"Not delivered within {give_up_after}.", sending_until=None
    )
    ids = list(
        pending.filter(updated_at__lt=now - older_than, created_at__gte=now - give_up_after)
        .exclude(sending_until__gt=now)
        .order_by("updated_at")
        .values_list("pk", flat=True)[:500]
    )
    WebhookDelivery.objects.filter(pk__in=ids).update(updated_at=now)  # not swept again before `older_than`
    webhook_deliveries_enqueue(ids)
    return {"requeued": len(ids), "expired": expired}


def webhook_deliveries_enqueue(delivery_ids: list[int]) -> None:
    """Queue one delivery task per id. A broker outage is logged: the deliveries stay pending for the sweep."""
    from .tasks import webhook_deliver_task

    for delivery_id in delivery_ids:
        try:
            webhook_deliver_task.delay(delivery_id)
        except Exception:  # a broker outage must not break publishing; the delivery stays pending in the log
            logger.exception("Could not enqueue webhook delivery %s", delivery_id)


def webhook_deliveries_retry(*, delivery_ids: list[int]) -> list[int]:
    """Send failed deliveries again from the start (the admin's retry action); returns the ids queued. Deliveries
    that are not failed are left alone."""
    ids = list(
        WebhookDelivery.objects.filter(pk__in=delivery_ids, status=WebhookDelivery.Status.FAILED).values_list(
            "id", flat=True
        )
    )
    WebhookDelivery.objects.filter(pk__in=ids).update(status=WebhookDelivery.Status.PENDING, attempts=0)
    transaction.on_commit(lambda: webhook_deliveries_enqueue(ids))
    return ids
