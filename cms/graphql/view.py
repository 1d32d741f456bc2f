"""The /graphql/ endpoint: graphene-django's view with the delivery API's limits and auth around it.

Order of checks on a request (each failure is a GraphQL-shaped JSON error, never a 500):
1. method GET or POST (405); body at most GRAPHQL_MAX_QUERY_BYTES, checked on Content-Length before reading (413);
2. POST bodies must be `application/json` or `application/graphql` (415): cross-site HTML forms cannot send either
   without a CORS preflight, which the CORS allow-list refuses; JSON must be UTF-8, an object, not a batch (400);
3. `Authorization: Bearer <jwt>` authenticates with simplejwt (401 if invalid) and sets `request.user`; the REST
   API's anon/user throttle rates apply (429 with Retry-After);
4. parse (with a token cap), one operation, no mutations over GET (405), Django's CSRF check for mutations of a
   request carrying a session cookie and no bearer token (403);
5. validation: graphql-core's standard rules + depth, aliases, operations, `first`, introspection (when not DEBUG);
6. execution; mutations in one transaction (GRAPHENE["ATOMIC_MUTATIONS"]).
Errors without a path (request, parse, validation, variables) and `first` errors answer HTTP 400.

If a resolver resolved the reader (`cms.graphql.context.request_reader`), a newly issued anonymous token is sent
back and the response is `Cache-Control: private, no-store`; so is any response to an authenticated request.
"""

from __future__ import annotations

import json

from django.conf import settings
from django.db import transaction
from django.http import HttpResponse
from django.middleware.csrf import CsrfViewMiddleware, get_token
from django.views.decorators.csrf import csrf_exempt
from graphene_django.constants import MUTATION_ERRORS_FLAG
from graphene_django.utils.utils import set_rollback
from graphene_django.views import GraphQLView, HttpError
from graphql import (
    DocumentNode,
    ExecutionResult,
    GraphQLError,
    OperationType,
    execute,
    get_operation_ast,
    parse,
    validate_schema,
)
from graphql.validation import validate

from accounts.throttling import AnonRateThrottle, SearchRateThrottle, UserRateThrottle
from cms.core.links import site_base
from paywall.readers import reader_token_attach

from .caching import (
    is_public_operation,
    is_search_operation,
    reader_dependent,
    request_identified,
    response_get,
    response_key,
    response_put,
    validated_documents,
)
from .context import request_reader_used
from .errors import BAD_REQUEST_CODES, Code, error_dict, format_error
from .limits import validation_rules

MAX_TOKENS = 20_000  # a 100 KB document of real queries has far fewer; stops pathological token floods early
JSON_CONTENT_TYPES = {"application/json", "application/graphql"}


class RequestError(Exception):
    """A problem with the HTTP request itself, answered as `{"errors": [...]}` with `status`."""

    def __init__(self, status: int, message: str, code: str, headers: dict | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code
        self.headers = headers or {}


def _json_response(payload: dict, status: int, headers: dict | None = None) -> HttpResponse:
    response = HttpResponse(json.dumps(payload, separators=(",", ":")), status=status, content_type="application/json")
    for key, value in (headers or {}).items():
        response[key] = value
    return response


class _LiveRates:
    def get_rate(self):
        from rest_framework.settings import api_settings

        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)


class _AnonThrottle(_LiveRates, AnonRateThrottle):
    pass


class _UserThrottle(_LiveRates, UserRateThrottle):
    pass


class _SearchThrottle(_LiveRates, SearchRateThrottle):
    def is_search(self, request) -> bool:
        return True  # the view asks only for operations that search (is_search_operation)


def _coded(errors, code: str):
    """Give graphql-core's errors an `extensions.code` for the phase they came from (unless they have one)."""
    for error in errors:
        if not (error.extensions or {}).get("code"):
            error.extensions = {**(error.extensions or {}), "code": code}
    return errors


