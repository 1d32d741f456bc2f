from celery import shared_task

from .services import articles_publish_due


@shared_task(name="articles.publish_scheduled", acks_late=True, max_retries=3)
def articles_publish_due_task() -> int:
    return articles_publish_due()


@shared_task(
    name="articles.image_renditions",
    acks_late=True,
    autoretry_for=(OSError,),
    retry_backoff=True,
    retry_backoff_max=300,
    max_retries=5,
)
def image_renditions_task(image_id: int) -> int:
    """Render an image's widths (idempotent: same names, same list). Storage hiccups retry with backoff."""
    from .services.images import image_renditions_generate

    return len(image_renditions_generate(image_id=image_id))


# --- comments ---------------------------------------------------------------------------------------------------------


@shared_task(
    name="articles.comment_reply_notify",
    acks_late=True,  # idempotent: the outbox key (thread, recipient, hour) guards against a second email
    autoretry_for=(ConnectionError,),
    retry_backoff=True,
    max_retries=5,
)
def comment_reply_notify_task(comment_id: int) -> bool:
    from .services.comments import comment_reply_notify

    return comment_reply_notify(comment_id=comment_id)


@shared_task(name="articles.comment_digest", acks_late=True, max_retries=3)
def comment_digest_task() -> int:
    """Daily: email editors the moderation queue when it is not empty (idempotent per day and editor)."""
    from .services.comments import comment_digest_send

    return comment_digest_send()


# --- outgoing webhooks ------------------------------------------------------------------------------------------------


@shared_task(bind=True, name="articles.webhook_deliver", acks_late=True, max_retries=5)
def webhook_deliver_task(self, delivery_id: int) -> str:
    """Deliver one webhook (idempotent: a delivered or failed delivery is left alone). Retries with exponential
    backoff, at most 5 times; the last attempt marks the delivery failed instead of raising."""
    from .webhooks import WebhookRetryable, webhook_backoff, webhook_deliver

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
    from .webhooks import webhook_sweep

    return webhook_sweep()
