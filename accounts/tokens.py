"""One-time tokens: email verification (signed, expiring, single-use by state) and password reset (Django's).

A verification token signs `(user id, address, state)` where the state is the account's current address and
verification time. Verifying changes the state, so the same token never works twice; it also expires after
`ACCOUNTS_VERIFY_EMAIL_MAX_AGE` seconds (default 3 days).

Password reset uses `django.contrib.auth.tokens.default_token_generator`: the token hashes the password hash and
last login, so it stops working as soon as the password changes; it expires after `PASSWORD_RESET_TIMEOUT`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core import signing
from django.utils.encoding import force_bytes, force_str
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode

_VERIFY_SALT = "masthead.accounts.verify-email"


def _verify_max_age() -> int:
    return getattr(settings, "ACCOUNTS_VERIFY_EMAIL_MAX_AGE", 3 * 24 * 3600)


def _email_state(user) -> str:
    verified = user.email_verified_at.isoformat() if user.email_verified_at else ""
    raw = f"{user.email.lower()}|{verified}|{user.pending_email.lower()}"
    return hashlib.sha256(raw.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class VerifyClaim:
    user_id: int
    email: str
    state: str


def email_verify_token_make(*, user, email: str) -> str:
    """A token proving control of `email` (the account's address, or its pending new address)."""
    payload = {"u": user.pk, "e": email.lower(), "s": _email_state(user)}
    return signing.dumps(payload, salt=_VERIFY_SALT, compress=False)


def email_verify_token_read(token: str) -> VerifyClaim | None:
    """The claim inside a well-signed, unexpired token (not yet checked against the account), else None."""
    if not isinstance(token, str) or not token or len(token) > 500:
        return None
    try:
        payload = signing.loads(token, salt=_VERIFY_SALT, max_age=_verify_max_age())
    except signing.BadSignature:  # includes SignatureExpired
        return None
    if not isinstance(payload, dict) or not {"u", "e", "s"} <= payload.keys():
        return None
    return VerifyClaim(user_id=payload["u"], email=payload["e"], state=payload["s"])


def email_verify_claim_matches(*, claim: VerifyClaim, user) -> bool:
    return claim.user_id == user.pk and claim.state == _email_state(user)


def password_reset_token_make(*, user) -> tuple[str, str]:
    """(uid, token) for the reset link."""
    return urlsafe_base64_encode(force_bytes(user.pk)), default_token_generator.make_token(user)


def password_reset_uid_read(uid: str) -> int | None:
    try:
        value = int(force_str(urlsafe_base64_decode(uid)))
    except (TypeError, ValueError, OverflowError, UnicodeDecodeError):
        return None
    return value if value > 0 else None


def password_reset_token_check(*, user, token: str) -> bool:
    return isinstance(token, str) and len(token) < 100 and default_token_generator.check_token(user, token)
