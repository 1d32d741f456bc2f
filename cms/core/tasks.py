import logging
import smtplib
from datetime import timedelta

from celery import shared_task
from django.conf import settings

from .email import email_deliver, email_mark_failed, email_sweep

logger = logging.getLogger(__name__)


@shared_task(
    name="core.email_send",
    bind=True,
    acks_late=True,  # idempotent: the outbox row's state guards against a second send
    reject_on_worker_lost=True,
    autoretry_for=(smtplib.SMTPException, ConnectionError, OSError),
    retry_backoff=True,
    retry_backoff_max=600,
    max_retries=5,
)
def email_send_task(self, email_id: int) -> None:
    try:
        email_deliver(email_id=email_id)
    except Exception as exc:
        if self.request.retries >= self.max_retries:
            email_mark_failed(email_id=email_id, error=repr(exc))
        raise


@shared_task(name="core.email_sweep", acks_late=True, max_retries=0)
def email_sweep_task() -> dict:
    """Every few minutes (beat): re-enqueue outbox emails whose task was lost, expire very old ones. Idempotent."""
    return email_sweep(
        older_than=timedelta(seconds=settings.EMAIL_SWEEP_AFTER_SECONDS),
        give_up_after=timedelta(seconds=settings.EMAIL_GIVE_UP_AFTER_SECONDS),
    )
