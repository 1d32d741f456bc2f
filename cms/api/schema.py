"""OpenAPI generation (drf-spectacular): the error answers DRF itself gives, documented on every operation that can
meet them, so clients (and the schemathesis fuzzing in tests/test_schemathesis.py) find every status in the schema.

Views document their own domain errors with `extend_schema(responses=...)`; this adds, when a view has not already
documented the code, the framework's errors in the one error shape (`ErrorOutputSerializer`):

- 400 and 415 for operations with a request body (malformed JSON, invalid fields; a body that is not JSON);
- 401 for operations that read a Bearer token or an X-Api-Key (bad or expired), or require a reader;
- 403 for unsafe methods of views accepting the session cookie (Django's CSRF check);
- 429 for throttled views (anon/user/API-key rates and the views' own scopes), with `Retry-After`.
"""

from __future__ import annotations

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse
from rest_framework.authentication import SessionAuthentication
from rest_framework.permissions import IsAuthenticated

from cms.api.serializers import error_response_doc as _error

UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


class MastheadAutoSchema(AutoSchema):
    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        responses = operation.setdefault("responses", {})
        for code, response in self._framework_errors(has_body="requestBody" in operation).items():
            if str(code) not in responses:
                responses[str(code)] = self._get_response_for_code(response, str(code))
        return operation

    def _get_request_body(self, direction="request"):
        """drf-spectacular drops DELETE bodies; DELETE /me/ needs one (`{"password"}`), so document those declared with
        `extend_schema(request=...)` (an APIView without one has no serializer to guess)."""
        if self.method != "DELETE":
            return super()._get_request_body(direction)
        if self.get_request_serializer() is None:
            return None
        self.method = "PUT"  # only the method check differs (PATCH would make every field optional)
        try:
            return super()._get_request_body(direction)
        finally:
            self.method = "DELETE"

    def _get_serializer(self):
        if self.method == "DELETE" and not hasattr(self.view, "get_serializer"):
            return None  # an APIView's DELETE without a declared body: nothing to guess
        return super()._get_serializer()

    def _framework_errors(self, *, has_body: bool) -> dict[int, OpenApiResponse]:
        view = self.view
        errors: dict[int, OpenApiResponse] = {}
        if has_body:
            errors[400] = _error("Malformed JSON (`parse_error`) or invalid fields (`validation_error`).")
            errors[415] = _error("The body is not `application/json` (`unsupported_media_type`).")
        authenticators = list(getattr(view, "authentication_classes", ()))
        requires_reader = any(
            isinstance(p, type) and issubclass(p, IsAuthenticated) for p in getattr(view, "permission_classes", ())
        )
        if requires_reader or any(not issubclass(a, SessionAuthentication) for a in authenticators):
            errors[401] = _error(
                "Invalid credentials (`authentication_failed`) or not signed in (`not_authenticated`)."
            )
        if self.method in UNSAFE_METHODS and any(issubclass(a, SessionAuthentication) for a in authenticators):
            errors[403] = _error("A cookie session without the CSRF token (`permission_denied`).")
        if getattr(view, "throttle_classes", ()):
            errors[429] = _error("Too many requests (`throttled`); retry after `Retry-After` seconds.")
        return errors
