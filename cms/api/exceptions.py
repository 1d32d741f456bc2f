"""One JSON error shape for every REST error:

    {"code": "validation_error", "message": "page_size: Must be a positive integer.",
     "errors": [{"field": "page_size", "code": "invalid", "message": "Must be a positive integer."}]}

`errors` items use the same `{field, code, message}` triple as GraphQL error payloads.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from cms.core.errors import ErrorCode
from cms.core.exceptions import ApplicationError


def _flatten(detail, field: str | None = None) -> list[dict]:
    items: list[dict] = []
    if isinstance(detail, dict):
        for key, value in detail.items():
            name = key if key != "non_field_errors" else None
            prefix = f"{field}.{name}" if field and name else (name or field)
            items.extend(_flatten(value, prefix))
    elif isinstance(detail, list):
        for value in detail:
            items.extend(_flatten(value, field))
    else:
        code = getattr(detail, "code", ErrorCode.INVALID)
        items.append({"field": field, "code": code, "message": str(detail)})
    return items


def error_response(*, code: str, message: str, errors: list[dict], status_code: int, headers=None) -> Response:
    return Response({"code": code, "message": message, "errors": errors}, status=status_code, headers=headers)


def exception_handler(exc, context):
    if isinstance(exc, ApplicationError):
        errors = [{"field": exc.field, "code": exc.code, "message": exc.message}]
        retry_after = exc.extra.get("retry_after") if exc.status_code == status.HTTP_429_TOO_MANY_REQUESTS else None
        headers = {"Retry-After": str(retry_after)} if retry_after is not None else None  # as every throttle's 429
        response = error_response(
            code=exc.code, message=exc.message, errors=errors, status_code=exc.status_code, headers=headers
        )
        response.data.update(exc.extra)
        return response
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(detail=exc.message_dict if hasattr(exc, "error_dict") else exc.messages)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, (OperationalError, InterfaceError)):
        return error_response(
            code=ErrorCode.UNAVAILABLE,
            message="Service temporarily unavailable, retry shortly.",
            errors=[],
            status_code=status.HTTP_503_SERVICE_UNAVAILABLE,
            headers={"Retry-After": "5"},
        )
    elif isinstance(exc, DatabaseError):
        return None

    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        errors = _flatten(exc.detail)
        first = errors[0] if errors else {"field": None, "message": "Invalid input."}
        message = f"{first['field']}: {first['message']}" if first.get("field") else first["message"]
        response.data = {"code": ErrorCode.VALIDATION_ERROR, "message": message, "errors": errors}
    else:
        detail = exc.detail if isinstance(exc, exceptions.APIException) else str(exc)
        code = getattr(detail, "code", None) or getattr(exc, "default_code", "error")
        response.data = {"code": code, "message": str(detail), "errors": []}
        if isinstance(exc, exceptions.Throttled) and exc.wait is not None:
            response.data["retry_after"] = int(exc.wait)
    return response
