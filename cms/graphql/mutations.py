"""The base of every mutation: call a service, map domain errors to an `errors: [Error!]!` payload.

Usage (one class per mutation, in `<app>/graphql/mutations.py`):

    class CommentCreate(ServiceMutation):
        class Arguments:
            article_slug = graphene.String(required=True)
            body = graphene.String(required=True)

        comment = graphene.Field(CommentType)

        login_required = True  # anonymous callers get errors=[{code: "unauthenticated"}], the service is not called

        @classmethod
        def perform(cls, root, info, *, article_slug, body):
            comment = comment_create(user=info.context.user, article_slug=article_slug, body=body)
            return {"comment": comment}  # payload fields; `errors` is filled in as []

A service raising `ApplicationError` (or Django's `ValidationError` / `PermissionDenied`) gives
`{"comment": null, "errors": [{"field": "body", "code": "too_long", "message": "..."}]}` with HTTP 200, and the
mutation's transaction is rolled back. Field names are camelCased to match the GraphQL arguments. Any other
exception is a bug and surfaces as a masked top-level error ("Internal server error.").

`throttle_classes = (LoginRateThrottle,)` counts the request against DRF throttles, as on a REST view, before
`perform`: past the rate the answer is `errors: [{code: "throttled"}]` and the service is not called.

`mutation_errors(exc)` and `require_user(info)` are there for mutations that cannot use the base class.
"""

from __future__ import annotations

import graphene
from graphene.utils.str_converters import to_camel_case
from graphene_django.constants import MUTATION_ERRORS_FLAG

from cms.core.errors import ErrorCode
from cms.core.exceptions import ApplicationError

from .errors import Code, errors_from_exception
from .types import ErrorType


class Unauthenticated(ApplicationError):
    status_code = 401

    def __init__(self, message: str = "You must be signed in to do this."):
        super().__init__(message, code=Code.UNAUTHENTICATED)


def require_user(info):
    """The signed-in user (session or bearer token), or raise Unauthenticated."""
    user = getattr(info.context, "user", None)
    if user is None or not user.is_authenticated:
        raise Unauthenticated()
    return user


def mutation_errors(exc: Exception) -> list[dict] | None:
    """`[{field, code, message}]` (fields camelCased) for a domain error, or None for anything else."""
    items = errors_from_exception(exc)
    if items is None:
        return None
    return [{**item, "field": to_camel_case(item["field"]) if item["field"] else None} for item in items]


def _null_character_argument(arguments: dict) -> str | None:
    """The first argument holding a NUL character (in a string, or a list or input object of them), if any."""

    def holds_nul(value) -> bool:
        if isinstance(value, str):
            return "\x00" in value
        if isinstance(value, dict):
            return any(holds_nul(v) for v in value.values())
        if isinstance(value, (list, tuple)):
            return any(holds_nul(v) for v in value)
        return False

    return next((name for name, value in arguments.items() if holds_nul(value)), None)


def reject_null_characters(arguments: dict) -> None:
    """Refuse NUL characters in string arguments, as DRF's CharField does for REST: PostgreSQL text cannot hold them
    (psycopg2 raises ValueError), so they would otherwise surface as an internal error."""
    name = _null_character_argument(arguments)
    if name is not None:
        raise ApplicationError("Null characters are not allowed.", code="null_characters_not_allowed", field=name)


def throttle_check(info, throttle_class) -> None:
    """Count this request against a DRF throttle (`allow_request`/`wait`); over its rate: a 429 ApplicationError
    (code `throttled`, `retry_after` seconds), which the mutation answers as an error payload."""
    throttle = throttle_class()
    if not throttle.allow_request(info.context, None):
        wait = throttle.wait()
        raise ApplicationError(
            "Too many requests. Try again later.",
            code=ErrorCode.THROTTLED,
            status=429,
            extra={"retry_after": int(wait or 60)},
        )


class ServiceMutation(graphene.Mutation):
    """Subclasses define `Arguments`, payload fields and `perform(cls, root, info, **arguments) -> dict`."""

    errors = graphene.List(graphene.NonNull(ErrorType), required=True, description="Empty when the mutation succeeded.")

    login_required = False
    throttle_classes: tuple = ()  # checked in order after the arguments, before `perform`
    rollback_on_error = True

    class Meta:
        abstract = True

    @classmethod
    def perform(cls, root, info, **arguments) -> dict:  # pragma: no cover - abstract
        raise NotImplementedError

    @classmethod
    def mutate(cls, root, info, **arguments):
        try:
            if cls.login_required:
                require_user(info)
            reject_null_characters(arguments)
            for throttle_class in cls.throttle_classes:
                throttle_check(info, throttle_class)
            payload = cls.perform(root, info, **arguments) or {}
        except Exception as exc:
            errors = mutation_errors(exc)
            if errors is None:
                raise
            if cls.rollback_on_error:
                setattr(info.context, MUTATION_ERRORS_FLAG, True)
            return cls(errors=[ErrorType(**e) for e in errors])
        if isinstance(payload, cls):
            if payload.errors is None:
                payload.errors = []
            return payload
        return cls(errors=[], **payload)
