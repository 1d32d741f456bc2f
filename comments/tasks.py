"""Comment tasks: ids in, the service does the work. Task names are kept from when comments lived in `articles`,
so messages already queued (and the beat schedule) still find them."""

from celery import shared_task


@shared_task(
    name="articles.comment_reply_notify",
    acks_late=True,  # idempotent: the outbox key (thread, recipient, hour) guards against a second email
    autoretry_for=(ConnectionError,),
    retry_backoff=True,
    max_retries=5,
)
def comment_reply_notify_task(comment_id: int) -> bool:
    from .services.notifications import comment_reply_notify

    return comment_reply_notify(comment_id=comment_id)


@shared_task(name="articles.comment_digest", acks_late=True, max_retries=3)
def comment_digest_task() -> int:
    """Daily: email editors the moderation queue when it is not empty (idempotent per day and editor)."""
    from .services.notifications import comment_digest_send

    return comment_digest_send()
