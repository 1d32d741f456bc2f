"""The comments app's error codes: one enum, the strings clients see in `code` (REST) and `errors[].code` /
`extensions.code` (GraphQL)."""

from __future__ import annotations

from enum import StrEnum

from cms.core.exceptions import ApplicationError


class CommentErrorCode(StrEnum):
    LOGIN_REQUIRED = "login_required"
    SUBSCRIPTION_REQUIRED = "subscription_required"
    EMAIL_UNVERIFIED = "email_unverified"
    ARTICLE_LOCKED = "article_locked"
    BANNED = "banned"
    RATE_LIMITED = "rate_limited"
    NOT_AUTHOR = "not_author"
    EDIT_WINDOW_CLOSED = "edit_window_closed"
    NOT_EDITABLE = "not_editable"
    OWN_COMMENT = "own_comment"
    NOT_FOUND = "not_found"
    REQUIRED = "required"
    TOO_LONG = "too_long"
    INVALID = "invalid"


def whole_number_parse(value, *, field: str, message: str) -> int | None:
    """`value` as an int (None when empty); an `invalid` error naming `field` when it is not a whole number."""
    if value in (None, ""):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ApplicationError(message, code=CommentErrorCode.INVALID, field=field) from None
