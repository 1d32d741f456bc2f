"""The /graphql/ endpoint's limits and request handling: each violation is a clear GraphQL error and a 4xx, never a
500. Also auth (session, Bearer JWT), CSRF for session-authenticated mutations and error mapping."""

import json

import pytest
from django.test import Client
from rest_framework_simplejwt.tokens import AccessToken

from tests.accounts.factories import UserFactory
from tests.articles.factories import ArticleFactory

pytestmark = pytest.mark.django_db


def _post_raw(body, content_type="application/json", client=None, **extra):
    client = client or Client()
    response = client.generic("POST", "/graphql/", body, content_type=content_type, **extra)
    assert response.status_code < 500 or response.status_code == 503
    return response, (json.loads(response.content) if response.content else None)


def _codes(body):
    return [e["extensions"]["code"] for e in body["errors"]]


def _nested_related(levels: int) -> str:
    """`{ article { related { related ... { slug } } } }`: `levels` + 1 nested selection sets."""
    inner = "slug"
    for _ in range(levels):
        inner = f"related {{ {inner} }}"
    return f'{{ article(slug: "x") {{ {inner} }} }}'


# --- depth ---------------------------------------------------------------------------------------------------------


def test_depth_ten_is_allowed(graphql_client):
    response = graphql_client(_nested_related(9))
    assert response.status_code == 200, response.json_body
    assert response.json_body == {"data": {"article": None}}


def test_depth_eleven_is_refused(graphql_client):
    response = graphql_client(_nested_related(10))
    assert response.status_code == 400
    assert "max_depth_exceeded" in _codes(response.json_body)
    assert "maximum query depth of 10" in response.json_body["errors"][0]["message"]
    assert "data" not in response.json_body


def test_depth_counts_through_fragments(graphql_client):
    query = (
        '{ article(slug: "x") { ...A } }'
        " fragment A on Article { related { ...B } }"
        " fragment B on Article { related { related { related { related { related { related { related { related {"
        " related { slug } } } } } } } } } }"
    )
    response = graphql_client(query)
    assert response.status_code == 400
    assert "max_depth_exceeded" in _codes(response.json_body)


def test_fragment_cycles_and_unknown_fragments_are_validation_errors(graphql_client):
    cycle = graphql_client("{ ...A } fragment A on Query { ...B } fragment B on Query { ...A }")
    unknown = graphql_client("{ ...Nope }")
    for response in (cycle, unknown):
        assert response.status_code == 400
        assert _codes(response.json_body) == ["validation_failed"]


def test_absurdly_nested_document_is_400(graphql_client):
    response = graphql_client("{ a " * 3000 + "}" * 3000)
    assert response.status_code == 400
    assert response.json_body["errors"]


# --- aliases and operations -------------------------------------------------------------------------------------------


def _aliases(n):
    return "{ " + " ".join(f"a{i}: sections {{ slug }}" for i in range(n)) + " }"


def test_fifteen_aliases_are_allowed(graphql_client):
    assert graphql_client(_aliases(15)).status_code == 200


def test_sixteen_aliases_are_refused(graphql_client):
    response = graphql_client(_aliases(16))
    assert response.status_code == 400
    assert _codes(response.json_body) == ["max_aliases_exceeded"]


@pytest.mark.parametrize(
    ("query", "operation_name", "code"),
    [
        ("query A { tags { slug } } query B { sections { slug } }", "A", "single_operation_only"),
        ("query A { tags { slug } }", "B", "validation_failed"),  # no operation of that name
    ],
)
def test_one_operation_per_document_named_by_operation_name(graphql_client, query, operation_name, code):
    document = {"query": query, "operationName": operation_name}
    response, body = _post_raw(json.dumps(document), client=graphql_client.client)
    assert response.status_code == 400
    assert _codes(body) == [code]


def test_batch_requests_are_refused():
    response, body = _post_raw(json.dumps([{"query": "{ tags { slug } }"}, {"query": "{ sections { slug } }"}]))
    assert response.status_code == 400
    assert _codes(body) == ["batch_not_supported"]


# --- first ---------------------------------------------------------------------------------------------------------


def test_first_is_required(graphql_client):
    response = graphql_client("{ articles { edges { node { slug } } } }")
    assert response.status_code == 400
    assert "first" in response.json_body["errors"][0]["message"]


@pytest.mark.parametrize("first", [101, 1000, 0, -1])
def test_first_literal_out_of_range(graphql_client, first):
    response = graphql_client(f"{{ articles(first: {first}) {{ edges {{ node {{ slug }} }} }} }}")
    assert response.status_code == 400
    assert _codes(response.json_body) == ["first_out_of_range"]


@pytest.mark.parametrize("first", [101, 0])
def test_first_variable_out_of_range(graphql_client, first):
    response = graphql_client("query($n: Int!) { articles(first: $n) { edges { node { slug } } } }", {"n": first})
    assert response.status_code == 400
    assert response.json_body["errors"][0]["extensions"] == {"code": "first_out_of_range", "field": "first"}


