"""Webhook tasks. Task names are kept from when webhooks lived in `articles`, so messages already queued (and the
beat schedule) still find them."""

from celery import shared_task


@shared_task(bind=True, name="articles.webhook_deliver", acks_late=True, max_retries=5)
def webhook_deliver_task(self, delivery_id: int) -> str:
    """Deliver one webhook (idempotent: a delivered or failed delivery is left alone). Retries with exponential
    backoff (`webhook_backoff`), at most 5 times; the last attempt marks the delivery failed instead of raising."""
    from .services import WebhookRetryable, webhook_backoff, webhook_deliver

    if self.request.is_eager:
        # No broker (embedded dev mode, tests): nothing can schedule a later retry, so retry in-process at once.
        for retries in range(self.max_retries + 1):
            try:
                return webhook_deliver(delivery_id=delivery_id, final=retries >= self.max_retries)
            except WebhookRetryable:
                continue
    try:
        return webhook_deliver(delivery_id=delivery_id, final=self.request.retries >= self.max_retries)
    except WebhookRetryable as exc:
        raise self.retry(exc=exc, countdown=webhook_backoff(self.request.retries)) from None


@shared_task(name="articles.webhook_sweep", acks_late=True, max_retries=0)
def webhook_sweep_task() -> dict:
    """Every few minutes (beat): re-enqueue webhook deliveries whose task was lost, fail very old ones."""
    from .services import webhook_sweep

    return webhook_sweep()
