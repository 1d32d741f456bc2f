"""Who is reading: a signed-in user, or an anonymous reader identified by a server-issued, signed opaque id.

The anonymous id travels as the `X-Reader-Token` header (mobile apps) or the HttpOnly `mh_reader` cookie (browsers).
A missing, expired or tampered token is never trusted: a fresh id is issued instead. Only reader-dependent
responses (article detail, meter, me, comments) call `reader_resolve`.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from django.conf import settings
from django.core import signing

from accounts.addresses import client_ip

COOKIE_NAME = "mh_reader"
HEADER_NAME = "X-Reader-Token"
REFERRER_HEADER = "X-Client-Referrer"
_SALT = "masthead.paywall.reader"
UTM_FIELDS = ("utm_source", "utm_medium", "utm_campaign")


@dataclass(frozen=True)
class Touch:
    """Where a detail request came from, as the frontend says: the `utm_*` query parameters and the referrer's
    host (`referrer` query parameter or `X-Client-Referrer` header, a URL or a bare host). Only the host is kept."""

    utm_source: str = ""
    utm_medium: str = ""
    utm_campaign: str = ""
    referrer_host: str = ""


def _printable(value: str, length: int) -> str:
    """What a client sent, stripped of characters no text column takes (PostgreSQL refuses NUL: one such value would
    fail the whole buffered batch of other readers' events) and cut to the column's length."""
    return "".join(ch for ch in (value or "") if ch.isprintable()).strip()[:length]


def _host_of(value: str) -> str:
    value = _printable(value, 2000)
    if not value:
        return ""
    if "//" not in value:
        value = "//" + value
    try:
        host = urlsplit(value).hostname or ""
    except ValueError:
        return ""
    return _printable(host, 255)


def touch_from_request(request) -> Touch:
    params = getattr(request, "GET", {})
    utm = {name: _printable(params.get(name), 100) for name in UTM_FIELDS}
    referrer = params.get("referrer") or request.headers.get(REFERRER_HEADER, "")
    if not any(utm.values()) and not referrer:
        return _NO_TOUCH
    return Touch(**utm, referrer_host=_host_of(referrer))


_NO_TOUCH = Touch()


@dataclass(frozen=True)
class Reader:
    """The subject of a paywall decision. `user` is None for anonymous readers. `client_ip`: the request's client
    address by the trusted-proxy rule, which a group's networks may let in (`group_network_for`); it takes part in
    equality, so a reader resolved from a request is never the anonymous `Reader()` whose answers are cached
    publicly."""

    user: object | None = None
    anon_id: str | None = None
    client_ip: str | None = None
    new_token: str | None = field(default=None, compare=False)
    touch: Touch = field(default=_NO_TOUCH, compare=False)

    @property
    def key(self) -> str:
        """The meter key: `u:<user id>` or `a:<anonymous id>`."""
        if self.user is not None:
            return f"u:{self.user.pk}"
        return f"a:{self.anon_id}"


def reader_token_issue() -> tuple[str, str]:
    anon_id = secrets.token_hex(16)
    return anon_id, signing.dumps(anon_id, salt=_SALT, compress=False)


def reader_token_read(token: str | None) -> str | None:
    """The anonymous id inside a valid token, or None for a missing, expired or tampered one."""
    if not token or len(token) > 200:
        return None
    try:
        value = signing.loads(token, salt=_SALT, max_age=settings.PAYWALL_READER_TOKEN_MAX_AGE_DAYS * 86400)
    except signing.BadSignature:
        return None
    if not isinstance(value, str) or len(value) != 32:
        return None
    return value


def reader_token_from_request(request) -> str | None:
    return request.headers.get(HEADER_NAME) or request.COOKIES.get(COOKIE_NAME)


def reader_resolve(request, *, issue: bool = True) -> Reader:
    """The reader behind a request. An anonymous request without a valid token gets a new id (`new_token` set)."""
    user = getattr(request, "user", None)
    touch = touch_from_request(request)
    ip = client_ip(request)  # by the throttles' trusted-proxy rule (accounts.addresses)
    if user is not None and user.is_authenticated:
        return Reader(user=user, touch=touch, client_ip=ip)
    anon_id = reader_token_read(reader_token_from_request(request))
    if anon_id:
        return Reader(anon_id=anon_id, touch=touch, client_ip=ip)
    if not issue:
        return Reader(anon_id=None, touch=touch, client_ip=ip)
    anon_id, token = reader_token_issue()
    return Reader(anon_id=anon_id, new_token=token, touch=touch, client_ip=ip)


def reader_token_attach(response, reader: Reader):
    """Send a newly issued anonymous token back as header and HttpOnly cookie; mark the response private."""
    if reader.new_token:
        response[HEADER_NAME] = reader.new_token
        response.set_cookie(
            COOKIE_NAME,
            reader.new_token,
            max_age=settings.PAYWALL_READER_TOKEN_MAX_AGE_DAYS * 86400,
            httponly=True,
            secure=settings.SESSION_COOKIE_SECURE,
            samesite="Lax",
        )
    response["Cache-Control"] = "private, no-store"
    vary = response.get("Vary")
    existing = [v.strip() for v in vary.split(",")] if vary else []
    response["Vary"] = ", ".join(dict.fromkeys([*existing, "Cookie", "Authorization", HEADER_NAME]))
    return response
