"""Ghost's error envelope: `{"errors": [{message, context, type, details, property, help, code, id, ghostErrorCode}]}`.

Errors are raised once as `GhostError` (or a subclass named after Ghost's error type) and rendered here; the
views map every other failure they expect (bad ids, unknown order fields, filters that do not parse) to one of them.
"""

from __future__ import annotations

import uuid

from django.http import JsonResponse


class GhostError(Exception):
    """Ghost's base error; each subclass is named after Ghost's error type and declares its status and message:
    `class NotFoundError(GhostError, status=404, message="...")`."""

    type = "InternalServerError"
    status = 500
    default_message = "The server has encountered an error."

    def __init_subclass__(cls, *, status: int, message: str, **kwargs):
        super().__init_subclass__(**kwargs)
        cls.type = cls.__name__
        cls.status = status
        cls.default_message = message

    def __init__(
        self,
        message: str | None = None,
        *,
        context: str | None = None,
        code: str | None = None,
        prop: str | None = None,
    ):
        self.message = message or self.default_message
        super().__init__(self.message)
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


class NotFoundError(GhostError, status=404, message="Resource not found error, cannot read resource."):
    pass


class TooManyRequestsError(GhostError, status=429, message="Too many requests."):
    def __init__(self, message: str | None = None, *, retry_after: int, **kwargs):
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class BadRequestError(GhostError, status=400, message="The request could not be understood."):
    pass


class ValidationError(GhostError, status=422, message="The request failed validation."):
    pass


class NoPermissionError(GhostError, status=403, message="You do not have permission to perform this request."):
    pass


class UnauthorizedError(GhostError, status=401, message="Unknown Content API Key"):
    pass


class MethodNotAllowedError(GhostError, status=405, message="Method not allowed for resource."):
    pass


def error_response(error: GhostError) -> JsonResponse:
    response = JsonResponse({"errors": [error.as_dict()]}, status=error.status)
    response["Cache-Control"] = "no-cache, private, no-store, must-revalidate, max-stale=0, post-check=0, pre-check=0"
    return response
