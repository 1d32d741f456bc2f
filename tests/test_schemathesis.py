"""Property-based API tests from the live OpenAPI schema (/api/schema/) and the GraphQL schema, in-process over WSGI.

REST: every operation of /api/schema/ (reads and writes) is fuzzed with 100 generated examples plus schemathesis's
boundary cases (operations without inputs run out of distinct requests sooner), once anonymously (with whatever
credentials schemathesis makes up) and once as a verified subscriber with a valid JWT. No input may cause a server
error, and every answer must conform to the documented schema: status code and response shape.

GraphQL: every root query and mutation field is fuzzed with 100 examples, each anonymous or as the subscriber (about
half each). No answer may be a 5xx, and every answer must be the GraphQL JSON shape with coded errors, none of them
an `internal_error` (a resolver that crashed, masked as HTTP 200).

Each example runs in a savepoint that is rolled back, with the cache cleared, so writes (a deleted comment, a
cancelled subscription, a revoked token, throttle and lockout counters) never leak into the next example.
"""

from __future__ import annotations

from datetime import timedelta

import graphql
import pytest
import schemathesis
from django.core.cache import cache
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error, response_schema_conformance, status_code_conformance

from accounts.services import token_pair_issue
from cms.schema import schema as graphene_schema
from cms.wsgi import application
from comments.services.posting import _insert
from tests.accounts.factories import UserFactory
from tests.articles.factories import ArticleFactory, AuthorFactory, SectionFactory, TagFactory
from tests.paywall.factories import SubscriptionFactory

EXAMPLES = 100
FUZZ_SETTINGS = settings(
    max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True, database=None
)
REST_CHECKS = (not_a_server_error, status_code_conformance, response_schema_conformance)

# Values of path parameters that exist in the fixture world, mixed into the generated ones so that examples reach
# past the 404s. Comment ids depend on the database's sequences: the `world` fixture fills them in.
KNOWN: dict[str, dict[str, list]] = {
    "/articles/": {"slug": ["world-news", "free-story", "premium-story"]},
    "/sections/": {"slug": ["world"]},
    "/authors/": {"slug": ["jack"]},
    "/comments/": {"comment_id": []},
}

# Valid bodies, mixed into the generated ones so that examples reach the success paths (and their response shapes).
# Entries naming `{refresh}` or `{own_comment}` are completed by the `world` fixture.
PASSWORD = "correct-horse-battery"  # UserFactory's
KNOWN_BODIES: dict[str, list[dict]] = {
    "POST /api/v1/auth/login/": [
        {"email": "subscriber@example.com", "password": PASSWORD},
        {"email": "subscriber@example.com", "password": PASSWORD, "session": True},  # 403: no CSRF token
    ],
    "POST /api/v1/auth/register/": [{"email": "new@example.com", "password": "a long passphrase", "display_name": "N"}],
    "POST /api/v1/auth/password-reset/": [{"email": "subscriber@example.com"}],
    "POST /api/v1/auth/refresh/": [{"refresh": "{refresh}"}],
    "POST /api/v1/auth/logout/": [{"refresh": "{refresh}"}, {}],
    "PATCH /api/v1/me/": [
        {"display_name": "Sam", "newsletter": True},
        {"email": "sam@example.com", "current_password": PASSWORD},
    ],
    "DELETE /api/v1/me/": [{"password": PASSWORD}],
    "POST /api/v1/subscriptions/checkout/": [{"plan": "weekly"}, {"plan": "annual"}],
    "POST /api/v1/articles/{slug}/comments/": [
        {"body": "A fair point."},
        {"body": "Agreed.", "parent": "{own_comment}"},
    ],
    "PATCH /api/v1/comments/{comment_id}/": [{"body": "Edited."}],
    "POST /api/v1/comments/{comment_id}/flag/": [{"reason": "spam"}, {}],
}
WORLD_VALUES: dict[str, object] = {}


def _completed(body: dict) -> dict:
    return {
        key: WORLD_VALUES.get(value.strip("{}"), value) if value in ("{refresh}", "{own_comment}") else value
        for key, value in body.items()
    }


rest = schemathesis.openapi.from_wsgi("/api/schema/?format=json", application)


