"""Small helpers shared by the accounts tests."""

from __future__ import annotations

import re

PASSWORD = "correct-horse-battery"  # UserFactory's
NEW_PASSWORD = "a-much-better-passphrase-42"


def mail_text(message) -> str:
    return message.get_body(("plain",)).get_content()


def mail_html(message) -> str:
    return message.get_body(("html",)).get_content()


def token_from(text: str, name: str = "token") -> str:
    match = re.search(rf"[?&]{name}=([^\s&]+)", text)
    assert match, f"no {name}= in {text!r}"
    return match.group(1)


def outbox_tokens(mailoutbox_or_messages, name="token") -> list[str]:
    out = []
    for message in mailoutbox_or_messages:
        body = message.body if hasattr(message, "body") else mail_text(message)
        out.append(token_from(body, name))
    return out
