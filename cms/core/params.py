"""Query-string hygiene shared by the HTTP edges (REST, the Ghost Content API)."""

from __future__ import annotations

from urllib.parse import unquote_to_bytes

from cms.core.errors import ErrorCode
from cms.core.exceptions import ApplicationError


def query_string_check_utf8(request) -> None:
    """Django silently replaces undecodable bytes in the query string with U+FFFD; a client sending non-UTF-8 gets
    a 400 naming the parameter instead of results for a mangled value."""
    raw = request.META.get("QUERY_STRING", "")
    if not raw:
        return
    for pair in raw.split("&"):
        name, _, value = pair.partition("=")
        for part in (name, value):
            try:
                unquote_to_bytes(part.replace("+", " ")).decode("utf-8")
            except UnicodeDecodeError:
                field = unquote_to_bytes(name).decode("utf-8", "replace") or None
                raise ApplicationError(
                    "Query parameters must be UTF-8.", code=ErrorCode.INVALID_ENCODING, field=field
                ) from None