@rest.hook
def flatmap_path_parameters(context, path_parameters):
    path = context.operation.path if context.operation is not None else ""
    known = next((values for prefix, values in KNOWN.items() if path.startswith(f"/api/v1{prefix}")), {})
    if not isinstance(path_parameters, dict) or not known:
        return st.just(path_parameters)
    variants = [{**path_parameters, name: value} for name in path_parameters for value in known.get(name, ())]
    return st.one_of(st.just(path_parameters), st.sampled_from(variants)) if variants else st.just(path_parameters)


@rest.hook
def flatmap_body(context, body):
    operation = context.operation
    known = KNOWN_BODIES.get(f"{operation.method.upper()} {operation.path}") if operation is not None else None
    if not known:
        return st.just(body)
    return st.one_of(st.just(body), st.sampled_from(known).map(_completed))


@pytest.fixture
def world(db):
    """Content, a verified subscriber with a JWT, comments (own, someone else's, a reply), and WSGI requests that
    keep the test's DB connection (like Django's test client)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        section, tag, author = (
            SectionFactory(name="World", slug="world"),
            TagFactory(name="Navy"),
            AuthorFactory(slug="jack"),
        )
        article = ArticleFactory(section=section, tags=[tag], authors=[author], slug="world-news")
        ArticleFactory(access_level="free", slug="free-story")
        ArticleFactory(access_level="premium", slug="premium-story")
        subscriber = UserFactory(email="subscriber@example.com", email_verified_at=timezone.now())
        SubscriptionFactory(user=subscriber, status="active", current_period_end=timezone.now() + timedelta(days=7))
        other = UserFactory(email="other@example.com", email_verified_at=timezone.now())
        own = _insert(article=article, user=subscriber, body="Mine.", parent=None, status="visible", reason="")
        theirs = _insert(article=article, user=other, body="Theirs.", parent=None, status="visible", reason="")
        reply = _insert(article=article, user=other, body="A reply.", parent=own, status="visible", reason="")
        KNOWN["/comments/"]["comment_id"] = [own.pk, theirs.pk, reply.pk]
        pair = token_pair_issue(user=subscriber)
        WORLD_VALUES.update(refresh=pair.refresh, own_comment=own.pk)
        yield {"token": pair.access}
    finally:
        KNOWN["/comments/"]["comment_id"] = []
        WORLD_VALUES.clear()
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def _isolated(call):
    """Run one example in a rolled-back savepoint with a clean cache."""
    cache.clear()
    with transaction.atomic():
        try:
            return call()
        finally:
            transaction.set_rollback(True)


def _as_subscriber(case, token: str) -> dict:
    headers = {k: v for k, v in (case.headers or {}).items() if k.lower() not in ("authorization", "x-api-key")}
    case.headers = headers
    if case.cookies:
        case.cookies = {}
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.django_db
@rest.parametrize()
@FUZZ_SETTINGS
def test_rest_anonymous(case, world):
    _isolated(lambda: case.call_and_validate(checks=REST_CHECKS))


@pytest.mark.django_db
@rest.parametrize()
@FUZZ_SETTINGS
def test_rest_subscriber(case, world):
    headers = _as_subscriber(case, world["token"])
    _isolated(lambda: case.call_and_validate(headers=headers, checks=REST_CHECKS))


# --- GraphQL ----------------------------------------------------------------------------------------------------------
# Introspection is off when DEBUG is (as in tests), so the schema comes from graphene itself.
gql = schemathesis.graphql.from_dict(graphql.introspection_from_schema(graphene_schema.graphql_schema))
gql.app = application
gql.location = "/graphql/"


def _check_graphql_answer(response) -> None:
    """No 5xx; a JSON object with `data` and/or `errors`; every error has a message and an `extensions.code`, and
    none is `internal_error` (a resolver that raised something unexpected, answered as a masked error)."""
    assert response.status_code < 500, (response.status_code, response.text[:500])
    payload = response.json()
    assert isinstance(payload, dict) and payload.keys() <= {"data", "errors"} and payload, payload
    for error in payload.get("errors") or ():
        assert isinstance(error.get("message"), str), error
        code = (error.get("extensions") or {}).get("code")
        assert isinstance(code, str) and code, error
        assert code != "internal_error", error


@pytest.mark.django_db
@gql.parametrize()
@gql.given(as_subscriber=st.booleans())
@FUZZ_SETTINGS
def test_graphql(case, as_subscriber, world):
    headers = {"Authorization": f"Bearer {world['token']}"} if as_subscriber else {}
    _isolated(lambda: _check_graphql_answer(case.call(headers=headers)))
