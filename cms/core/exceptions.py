"""Errors are raised once, here, and mapped twice: by the DRF exception handler and the GraphQL error payload."""

from __future__ import annotations


class ApplicationError(Exception):
    """A domain rule said no. `code` is machine-readable, `field` names the input at fault (if any)."""

    status_code = 400

    def __init__(
        self,
        message: str,
        *,
        code: str = "invalid",
        field: str | None = None,
        status: int | None = None,
        extra: dict | None = None,
    ):
        super().__init__(message)
        self.message = message
        self.code = code
        self.field = field
        self.extra = extra or {}
        if status is not None:
            self.status_code = status


class NotFound(ApplicationError):
    status_code = 404

    def __init__(self, message: str = "Not found.", **kwargs):
        super().__init__(message, code=kwargs.pop("code", "not_found"), **kwargs)


class PermissionDenied(ApplicationError):
    status_code = 403

    def __init__(self, message: str = "You do not have permission to do this.", **kwargs):
        super().__init__(message, code=kwargs.pop("code", "permission_denied"), **kwargs)


class Conflict(ApplicationError):
    status_code = 409

    def __init__(self, message: str, **kwargs):
        super().__init__(message, code=kwargs.pop("code", "conflict"), **kwargs)


class ServiceUnavailable(ApplicationError):
    status_code = 503

    def __init__(self, message: str = "Service temporarily unavailable, retry shortly.", **kwargs):
        super().__init__(message, code=kwargs.pop("code", "unavailable"), **kwargs)
