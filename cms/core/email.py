"""Every email goes through the outbox and a Celery task: `email_enqueue` is the only way to send one.

Templates live in `templates/email/<name>.txt` (plain text, first line `Subject: ...`) and
`templates/email/<name>.html` (optional HTML alternative).
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.template import TemplateDoesNotExist
from django.template.loader import render_to_string
from django.utils import timezone

from .models import OutboundEmail

logger = logging.getLogger(__name__)


def email_enqueue(*, to: str, template: str, context: dict, key: str) -> OutboundEmail:
    """Record an email once per `key` and send it through Celery after the surrounding transaction commits.

    Calling it again with the same key returns the first row and sends nothing more.
    """
    from .tasks import email_send_task

    base_context = {"site_name": settings.SITE_NAME, "base_url": settings.PUBLIC_BASE_URL}
    try:
        with transaction.atomic():
            email = OutboundEmail.objects.create(key=key, to=to, template=template, context={**base_context, **context})
    except IntegrityError:
        return OutboundEmail.objects.get(key=key)
    transaction.on_commit(lambda: email_send_task.delay(email.pk))
    return email


def _render(template: str, context: dict) -> tuple[str, str, str | None]:
    text = render_to_string(f"email/{template}.txt", context).strip()
    first, _, rest = text.partition("\n")
    if first.lower().startswith("subject:"):
        subject, body = first.split(":", 1)[1].strip(), rest.lstrip("\n")
    else:
        subject, body = settings.SITE_NAME, text
    try:
        html = render_to_string(f"email/{template}.html", {**context, "subject": subject})
    except TemplateDoesNotExist:
        html = None
    return subject, body, html


def email_deliver(*, email_id: int) -> bool:
    """Send one outbox row if it is still pending. Returns True if this call sent it.

    Locking: the row is locked (SELECT ... FOR UPDATE) for the duration of the SMTP exchange, so two workers that
    received the same task never both send; the second sees `sent` and does nothing.
    """
    with transaction.atomic():
        email = OutboundEmail.objects.select_for_update().filter(pk=email_id).first()
        if email is None or email.status == OutboundEmail.Status.SENT:
            return False
        email.attempts += 1
        subject, body, html = _render(email.template, email.context)
        message = EmailMultiAlternatives(
            subject=subject, body=body, to=[email.to], headers={"X-Masthead-Key": email.key}
        )
        if html:
            message.attach_alternative(html, "text/html")
        message.send(fail_silently=False)
        email.status = OutboundEmail.Status.SENT
        email.sent_at = timezone.now()
        email.last_error = ""
        email.save(update_fields=["status", "sent_at", "attempts", "last_error", "updated_at"])
    return True


def email_mark_failed(*, email_id: int, error: str) -> None:
    OutboundEmail.objects.filter(pk=email_id).exclude(status=OutboundEmail.Status.SENT).update(
        status=OutboundEmail.Status.FAILED, last_error=error[:2000]
    )