def test_first_hundred_is_fine(graphql_client):
    ArticleFactory()
    response = graphql_client("{ articles(first: 100) { edges { node { slug } } } }")
    assert response.status_code == 200
    assert len(response.json_body["data"]["articles"]["edges"]) == 1


# --- size ----------------------------------------------------------------------------------------------------------


def test_query_over_100_kb_is_refused_before_parsing():
    query = "{ tags { slug } }" + " " * 100_001
    response, body = _post_raw(json.dumps({"query": query}))
    assert response.status_code == 413
    assert _codes(body) == ["query_too_large"]


def test_get_query_over_100_kb_is_refused():
    response = Client().get("/graphql/", {"query": "{ tags { slug } }" + " " * 100_001})
    assert response.status_code == 413
    assert _codes(response.json()) == ["query_too_large"]


def test_token_flood_under_the_size_cap_is_400(graphql_client):
    response = graphql_client("{ tags { slug " + "a " * 40_000 + "} }")  # 80 KB, 40,000 tokens
    assert response.status_code == 400
    assert _codes(response.json_body) == ["parse_failed"]


# --- introspection and suggestions ------------------------------------------------------------------------------------


@pytest.mark.parametrize("query", ["{ __schema { types { name } } }", '{ __type(name: "Article") { name } }'])
def test_introspection_disabled_when_debug_off(graphql_client, settings, query):
    settings.DEBUG = False
    response = graphql_client(query)
    assert response.status_code == 400
    assert _codes(response.json_body) == ["introspection_disabled"]


def test_typename_still_works_when_debug_off(graphql_client, settings):
    settings.DEBUG = False
    response = graphql_client("{ __typename tags { __typename slug } }")
    assert response.status_code == 200
    assert response.json_body["data"]["__typename"] == "Query"


def test_introspection_allowed_in_debug(graphql_client, settings):
    settings.DEBUG = True
    response = graphql_client("{ __schema { queryType { name } } }")
    assert response.json_body == {"data": {"__schema": {"queryType": {"name": "Query"}}}}


def test_no_did_you_mean_when_debug_off(graphql_client, settings):
    settings.DEBUG = False
    response = graphql_client("{ tags { nme } }")
    assert response.status_code == 400
    message = response.json_body["errors"][0]["message"]
    assert message == "Cannot query field 'nme' on type 'Tag'."
    assert "Did you mean" not in response.content.decode()


def test_suggestions_kept_in_debug(graphql_client, settings):
    settings.DEBUG = True
    response = graphql_client("{ tags { nme } }")
    assert "Did you mean 'name'?" in response.json_body["errors"][0]["message"]


# --- malformed requests ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "content_type", "status", "code"),
    [
        ("{not json", "application/json", 400, "invalid_request"),
        (b"\xff\xfe\x00{", "application/json", 400, "invalid_request"),
        (b"{ tags { slug \xff } }", "application/graphql", 400, "invalid_request"),
        ('"just a string"', "application/json", 400, "invalid_request"),
        ("{}", "application/json", 400, "invalid_request"),
        ('{"query": 42}', "application/json", 400, "invalid_request"),
        ('{"query": "{ tags { slug } }", "variables": [1]}', "application/json", 400, "invalid_request"),
        ('{"query": "{ tags { slug } }", "variables": "{nope"}', "application/json", 400, "invalid_request"),
        ('{"query": "{ tags { slug } }", "operationName": 5}', "application/json", 400, "invalid_request"),
        ('{"query": "{ tags { slug "}', "application/json", 400, "parse_failed"),
        ("query={ tags { slug } }", "application/x-www-form-urlencoded", 415, "unsupported_media_type"),
        ('{"query": "{ tags { slug } }"}', "text/plain", 415, "unsupported_media_type"),
    ],
)
def test_malformed_requests_are_4xx_graphql_errors(body, content_type, status, code):
    response, data = _post_raw(body, content_type=content_type)
    assert response.status_code == status
    assert response["Content-Type"] == "application/json"
    assert _codes(data) == [code]


def test_application_graphql_body_works():
    ArticleFactory()
    response, data = _post_raw("{ articles(first: 1) { edges { node { slug } } } }", "application/graphql")
    assert response.status_code == 200 and len(data["data"]["articles"]["edges"]) == 1


@pytest.mark.parametrize(
    ("variables", "fragment"),
    [({"n": "ten"}, "Int cannot represent"), ({}, "was not provided"), ({"n": 2**40}, "Int cannot represent")],
)
def test_wrong_variable_types_are_400(graphql_client, variables, fragment):
    response = graphql_client("query($n: Int!) { articles(first: $n) { edges { node { slug } } } }", variables)
    assert response.status_code == 400
    assert _codes(response.json_body) == ["bad_user_input"]
    assert fragment in response.json_body["errors"][0]["message"]


def test_other_methods_are_405():
    response = Client().put("/graphql/", "{}", content_type="application/json")
    assert response.status_code == 405
    assert _codes(response.json()) == ["method_not_allowed"]


