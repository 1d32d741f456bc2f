"""Ghost's error envelope: `{"errors": [{message, context, type, details, property, help, code, id, ghostErrorCode}]}`.

Errors are raised once as `GhostError` (or a subclass named after Ghost's error type) and rendered here; the
views map every other failure they expect (bad ids, unknown order fields, filters that do not parse) to one of them.
"""

from __future__ import annotations

import uuid

from django.http import JsonResponse


class GhostError(Exception):
    type = "InternalServerError"
    status = 500
    default_message = "The server has encountered an error."

    def __init__(
        self,
        message: str | None = None,
        *,
        context: str | None = None,
        code: str | None = None,
        prop: str | None = None,
    ):
        super().__init__(message or self.default_message)
        self.message = message or self.default_message
        self.context = context
        self.code = code
        self.property = prop

    def as_dict(self) -> dict:
        return {
            "message": self.message,
            "context": self.context,
            "type": self.type,
            "details": None,
            "property": self.property,
            "help": None,
            "code": self.code,
            "id": str(uuid.uuid4()),
            "ghostErrorCode": None,
        }


class NotFoundError(GhostError):
    type = "NotFoundError"
    status = 404
    default_message = "Resource not found error, cannot read resource."


class TooManyRequestsError(GhostError):
    type = "TooManyRequestsError"
    status = 429
    default_message = "Too many requests."

    def __init__(self, message: str | None = None, *, retry_after: int, **kwargs):
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class BadRequestError(GhostError):
    type = "BadRequestError"
    status = 400
    default_message = "The request could not be understood."


class ValidationError(GhostError):
    type = "ValidationError"
    status = 422
    default_message = "The request failed validation."


class NoPermissionError(GhostError):
    type = "NoPermissionError"
    status = 403
    default_message = "You do not have permission to perform this request."


class UnauthorizedError(GhostError):
    type = "UnauthorizedError"
    status = 401
    default_message = "Unknown Content API Key"


class MethodNotAllowedError(GhostError):
    type = "MethodNotAllowedError"
    status = 405
    default_message = "Method not allowed for resource."


def error_response(error: GhostError) -> JsonResponse:
    response = JsonResponse({"errors": [error.as_dict()]}, status=error.status)
    response["Cache-Control"] = "no-cache, private, no-store, must-revalidate, max-stale=0, post-check=0, pre-check=0"
    return response
