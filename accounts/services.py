"""Account rules: registration, verification, sign-in with lockout, tokens, password reset, profile, API keys.

Every email goes through `cms.core.email.email_enqueue` (outbox + Celery after commit). Answers that could reveal
whether an address has an account (register, password reset) are identical either way; the differences are only
in which email is sent.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import authenticate, get_user_model, password_validation
from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone

from cms.core.email import email_enqueue
from cms.core.exceptions import ApplicationError, Conflict

from . import throttling, tokens
from .errors import AccountsErrorCode as Code
from .models import API_KEY_SCOPES, ApiKey
from .selectors import API_KEY_PREFIX, api_key_hash, user_email_taken, user_get_by_email

logger = logging.getLogger(__name__)
User = get_user_model()


class LoginLocked(ApplicationError):
    """Too many failed sign-ins for this address or from this client; `retry_after` seconds to wait."""

    status_code = 429

    def __init__(self, retry_after: int):
        super().__init__(
            "Too many failed sign-in attempts. Try again later.",
            code=Code.LOGIN_LOCKED,
            field=None,
            extra={"retry_after": retry_after},
        )
        self.retry_after = retry_after


def _url(setting: str, path: str) -> str:
    return getattr(settings, setting, "") or f"{settings.PUBLIC_BASE_URL.rstrip('/')}{path}"


def _email_normalize(email: str) -> str:
    email = (email or "").strip()
    try:
        validate_email(email)
    except DjangoValidationError as exc:
        raise ApplicationError("Enter a valid email address.", code=Code.EMAIL_INVALID, field="email") from exc
    return User.objects.normalize_email(email).lower()


def _password_validate(*, password: str, user: User, field: str = "password") -> None:
    try:
        password_validation.validate_password(password, user=user)
    except DjangoValidationError as exc:
        raise ApplicationError(" ".join(exc.messages), code=Code.PASSWORD_INVALID, field=field) from exc


def _refresh_tokens_revoke(*, user: User) -> None:
    """Blacklist every outstanding refresh token of the user (password changed, account closed)."""
    from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

    outstanding = OutstandingToken.objects.filter(user=user, expires_at__gt=timezone.now())
    BlacklistedToken.objects.bulk_create(
        [BlacklistedToken(token=t) for t in outstanding.exclude(blacklistedtoken__isnull=False)], ignore_conflicts=True
    )


def _account_email(*, user: User, template: str, key: str, to: str | None = None, **context) -> None:
    """An email about the user's account, greeting them by name: to their address unless `to` names another.
    `key` makes it once only (the outbox's unique key)."""
    context = {"display_name": user.display_name, **context}
    email_enqueue(to=to or user.email, template=template, context=context, key=key)


# --- registration and verification -----------------------------------------------------------------------------


def email_verification_send(*, user: User, email: str | None = None) -> None:
    """Send a verification link for the account's address (or for `email`, its pending new address)."""
    email = (email or user.email).lower()
    token = tokens.email_verify_token_make(user=user, email=email)
    minute = int(timezone.now().timestamp() // 60)
    _account_email(
        user=user,
        to=email,
        template="account_verify_email",
        # at most one a minute per address (the key must fit OutboundEmail.key, so the address is hashed)
        key=f"accounts:verify:{user.pk}:{hashlib.sha256(email.encode()).hexdigest()[:16]}:{minute}",
        token=token,
        verify_url=f"{_url('ACCOUNTS_VERIFY_EMAIL_URL', '/verify-email')}?token={token}",
        is_change=email != user.email.lower(),
    )


def _address_in_use_notice(*, user: User, reason: str) -> None:
    hour = int(timezone.now().timestamp() // 3600)
    _account_email(
        user=user,
        template="account_exists",
        key=f"accounts:exists:{reason}:{user.pk}:{hour}",  # at most one notice an hour
        reason=reason,
        login_url=_url("ACCOUNTS_LOGIN_URL", "/login"),
        reset_url=_url("ACCOUNTS_PASSWORD_RESET_URL", "/reset-password"),
    )


def user_register(*, email: str, password: str, display_name: str = "") -> User | None:
    """Create an account (usable at once, unverified) and send the verification link.

    For an address that already has an account, nothing changes and its owner gets a notice instead. Returns the
    new user, or None for an existing address; callers must answer both the same way.
    """
    email = _email_normalize(email)
    display_name = (display_name or "").strip()[:80]
    _password_validate(password=password, user=User(email=email, display_name=display_name))
    existing = user_get_by_email(email=email)
    if existing is None:
        try:
            with transaction.atomic():
                user = User.objects.create_user(email=email, password=password, display_name=display_name)
        except IntegrityError:  # a concurrent registration won the race
            existing = user_get_by_email(email=email)
        else:
            email_verification_send(user=user)
            return user
    make_password(password)  # spend the same hashing time as a real registration
    if existing is not None:
        _address_in_use_notice(user=existing, reason="register")
    return None


def user_email_verify(*, token: str) -> User:
    """Mark the address in `token` verified (or switch to the pending new address). A token works once."""
    invalid = ApplicationError(
        "This verification link is invalid or has expired.", code=Code.TOKEN_INVALID, field="token"
    )
    claim = tokens.email_verify_token_read(token)
    if claim is None:
        raise invalid
    with transaction.atomic():
        user = User.objects.select_for_update().filter(pk=claim.user_id, is_active=True).first()
        if user is None or not tokens.email_verify_claim_matches(claim=claim, user=user):
            raise invalid
        if claim.email == user.email.lower():
            user.email_verified_at = timezone.now()
            user.save(update_fields=["email_verified_at"])
            return user
        if claim.email != user.pending_email.lower():
            raise invalid
        if user_email_taken(email=claim.email, exclude_user_id=user.pk):
            raise Conflict("This address is already used by another account.", code="email_taken", field="token")
        old_email = user.email
        user.email, user.pending_email, user.email_verified_at = claim.email, "", timezone.now()
        user.save(update_fields=["email", "pending_email", "email_verified_at"])
        _account_email(
            user=user,
            to=old_email,
            template="account_email_changed",
            key=f"accounts:email-changed:{user.pk}:{int(user.email_verified_at.timestamp())}",
            new_email=user.email,
        )
    return user


def email_verification_resend(*, user: User) -> None:
    if user.email_verified_at is None:
        email_verification_send(user=user)
    if user.pending_email:
        email_verification_send(user=user, email=user.pending_email)


# --- sign-in ---------------------------------------------------------------------------------------------------


def user_authenticate(*, email: str, password: str, ip: str, request=None) -> User:
    """Check credentials under the brute-force lockout. Raises LoginLocked (429) or invalid credentials (401).

    A locked address is refused before its password is checked, so the right password does not help.
    """
    email = (email or "").strip().lower()
    lock = throttling.login_lock_get(email=email, ip=ip)
    if lock is not None:
        raise LoginLocked(lock.retry_after)
    user = authenticate(request, username=email, password=password or "")
    if user is None:
        lock = throttling.login_failure_record(email=email, ip=ip)
        if lock is not None:
            raise LoginLocked(lock.retry_after)
        raise ApplicationError("Email or password is incorrect.", code=Code.INVALID_CREDENTIALS, status=401)
    throttling.login_success_record(email=email)
    return user


@dataclass(frozen=True)
class TokenPair:
    access: str
    refresh: str


def token_pair_issue(*, user: User) -> TokenPair:
    from rest_framework_simplejwt.tokens import RefreshToken

    refresh = RefreshToken.for_user(user)
    if settings.SIMPLE_JWT.get("UPDATE_LAST_LOGIN"):
        User.objects.filter(pk=user.pk).update(last_login=timezone.now())
    return TokenPair(access=str(refresh.access_token), refresh=str(refresh))


def _token_invalid() -> ApplicationError:
    return ApplicationError(
        "Token is invalid, expired or revoked.", code=Code.TOKEN_INVALID, field="refresh", status=401
    )


def token_refresh(*, refresh: str) -> TokenPair:
    """Rotate a refresh token: the old one is blacklisted, so presenting it again is refused.

    Every way simplejwt's serializer refuses a token is one answer (401 token_invalid): TokenError (malformed,
    expired, wrong type, blacklisted), AuthenticationFailed (InvalidToken; an inactive user), ValidationError (an
    empty token) and User.DoesNotExist (the token of a deleted user, which the serializer looks up with `get`)."""
    from rest_framework.exceptions import AuthenticationFailed, ValidationError
    from rest_framework_simplejwt.exceptions import TokenError
    from rest_framework_simplejwt.serializers import TokenRefreshSerializer

    serializer = TokenRefreshSerializer(data={"refresh": refresh or ""})
    try:
        serializer.is_valid(raise_exception=True)
    except (TokenError, AuthenticationFailed, ValidationError, User.DoesNotExist) as exc:
        raise _token_invalid() from exc
    data = serializer.validated_data
    return TokenPair(access=data["access"], refresh=data.get("refresh", refresh))


def token_revoke(*, refresh: str) -> None:
    """Blacklist one refresh token (logout). An invalid or already revoked token is refused."""
    from rest_framework_simplejwt.exceptions import TokenError
    from rest_framework_simplejwt.tokens import RefreshToken

    try:
        RefreshToken(refresh or "").blacklist()
    except TokenError as exc:
        raise _token_invalid() from exc


# --- password reset --------------------------------------------------------------------------------------------


def password_reset_request(*, email: str) -> None:
    """Ask for a reset link for `email`: the same answer, and the same work on the request path, whether or not an
    account has this address. The lookup and the email happen in the `accounts.password_reset_send` task, so the
    answer's timing says nothing about the address either (only the embedded default, whose Celery runs tasks
    in-process, still does the work inline). If the broker is down the work is done inline rather than lost."""
    from .tasks import password_reset_send_task

    address = (email or "").strip()
    minute = int(timezone.now().timestamp() // 60)  # of the request: a retried task keeps the same outbox key

    def enqueue():
        try:
            password_reset_send_task.delay(address, minute)
        except Exception:  # a broker outage must not lose the reset
            logger.exception("Could not enqueue a password reset; sending inline")
            password_reset_send(email=address, minute=minute)

    transaction.on_commit(enqueue)


def password_reset_send(*, email: str, minute: int | None = None) -> bool:
    """Email a reset link if an active account with a usable password has this address; otherwise do nothing.
    At most one email per account and `minute` (the minute of the request, in the outbox key), so a task retried
    or redelivered later does not send a second one."""
    user = user_get_by_email(email=(email or "").strip())
    if user is None or not user.is_active or not user.has_usable_password():
        return False
    uid, token = tokens.password_reset_token_make(user=user)
    if minute is None:
        minute = int(timezone.now().timestamp() // 60)
    _account_email(
        user=user,
        template="account_password_reset",
        key=f"accounts:password-reset:{user.pk}:{minute}",  # at most one a minute per account
        uid=uid,
        token=token,
        reset_url=f"{_url('ACCOUNTS_PASSWORD_RESET_URL', '/reset-password')}?uid={uid}&token={token}",
    )
    return True


def password_reset_confirm(*, uid: str, token: str, new_password: str) -> User:
    """Set a new password with a reset token. The token stops working once the password has changed."""
    invalid = ApplicationError("This reset link is invalid or has expired.", code=Code.TOKEN_INVALID, field="token")
    user_id = tokens.password_reset_uid_read(uid or "")
    user = User.objects.filter(pk=user_id, is_active=True).first() if user_id else None
    if user is None or not tokens.password_reset_token_check(user=user, token=token):
        raise invalid
    _password_validate(password=new_password, user=user, field="new_password")
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        if not tokens.password_reset_token_check(user=user, token=token):  # a concurrent reset used it
            raise invalid
        user.set_password(new_password)
        fields = ["password"]
        if user.email_verified_at is None:  # the reset link proved control of the address
            user.email_verified_at = timezone.now()
            fields.append("email_verified_at")
        user.save(update_fields=fields)
        _refresh_tokens_revoke(user=user)
    throttling.login_lock_clear(email=user.email)
    return user


# --- profile ---------------------------------------------------------------------------------------------------


def user_profile_update(
    *,
    user: User,
    display_name: str | None = None,
    email: str | None = None,
    current_password: str | None = None,
    newsletter: bool | None = None,
    notify_replies: bool | None = None,
) -> User:
    """Change the reader's own profile. A new address needs the current password and is verified before use:
    it waits in `pending_email` and replaces `email` when the link sent to it is followed.
    """
    fields: list[str] = []
    if display_name is not None:
        user.display_name = display_name.strip()[:80]
        fields.append("display_name")
    if newsletter is not None:
        user.newsletter = bool(newsletter)
        fields.append("newsletter")
    if notify_replies is not None:
        user.notify_replies = bool(notify_replies)
        fields.append("notify_replies")
    new_email = None
    if email is not None:
        new_email = _email_normalize(email)
        if new_email == user.email.lower():
            if user.pending_email:
                user.pending_email = ""
                fields.append("pending_email")
            new_email = None
        else:
            if not current_password or not user.check_password(current_password):
                raise ApplicationError(
                    "Your current password is needed to change the email address.",
                    code=Code.PASSWORD_INCORRECT,
                    field="current_password",
                )
            if user_email_taken(email=new_email, exclude_user_id=user.pk):
                # Do not tell the requester; tell the address's owner.
                _address_in_use_notice(user=user_get_by_email(email=new_email), reason="email_change")
                new_email = None
            else:
                user.pending_email = new_email
                fields.append("pending_email")
    if fields:
        user.save(update_fields=fields)
    if new_email:
        email_verification_send(user=user, email=new_email)
    return user


def user_delete(*, user: User, password: str) -> None:
    """Close the reader's account after checking the password. Comments stay, shown as from a deleted reader.

    A subscription that would still bill must be cancelled first.
    """
    if not password or not user.check_password(password):
        raise ApplicationError("Password is incorrect.", code=Code.PASSWORD_INCORRECT, field="password")
    subscriptions = getattr(user, "subscriptions", None)
    if subscriptions is not None and (
        subscriptions.filter(
            status__in=("trialing", "active", "past_due"), cancel_at_period_end=False, is_comp=False
        ).exists()
    ):
        raise Conflict("Cancel your subscription before closing the account.", code=Code.SUBSCRIPTION_LIVE, field=None)
    with transaction.atomic():
        _refresh_tokens_revoke(user=user)
        user.delete()


def user_email_mark_verified(*, user: User) -> User:
    """Staff action: mark the address verified (idempotent)."""
    if user.email_verified_at is None:
        user.email_verified_at = timezone.now()
        user.save(update_fields=["email_verified_at"])
    return user


# --- API keys --------------------------------------------------------------------------------------------------


def api_key_create(*, name: str, created_by=None, scopes=()) -> tuple[ApiKey, str]:
    """Create a key and return it with its raw value, which is never stored and cannot be shown again. `scopes`:
    rights beyond reading content (API_KEY_SCOPES, e.g. "analytics"); none by default."""
    name = (name or "").strip()
    if not name:
        raise ApplicationError("Name the key after the frontend that uses it.", code="required", field="name")
    unknown = sorted(set(scopes) - set(API_KEY_SCOPES))
    if unknown:
        raise ApplicationError(f"Unknown scope {unknown[0]!r}.", code="invalid", field="scopes")
    for _ in range(5):
        prefix = secrets.token_hex(4)
        raw = f"{API_KEY_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
        try:
            with transaction.atomic():
                key = ApiKey.objects.create(
                    name=name[:100],
                    prefix=prefix,
                    key_hash=api_key_hash(raw),
                    created_by=created_by,
                    scopes=sorted(set(scopes)),
                )
        except IntegrityError:
            continue
        return key, raw
    raise ApplicationError("Could not generate a unique key; try again.", code="conflict")  # pragma: no cover


def api_key_revoke(*, key: ApiKey) -> ApiKey:
    """Revoke a key (idempotent: a revoked key keeps its first revocation time)."""
    ApiKey.objects.filter(pk=key.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    key.refresh_from_db(fields=["revoked_at"])
    return key


def api_key_touch(*, key: ApiKey, every_seconds: int = 60) -> None:
    """Record use, at most one write per key a minute."""
    now = timezone.now()
    if key.last_used_at is not None and (now - key.last_used_at).total_seconds() < every_seconds:
        return
    ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
    key.last_used_at = now
