"""The reader behind a Ghost request: `Authorization: GhostMembers <jwt>` (what `@tryghost/content-api` sends when
given a member token) or `Bearer <jwt>` carries a Masthead access token, checked by the REST API's JWT
authentication; otherwise the anonymous reader of `X-Reader-Token` (or the `mh_reader` cookie), exactly as on
`/api/v1/` (`paywall.readers`)."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from rest_framework.exceptions import AuthenticationFailed
from rest_framework_simplejwt.exceptions import InvalidToken, TokenError

from accounts.backends import JWTAuthentication
from paywall.readers import HEADER_NAME, Reader, reader_resolve

from .errors import UnauthorizedError

SCHEMES = ("ghostmembers", "bearer")


def _member_token(request) -> str | None:
    """The raw token of a `GhostMembers` or `Bearer` Authorization header ("" when the scheme has no token); None
    for no header or another scheme (e.g. Basic to a proxy in front), which names no reader."""
    scheme, _, raw = request.headers.get("Authorization", "").strip().partition(" ")
    if scheme.lower() not in SCHEMES:
        return None
    return raw.strip()


def reader_identified(request) -> bool:
    """Does the request name a reader (so that its answer depends on who asks)?"""
    return _member_token(request) is not None or bool(request.headers.get(HEADER_NAME))


def _member(request):
    raw = _member_token(request)
    if raw is None:
        return None
    if not raw or len(raw) > 4096:
        raise UnauthorizedError("Unknown member token.", code="INVALID_MEMBER_TOKEN")
    auth = JWTAuthentication()
    try:
        token = auth.get_validated_token(raw.encode())
        return auth.get_user(token)
    except (InvalidToken, TokenError, AuthenticationFailed):
        raise UnauthorizedError("Invalid or expired member token.", code="INVALID_MEMBER_TOKEN") from None


def ghost_reader(request, *, issue: bool) -> Reader:
    """The reader for the paywall. A session cookie never signs a reader in here: only the member token does."""
    user = _member(request)
    request.user = user if user is not None else AnonymousUser()
    return reader_resolve(request, issue=issue)
