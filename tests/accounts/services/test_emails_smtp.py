"""Emails leave through the outbox, the Celery task (eager) and a real SMTP server (aiosmtpd) and read right."""

import pytest
from django.conf import settings
from rest_framework.test import APIClient

from tests.accounts.factories import UserFactory
from tests.accounts.helpers import mail_html, mail_text, token_from


@pytest.mark.django_db
def test_verification_email_is_delivered_over_smtp_with_text_and_html(smtp_server, django_capture_on_commit_callbacks):
    client = APIClient()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/api/v1/auth/register/",
            {"email": "smtp@example.com", "password": "a-long-enough-passphrase", "display_name": "Sam"},
            format="json",
        )
    assert response.status_code == 202
    [message] = smtp_server.messages
    assert message.envelope_to == ["smtp@example.com"]
    assert message["Subject"].startswith("Confirm your email address")
    text, html = mail_text(message), mail_html(message)
    assert "Hello Sam" in text
    token = token_from(text)
    assert token in html
    assert "<a href=" in html
    # the delivered link works, once
    assert client.post("/api/v1/auth/verify-email/", {"token": token}, format="json").status_code == 200
    assert client.post("/api/v1/auth/verify-email/", {"token": token}, format="json").status_code == 400


@pytest.mark.django_db
def test_password_reset_email_is_delivered_over_smtp_with_a_working_link(
    smtp_server, django_capture_on_commit_callbacks
):
    UserFactory(email="forgetful@example.com")
    client = APIClient()
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/api/v1/auth/password-reset/", {"email": "forgetful@example.com"}, format="json")
        client.post("/api/v1/auth/password-reset/", {"email": "nobody@example.com"}, format="json")
    [message] = smtp_server.messages
    assert message.envelope_to == ["forgetful@example.com"]
    assert message["Subject"] == f"Reset your {settings.SITE_NAME} password"
    text = mail_text(message)
    assert "&amp;" not in text  # the text part is not HTML-escaped
    uid, token = token_from(text, "uid"), token_from(text, "token")
    confirm = {"uid": uid, "token": token, "new_password": "brand-new-passphrase-1"}
    assert client.post("/api/v1/auth/password-reset/confirm/", confirm, format="json").status_code == 200


@pytest.mark.django_db
def test_existing_address_notice_is_delivered_over_smtp(smtp_server, django_capture_on_commit_callbacks):
    UserFactory(email="known@example.com", display_name="Kim")
    with django_capture_on_commit_callbacks(execute=True):
        APIClient().post(
            "/api/v1/auth/register/",
            {"email": "known@example.com", "password": "a-long-enough-passphrase"},
            format="json",
        )
    [message] = smtp_server.messages
    assert "Someone tried to use your email address" in message["Subject"]
    assert "already have an account" in mail_text(message)
    assert "verify-email" not in mail_text(message)