def test_get_queries_work_and_public_ones_set_no_cookie():
    ArticleFactory()
    response = Client().get("/graphql/", {"query": "{ articles(first: 1) { edges { node { slug } } } }"})
    assert response.status_code == 200
    assert not response.cookies
    assert "X-Reader-Token" not in response


def test_graphiql_only_in_debug(settings):
    settings.DEBUG = True
    response = Client().get("/graphql/", HTTP_ACCEPT="text/html")
    assert response.status_code == 200 and b"graphiql" in response.content.lower()
    settings.DEBUG = False
    response = Client().get("/graphql/", HTTP_ACCEPT="text/html")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"


# --- auth, CSRF, error mapping (on a small schema behind the same view) ----------------------------------------------

urls = pytest.mark.urls("tests.cms.graphql_urls")
TOUCH = '{"query": "mutation { touch { ok errors { code } } }"}'


@urls
def test_bearer_jwt_authenticates():
    user = UserFactory(email="jwt@example.com")
    token = str(AccessToken.for_user(user))
    response, data = _post_raw('{"query": "{ whoami }"}', HTTP_AUTHORIZATION=f"Bearer {token}")
    assert data == {"data": {"whoami": "jwt@example.com"}}
    assert response["Cache-Control"] == "private, no-store"


@urls
@pytest.mark.parametrize("header", ["Bearer nonsense", "Bearer ", "Bearer a b"])
def test_invalid_bearer_is_401(header):
    response, data = _post_raw('{"query": "{ whoami }"}', HTTP_AUTHORIZATION=header)
    assert response.status_code == 401
    assert _codes(data) == ["unauthenticated"]
    assert response["WWW-Authenticate"].startswith("Bearer")


@urls
def test_session_mutation_without_csrf_token_is_403():
    client = Client(enforce_csrf_checks=True)
    client.force_login(UserFactory())
    response, data = _post_raw(TOUCH, client=client)
    assert response.status_code == 403
    assert _codes(data) == ["csrf_failed"]


@urls
def test_session_mutation_with_csrf_token_passes():
    client = Client(enforce_csrf_checks=True)
    client.force_login(UserFactory())
    client.get("/graphql/", {"query": "{ whoami }"})  # authenticated responses carry the csrftoken cookie
    token = client.cookies["csrftoken"].value
    response, data = _post_raw(TOUCH, client=client, HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 200
    assert data == {"data": {"touch": {"ok": True, "errors": []}}}


@urls
def test_session_queries_need_no_csrf_token():
    client = Client(enforce_csrf_checks=True)
    client.force_login(UserFactory(email="s@example.com"))
    response, data = _post_raw('{"query": "{ whoami }"}', client=client)
    assert data == {"data": {"whoami": "s@example.com"}}


@urls
def test_bearer_mutation_needs_no_csrf_token_even_with_a_session_cookie():
    user = UserFactory()
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    token = str(AccessToken.for_user(user))
    response, data = _post_raw(TOUCH, client=client, HTTP_AUTHORIZATION=f"Bearer {token}")
    assert data == {"data": {"touch": {"ok": True, "errors": []}}}


@urls
def test_cookieless_anonymous_mutation_needs_no_csrf_token():
    response, data = _post_raw(TOUCH, client=Client(enforce_csrf_checks=True))
    assert data == {"data": {"touch": {"ok": True, "errors": []}}}


@urls
def test_mutation_over_get_is_405():
    response = Client().get("/graphql/", {"query": "mutation { touch { ok } }"})
    assert response.status_code == 405
    assert _codes(response.json()) == ["method_not_allowed"]


@urls
def test_application_error_in_resolver_maps_to_code_and_field():
    response, data = _post_raw('{"query": "{ refuse }"}')
    assert response.status_code == 200
    error = data["errors"][0]
    assert error["message"] == "Not for you."
    assert error["extensions"] == {"code": "nope", "field": "someField"}
    assert error["path"] == ["refuse"]


@urls
def test_unexpected_error_is_masked_when_debug_off(settings):
    settings.DEBUG = False
    response, data = _post_raw('{"query": "{ crash whoami }"}')
    assert response.status_code == 200
    assert data["data"] == {"crash": None, "whoami": None}
    assert data["errors"][0]["message"] == "Internal server error."
    assert data["errors"][0]["extensions"] == {"code": "internal_error"}
    assert "hunter2" not in response.content.decode()


@urls
def test_database_outage_is_503_with_retry_after(settings):
    settings.DEBUG = False
    response, data = _post_raw('{"query": "{ databaseDown }"}')
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert data["errors"][0]["extensions"] == {"code": "unavailable"}
    assert "secret-host" not in response.content.decode()


def test_throttled_with_the_rest_rates(settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "anon": "2/min"},
    }
    client = Client()
    statuses = [_post_raw('{"query": "{ tags { slug } }"}', client=client)[0].status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    response, data = _post_raw('{"query": "{ tags { slug } }"}', client=client)
    assert _codes(data) == ["throttled"]
    assert int(response["Retry-After"]) >= 1
