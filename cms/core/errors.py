"""The error codes of the API plumbing in `cms` (both edges: the REST exception handler, keyset pagination, the
GraphQL endpoint), one enum. Apps keep their own (e.g. the paywall's). Values are the strings clients see."""

from __future__ import annotations

from enum import StrEnum


class ErrorCode(StrEnum):
    # a request argument (REST and GraphQL)
    INVALID = "invalid"  # a value the input rules refuse (also ApplicationError's default)
    INVALID_CURSOR = "invalid_cursor"
    INVALID_ENCODING = "invalid_encoding"  # a non-UTF-8 query string
    VALIDATION_ERROR = "validation_error"  # REST: the envelope of field errors
    PERMISSION_DENIED = "permission_denied"
    THROTTLED = "throttled"
    UNAVAILABLE = "unavailable"  # the database is unreachable: 503 with Retry-After
    ERROR = "error"  # a GraphQL execution error without a code of its own
    # the GraphQL endpoint (`extensions.code`)
    INVALID_REQUEST = "invalid_request"  # malformed JSON, non-UTF-8, missing query, bad variables JSON
    BATCH_NOT_SUPPORTED = "batch_not_supported"
    UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type"
    METHOD_NOT_ALLOWED = "method_not_allowed"
    QUERY_TOO_LARGE = "query_too_large"
    PARSE_FAILED = "parse_failed"
    VALIDATION_FAILED = "validation_failed"
    BAD_VARIABLES = "bad_user_input"
    MAX_DEPTH = "max_depth_exceeded"
    MAX_ALIASES = "max_aliases_exceeded"
    SINGLE_OPERATION = "single_operation_only"
    INTROSPECTION_DISABLED = "introspection_disabled"
    FIRST_REQUIRED = "first_required"
    FIRST_OUT_OF_RANGE = "first_out_of_range"
    UNAUTHENTICATED = "unauthenticated"
    CSRF_FAILED = "csrf_failed"
    INTERNAL = "internal_error"
