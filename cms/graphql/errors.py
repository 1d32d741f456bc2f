"""GraphQL error shapes: every error the endpoint answers carries `extensions.code` (and `field` when one input is at
fault), domain errors raised in resolvers (`ApplicationError`, Django's `ValidationError`/`PermissionDenied`) are
mapped here once, and unexpected exceptions never show their text to the client when DEBUG is off.
"""

from __future__ import annotations

import logging
import re

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import InterfaceError, OperationalError
from graphene.utils.str_converters import to_camel_case
from graphql import GraphQLError

from cms.core.errors import ErrorCode as Code  # cms's one enum of error codes, `Code` in the GraphQL endpoint
from cms.core.exceptions import ApplicationError

logger = logging.getLogger("cms.graphql")


# Errors from resolvers that mean "your request is wrong" rather than "this field failed": answered with HTTP 400
# (with the partial `data`): the codes of bad arguments, the same that REST answers with 400 ("unknown_slug" is the
# articles selectors' unknown section/tag/author).
BAD_REQUEST_CODES = frozenset(
    {
        Code.FIRST_REQUIRED,
        Code.FIRST_OUT_OF_RANGE,
        Code.INVALID,
        Code.INVALID_CURSOR,
        "unknown_slug",
        # search: `order` (articles), `q` (searchSuggest); the codes REST's serializers give for the same input
        "invalid_choice",
        "blank",
        "max_length",
    }
)

_SUGGESTION_RE = re.compile(r"\s*Did you mean [^?]*\?")


def graphql_error(message: str, *, code: str, field: str | None = None, **extensions) -> GraphQLError:
    """A GraphQLError with `extensions.code` (and `field`). Raise it from resolvers for request-shaped problems."""
    ext = {"code": code, **extensions}
    if field is not None:
        ext["field"] = field
    return GraphQLError(message, extensions=ext)


def error_dict(message: str, *, code: str, field: str | None = None) -> dict:
    """A formatted error for responses built outside graphql-core (bad body, size cap, CSRF)."""
    ext = {"code": code}
    if field is not None:
        ext["field"] = field
    return {"message": message, "extensions": ext}


def strip_suggestions(message: str) -> str:
    """'Cannot query field 'nme' on type 'X'. Did you mean 'name'?' -> 'Cannot query field 'nme' on type 'X'.'"""
    return _SUGGESTION_RE.sub("", message)


def _validation_error_items(exc: DjangoValidationError) -> list[tuple[str | None, str, str]]:
    items: list[tuple[str | None, str, str]] = []
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            for error in errors:
                items.append((None if field == "__all__" else field, error.code or Code.INVALID, _message_of(error)))
    else:
        for error in exc.error_list:
            items.append((None, error.code or Code.INVALID, _message_of(error)))
    return items


def _message_of(error: DjangoValidationError) -> str:
    message = error.message
    if error.params:
        message = message % error.params
    return str(message)


def errors_from_exception(exc: Exception) -> list[dict] | None:
    """`[{field, code, message}]` for a domain exception, or None if it is not one (then it is a bug: re-raise)."""
    if isinstance(exc, ApplicationError):
        return [{"field": exc.field, "code": exc.code, "message": exc.message}]
    if isinstance(exc, DjangoValidationError):
        return [{"field": f, "code": c, "message": m} for f, c, m in _validation_error_items(exc)]
    if isinstance(exc, DjangoPermissionDenied):
        return [{"field": None, "code": Code.PERMISSION_DENIED, "message": "You do not have permission to do this."}]
    return None


def format_error(error: Exception) -> dict:
    """The JSON of one error in the response's `errors` list."""
    debug = settings.DEBUG
    if not isinstance(error, GraphQLError):
        logger.error("GraphQL request failed", exc_info=error)
        return error_dict(str(error) if debug else "Internal server error.", code=Code.INTERNAL)

    formatted = dict(error.formatted)
    extensions = dict(formatted.get("extensions") or {})
    original = error.original_error
    if original is not None and not isinstance(original, GraphQLError):
        items = errors_from_exception(original)
        if items is not None:
            first = items[0]
            formatted["message"] = first["message"]
            extensions.setdefault("code", first["code"])
            extensions.setdefault("field", to_camel_case(first["field"]) if first["field"] else None)
            if isinstance(original, ApplicationError) and original.extra:
                extensions.update({k: v for k, v in original.extra.items() if k not in extensions})
        elif isinstance(original, (OperationalError, InterfaceError)):
            logger.warning("GraphQL resolver at %s: database unavailable: %s", error.path, original)
            formatted["message"] = "Service temporarily unavailable, retry shortly."
            extensions.setdefault("code", Code.UNAVAILABLE)
        else:
            logger.error("GraphQL resolver failed at %s", error.path, exc_info=original)
            if not debug:
                formatted["message"] = "Internal server error."
            extensions.setdefault("code", Code.INTERNAL)
    elif not extensions.get("code"):
        extensions["code"] = Code.ERROR if error.path else Code.VALIDATION_FAILED
    if not debug:
        formatted["message"] = strip_suggestions(formatted["message"])
    formatted["extensions"] = extensions
    return formatted