class MastheadGraphQLView(GraphQLView):
    # graphene-django's page with its assets from our static files (cms/static/vendor/graphiql/), not a CDN
    graphiql_template = "graphql/graphiql.html"

    def __init__(self, **kwargs):
        # graphene-django adds its DjangoDebugMiddleware (cursor instrumentation around every resolver) when DEBUG is
        # on at import time; the endpoint runs without it in every environment.
        kwargs.setdefault("middleware", ())
        super().__init__(**kwargs)
        self.graphiql = settings.DEBUG
        self.batch = False

    # --- request --------------------------------------------------------------------------------------------------

    def dispatch(self, request, *args, **kwargs):
        try:
            response = self._dispatch(request)
        except RequestError as e:
            response = _json_response({"errors": [error_dict(e.message, code=e.code)]}, e.status, e.headers)
        except HttpError as e:  # raised by graphene-django helpers we reuse
            code = Code.METHOD_NOT_ALLOWED if e.response.status_code == 405 else Code.INVALID_REQUEST
            response = e.response
            response["Content-Type"] = "application/json"
            response.content = json.dumps({"errors": [error_dict(e.message, code=code)]})
        return self._finalize(request, response)

    def _dispatch(self, request):
        method = request.method.upper()
        if method not in ("GET", "POST"):
            raise RequestError(
                405, "GraphQL only supports GET and POST requests.", Code.METHOD_NOT_ALLOWED, {"Allow": "GET, POST"}
            )
        self._check_size(request)
        self._authenticate(request)
        self._throttle(request)
        data = self.parse_body(request)
        show_graphiql = self.graphiql and method == "GET" and self.can_display_graphiql(request, data)
        if show_graphiql:
            get_token(request)  # GraphiQL sends the CSRF token back with its mutations
            return self.render_graphiql(request, **self._graphiql_context())
        result, status_code = self.get_response(request, data, show_graphiql)
        response = HttpResponse(status=status_code, content=result, content_type="application/json")
        if status_code == 503:
            response["Retry-After"] = "5"
        return response

    # GraphiQL's files (cms/static/vendor/graphiql/): (package, the view's version attribute, file, its SRI attribute)
    GRAPHIQL_STYLESHEETS = (
        ("graphiql", "graphiql_version", "graphiql.min.css", "graphiql_css_sri"),
        (
            "graphiql-plugin-explorer",
            "graphiql_plugin_explorer_version",
            "style.css",
            "graphiql_plugin_explorer_css_sri",
        ),
    )
    GRAPHIQL_SCRIPTS = (
        ("whatwg-fetch", "whatwg_fetch_version", "fetch.umd.js", "whatwg_fetch_sri"),
        ("react", "react_version", "react.production.min.js", "react_sri"),
        ("react-dom", "react_version", "react-dom.production.min.js", "react_dom_sri"),
        ("graphiql", "graphiql_version", "graphiql.min.js", "graphiql_sri"),
        ("graphql-ws", "subscriptions_transport_ws_version", "graphql-ws.min.js", "subscriptions_transport_ws_sri"),
        (
            "graphiql-plugin-explorer",
            "graphiql_plugin_explorer_version",
            "graphiql-plugin-explorer.umd.js",
            "graphiql_plugin_explorer_sri",
        ),
    )

    def _graphiql_assets(self, table) -> list[dict]:
        return [
            {"path": f"vendor/graphiql/{package}@{getattr(self, version)}/{file}", "sri": getattr(self, sri)}
            for package, version, file, sri in table
        ]

    def _graphiql_context(self) -> dict:
        from graphene_django.settings import graphene_settings

        return {
            "stylesheets": self._graphiql_assets(self.GRAPHIQL_STYLESHEETS),
            "scripts": self._graphiql_assets(self.GRAPHIQL_SCRIPTS),
            "subscription_path": self.subscription_path,
            "graphiql_header_editor_enabled": graphene_settings.GRAPHIQL_HEADER_EDITOR_ENABLED,
            "graphiql_should_persist_headers": graphene_settings.GRAPHIQL_SHOULD_PERSIST_HEADERS,
            "graphiql_input_value_deprecation": graphene_settings.GRAPHIQL_INPUT_VALUE_DEPRECATION,
        }

    def _finalize(self, request, response):
        reader = request_reader_used(request)
        if reader is not None:
            reader_token_attach(response, reader)
        elif getattr(request, "_mh_bearer", False) or (
            getattr(request, "user", None) is not None and request.user.is_authenticated
        ):
            response["Cache-Control"] = "private, no-store"
        user = getattr(request, "user", None)
        if not getattr(request, "_mh_bearer", False) and user is not None and user.is_authenticated:
            get_token(request)  # session clients get the csrftoken cookie their mutations must echo
        return response

    def _check_size(self, request) -> None:
        limit = settings.GRAPHQL_MAX_QUERY_BYTES
        too_large = RequestError(
            413, f"The request is larger than the {limit} byte limit for GraphQL queries.", Code.QUERY_TOO_LARGE
        )
        if request.method == "GET":
            if len(request.META.get("QUERY_STRING", "")) > limit:
                raise too_large
            return
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            raise RequestError(400, "Invalid Content-Length header.", Code.INVALID_REQUEST) from None
        if length > limit:
            raise too_large
        if len(request.body) > limit:  # pragma: no cover - the WSGI layer reads at most Content-Length bytes
            raise too_large

    def _authenticate(self, request) -> None:
        """`Authorization: Bearer <jwt>` (simplejwt) wins over the session; an invalid token is a 401."""
        header = request.META.get("HTTP_AUTHORIZATION", "")
        if not header.lower().startswith("bearer "):
            return
        from rest_framework.exceptions import AuthenticationFailed

        from accounts.backends import JWTAuthentication

        auth = JWTAuthentication()
        try:
            raw = auth.get_raw_token(header.encode("latin-1", "replace"))
            if raw is None:
                raise AuthenticationFailed("Authorization header must be 'Bearer <token>'.")
            user = auth.get_user(auth.get_validated_token(raw))
        except AuthenticationFailed:
            raise RequestError(
                401,
                "The access token is invalid or expired.",
                Code.UNAUTHENTICATED,
                {"WWW-Authenticate": 'Bearer realm="api"'},
            ) from None
        request.user = user
        request._mh_bearer = True

    def _throttle(self, request, throttles=None) -> None:
        """The REST API's anon/user rates (REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]), in the same buckets: one
        budget per client across both APIs. A cache outage lets requests through (TolerantRedisCache). An operation
        that searches and misses the answer cache is also held to the `search` rate (`throttles`)."""
        for throttle in throttles or (_AnonThrottle(), _UserThrottle()):
            if not throttle.allow_request(request, self):
                wait = throttle.wait()
                retry = max(1, int(wait or 1))
                raise RequestError(
                    429,
                    f"Too many requests. Retry in {retry} seconds.",
                    Code.THROTTLED,
                    {"Retry-After": str(retry)},
                )

    def parse_body(self, request) -> dict:
        if request.method == "GET":
            return {}
        content_type = self.get_content_type(request)
        if content_type not in JSON_CONTENT_TYPES:
            raise RequestError(
                415, "Send GraphQL requests as application/json (or application/graphql).", Code.UNSUPPORTED_MEDIA_TYPE
            )
        try:
            body = request.body.decode("utf-8")
        except UnicodeDecodeError:
            raise RequestError(400, "The request body is not valid UTF-8.", Code.INVALID_REQUEST) from None
        if content_type == "application/graphql":
            return {"query": body}
        try:
            data = json.loads(body)
        except ValueError:
            raise RequestError(400, "The request body is not valid JSON.", Code.INVALID_REQUEST) from None
        if isinstance(data, list):
            raise RequestError(400, "Batched requests are not supported: send one operation.", Code.BATCH_NOT_SUPPORTED)
        if not isinstance(data, dict):
            raise RequestError(400, "The request body must be a JSON object.", Code.INVALID_REQUEST)
        return data

    @staticmethod
    def get_graphql_params(request, data):
        source = request.GET if request.method == "GET" else data
        query = source.get("query")
        variables = source.get("variables")
        operation_name = source.get("operationName")
        if not isinstance(query, str) or not query.strip():
            raise RequestError(400, "Must provide a query string.", Code.INVALID_REQUEST)
        if isinstance(variables, str):
            try:
                variables = json.loads(variables) if variables.strip() else None
            except ValueError:
                raise RequestError(400, "Variables are invalid JSON.", Code.INVALID_REQUEST) from None
        if variables is not None and not isinstance(variables, dict):
            raise RequestError(400, "Variables must be a JSON object.", Code.INVALID_REQUEST)
        if operation_name in ("", "null"):
            operation_name = None
        if operation_name is not None and not isinstance(operation_name, str):
            raise RequestError(400, "operationName must be a string.", Code.INVALID_REQUEST)
        return query, variables, operation_name, None

    # --- execution ------------------------------------------------------------------------------------------------

    def get_response(self, request, data, show_graphiql=False):
        query, variables, operation_name, _ = self.get_graphql_params(request, data)
        public = None
        document = self._document(query)
        request._mh_graphql_document = document  # execute_graphql_request reuses it (no second parse of a bad query)
        if (
            isinstance(document, DocumentNode)
            and not show_graphiql
            and not request_identified(request)
            and is_public_operation(document, operation_name)
        ):
            key = response_key(query, variables, operation_name, base=site_base(request))
            generation, cached = response_get(key)
            if cached is not None:
                return cached, 200
            public = (key, generation)
        if isinstance(document, DocumentNode) and is_search_operation(document, operation_name, variables):
            self._throttle(request, throttles=(_SearchThrottle(),))
        result = self.execute_graphql_request(request, data, query, variables, operation_name, show_graphiql)
        if getattr(request, MUTATION_ERRORS_FLAG, False) is True:
            set_rollback()
        status_code = 200
        payload: dict = {}
        if result.errors:
            set_rollback()
            payload["errors"] = [format_error(e) for e in result.errors]
            request_level = any(not getattr(e, "path", None) for e in result.errors)
            bad_request = any(f.get("extensions", {}).get("code") in BAD_REQUEST_CODES for f in payload["errors"])
            if request_level or bad_request:
                status_code = 400
            if any(f.get("extensions", {}).get("code") == Code.UNAVAILABLE for f in payload["errors"]):
                status_code = 503
            if not request_level:
                payload["data"] = result.data
        else:
            payload["data"] = result.data
        encoded = self.json_encode(request, payload, pretty=show_graphiql)
        if public is not None and status_code == 200 and not result.errors and not reader_dependent(request):
            response_put(public[0], public[1], encoded)
        return encoded, status_code

    def _document(self, query: str) -> DocumentNode | ExecutionResult:
        """The parsed and validated document (from the per-process cache when this query was seen before), or an
        ExecutionResult carrying the parse/validation errors."""
        document = validated_documents.get(query)
        if document is not None:
            return document
        try:
            document = parse(query, max_tokens=MAX_TOKENS)
        except GraphQLError as e:
            return ExecutionResult(errors=_coded([e], Code.PARSE_FAILED))
        except RecursionError:
            raise RequestError(400, "The query is nested too deeply.", Code.MAX_DEPTH) from None
        validation_errors = validate(self.schema.graphql_schema, document, validation_rules())
        if validation_errors:
            return ExecutionResult(data=None, errors=_coded(validation_errors, Code.VALIDATION_FAILED))
        validated_documents.put(query, document)
        return document

    def execute_graphql_request(self, request, data, query, variables, operation_name, show_graphiql=False):
        schema = self.schema.graphql_schema
        schema_errors = validate_schema(schema)
        if schema_errors:  # pragma: no cover - a broken schema fails at import in tests
            return ExecutionResult(data=None, errors=schema_errors)
        document = getattr(request, "_mh_graphql_document", None) or self._document(query)
        if isinstance(document, ExecutionResult):
            return document

        operation = get_operation_ast(document, operation_name)
        if operation is None:
            return ExecutionResult(
                errors=[GraphQLError("Unknown operation name.", extensions={"code": Code.VALIDATION_FAILED})]
            )
        is_mutation = operation.operation == OperationType.MUTATION
        if request.method == "GET" and operation.operation != OperationType.QUERY:
            raise RequestError(
                405,
                f"Can only perform a {operation.operation.value} operation from a POST request.",
                Code.METHOD_NOT_ALLOWED,
                {"Allow": "POST"},
            )
        if is_mutation:
            self._check_csrf(request)

        options = {
            "root_value": self.get_root_value(request),
            "context_value": self.get_context(request),
            "variable_values": variables,
            "operation_name": operation_name,
            "middleware": self.get_middleware(request),
        }
        if self.execution_context_class:
            options["execution_context_class"] = self.execution_context_class
        try:
            if is_mutation and settings.GRAPHENE.get("ATOMIC_MUTATIONS", False):
                with transaction.atomic():
                    result = execute(schema, document, **options)
                    if result.errors or getattr(request, MUTATION_ERRORS_FLAG, False) is True:
                        transaction.set_rollback(True)
            else:
                result = execute(schema, document, **options)
        except RecursionError:
            raise RequestError(400, "The query is nested too deeply.", Code.MAX_DEPTH) from None
        except Exception as e:  # noqa: BLE001 - answered as a masked error and logged by format_error
            return ExecutionResult(errors=[e])
        if result.errors and result.data is None:  # variable coercion failed before any resolver ran
            _coded([e for e in result.errors if not e.path], Code.BAD_VARIABLES)
        return result

    def _check_csrf(self, request) -> None:
        """Django's CSRF check for mutations authenticated by the session cookie (a bearer token cannot be forged
        cross-site, and a request without cookies has no ambient authority to abuse)."""
        if getattr(request, "_mh_bearer", False):
            return
        has_session = settings.SESSION_COOKIE_NAME in request.COOKIES
        if not has_session and not request.user.is_authenticated:
            return
        check = CsrfViewMiddleware(lambda req: None)
        check.process_request(request)
        if check.process_view(request, None, (), {}) is not None:
            raise RequestError(
                403,
                "CSRF check failed: send the csrftoken cookie's value in the X-CSRFToken header, "
                "or authenticate with 'Authorization: Bearer <token>'.",
                Code.CSRF_FAILED,
            )

    @staticmethod
    def format_error(error):
        return format_error(error)


graphql_view = csrf_exempt(MastheadGraphQLView.as_view())
