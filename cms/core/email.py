"""Every email goes through the outbox and a Celery task: `email_enqueue` is the only way to send one.

Templates live in `templates/email/<name>.txt` (plain text, first line `Subject: ...`) and
`templates/email/<name>.html` (optional HTML alternative).
"""

from __future__ import annotations

import logging
import smtplib
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.smtp import EmailBackend as SmtpEmailBackend
from django.core.mail.message import sanitize_address
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

    Exactly once across a crash: over SMTP the row is committed as `sent` after the server has taken the whole
    message but before the end-of-data marker that makes the server accept it (`_SmtpTwoPhase`). A worker killed
    before that commit leaves an unfinished SMTP transaction, which the server discards, and a pending row, which
    the redelivered task sends; killed after it, the marker is already on its way (or the loss window is the few
    microseconds between COMMIT and one `send()` of five bytes). If the server then refuses the message, the row
    goes back to pending and the task retries. Other backends (console, locmem) send inside the lock.
    """
    connection = get_connection(fail_silently=False)
    two_phase = None
    with transaction.atomic():
        email = OutboundEmail.objects.select_for_update().filter(pk=email_id).first()
        if email is None or email.status == OutboundEmail.Status.SENT:
            return False
        email.attempts += 1
        subject, body, html = _render(email.template, email.context)
        message = EmailMultiAlternatives(
            subject=subject, body=body, to=[email.to], headers={"X-Masthead-Key": email.key}, connection=connection
        )
        if html:
            message.attach_alternative(html, "text/html")
        if isinstance(connection, SmtpEmailBackend):
            two_phase = _SmtpTwoPhase(connection)
            try:
                two_phase.begin(message)
            except BaseException:
                connection.close()
                raise
        else:
            message.send(fail_silently=False)
        email.status = OutboundEmail.Status.SENT
        email.sent_at = timezone.now()
        email.last_error = ""
        email.save(update_fields=["status", "sent_at", "attempts", "last_error", "updated_at"])
    if two_phase is not None:
        try:
            two_phase.finish()
        except Exception as exc:
            OutboundEmail.objects.filter(pk=email_id, status=OutboundEmail.Status.SENT).update(
                status=OutboundEmail.Status.PENDING, sent_at=None, last_error=repr(exc)[:2000]
            )
            raise
    return True


class _SmtpTwoPhase:
    """smtplib's `sendmail` cut in two: `begin` sends envelope and message without the final `.`; `finish` sends
    the `.` (the server accepts the message only then) and checks the reply. Between them the caller commits."""

    def __init__(self, backend: SmtpEmailBackend):
        self.backend = backend

    def begin(self, message: EmailMultiAlternatives) -> None:
        encoding = message.encoding or settings.DEFAULT_CHARSET
        sender = sanitize_address(message.from_email, encoding)
        recipients = [sanitize_address(addr, encoding) for addr in message.recipients()]
        raw = message.message().as_bytes(linesep="\r\n")
        self.backend.open()
        smtp = self.backend.connection
        smtp.ehlo_or_helo_if_needed()
        options = [f"size={len(raw)}"] if smtp.does_esmtp and smtp.has_extn("size") else []
        code, reply = smtp.mail(sender, options)
        if code != 250:
            raise smtplib.SMTPSenderRefused(code, reply, sender)
        for recipient in recipients:
            code, reply = smtp.rcpt(recipient)
            if code not in (250, 251):
                raise smtplib.SMTPRecipientsRefused({recipient: (code, reply)})
        smtp.putcmd("data")
        code, reply = smtp.getreply()
        if code != 354:
            raise smtplib.SMTPDataError(code, reply)
        data = smtplib._quote_periods(raw)
        if not data.endswith(b"\r\n"):
            data += b"\r\n"
        smtp.send(data)

    def finish(self) -> None:
        smtp = self.backend.connection
        try:
            smtp.send(b".\r\n")
            code, reply = smtp.getreply()
            if code != 250:
                raise smtplib.SMTPDataError(code, reply)
        finally:
            self.backend.close()


def email_sweep(*, older_than: timedelta, give_up_after: timedelta, limit: int = 500) -> dict:
    """Re-enqueue pending emails whose send task was lost, and give up on very old ones (the beat runs this).

    A task can vanish: the broker dropped at enqueue time, or a worker killed between taking a message from Redis and
    recording it as unacknowledged (kombu's Redis transport; celery/kombu#1836). The outbox row then stays pending
    with no task behind it. Rows pending and untouched for `older_than` (longer than a send's whole retry chain) are
    enqueued again; sending is idempotent (row lock, status), so a row whose task was merely slow is still sent once.
    Rows pending for more than `give_up_after` are marked failed rather than sent days late."""
    now = timezone.now()
    pending = OutboundEmail.objects.filter(status=OutboundEmail.Status.PENDING)
    expired = pending.filter(created_at__lt=now - give_up_after).update(
        status=OutboundEmail.Status.FAILED, last_error=f"Not sent within {give_up_after}."
    )
    ids = list(
        pending.filter(updated_at__lt=now - older_than, created_at__gte=now - give_up_after)
        .order_by("updated_at")
        .values_list("pk", flat=True)[:limit]
    )
    if ids:
        from .tasks import email_send_task

        OutboundEmail.objects.filter(pk__in=ids).update(updated_at=now)  # not swept again before `older_than`
        for email_id in ids:
            email_send_task.delay(email_id)
    return {"requeued": len(ids), "expired": expired}


def email_mark_failed(*, email_id: int, error: str) -> None:
    OutboundEmail.objects.filter(pk=email_id).exclude(status=OutboundEmail.Status.SENT).update(
        status=OutboundEmail.Status.FAILED, last_error=error[:2000]
    )
