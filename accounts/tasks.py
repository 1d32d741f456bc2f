"""Accounts housekeeping. Emails are sent by `core.email_send` (through `cms.core.email.email_enqueue`)."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone


@shared_task(name="accounts.tokens_flush", max_retries=3, default_retry_delay=60)
def tokens_flush_task() -> int:
    """Delete expired outstanding/blacklisted refresh tokens (simplejwt's flushexpiredtokens). Idempotent."""
    from rest_framework_simplejwt.token_blacklist.models import OutstandingToken

    deleted, _ = OutstandingToken.objects.filter(expires_at__lte=timezone.now()).delete()
    return deleted


@shared_task(name="accounts.password_reset_send", acks_late=True, max_retries=3, default_retry_delay=30)
def password_reset_send_task(email: str, minute: int | None = None) -> bool:
    """Look the address up and email a reset link if it has an account (`services.password_reset_send`), off the
    request path so the answer's timing reveals nothing. Idempotent per account and request minute (the outbox
    key), however late a retry runs."""
    from .services import password_reset_send

    return password_reset_send(email=email, minute=minute)
