"""The shared mutation base: services' domain errors become `errors: [{field, code, message}]`, and roll back."""

import json

import graphene
import pytest
from django.core.exceptions import ValidationError
from django.test import RequestFactory
from rest_framework.throttling import SimpleRateThrottle

from accounts.models import User
from cms.core.exceptions import ApplicationError
from cms.graphql.mutations import ServiceMutation
from cms.graphql.view import MastheadGraphQLView
from tests.accounts.factories import UserFactory


class UserRename(ServiceMutation):
    class Arguments:
        email = graphene.String(required=True)
        display_name = graphene.String(required=True)

    ok = graphene.Boolean()

    @classmethod
    def perform(cls, root, info, *, email, display_name):
        user = User.objects.get(email=email)
        user.display_name = display_name
        user.save()
        if display_name == "taken":
            raise ApplicationError("That name is taken.", code="taken", field="display_name")
        if display_name == "invalid":
            raise ValidationError({"display_name": ValidationError("Too odd.", code="odd")})
        if display_name == "bug":
            raise RuntimeError("secret internals")
        return {"ok": True}


class OncePerMinutePerUser(SimpleRateThrottle):
    rate = "1/min"

    def get_cache_key(self, request, view):
        return f"test-mutations:{request.user.pk}"


class WhoAmI(ServiceMutation):
    login_required = True
    throttle_classes = (OncePerMinutePerUser,)
    email = graphene.String()

    @classmethod
    def perform(cls, root, info):
        return {"email": info.context.user.email}


class Query(graphene.ObjectType):
    ping = graphene.String(default_value="pong")


class Mutation(graphene.ObjectType):
    user_rename = UserRename.Field()
    who_am_i = WhoAmI.Field()


schema = graphene.Schema(query=Query, mutation=Mutation)
view = MastheadGraphQLView.as_view(schema=schema)

RENAME = """mutation($e: String!, $n: String!) {
  userRename(email: $e, displayName: $n) { ok errors { field code message } }
}"""


def _post(query, variables=None, user=None):
    request = RequestFactory().post(
        "/graphql/", data=json.dumps({"query": query, "variables": variables or {}}), content_type="application/json"
    )
    request._dont_enforce_csrf_checks = True
    from django.contrib.auth.models import AnonymousUser

    request.user = user or AnonymousUser()
    response = view(request)
    return response.status_code, json.loads(response.content)


@pytest.mark.django_db
def test_service_mutation_success_has_empty_errors():
    UserFactory(email="a@example.com", display_name="Old")
    status, body = _post(RENAME, {"e": "a@example.com", "n": "New"})
    assert status == 200
    assert body["data"]["userRename"] == {"ok": True, "errors": []}
    assert User.objects.get(email="a@example.com").display_name == "New"


@pytest.mark.django_db
def test_application_error_becomes_error_payload_and_rolls_back():
    UserFactory(email="a@example.com", display_name="Old")
    status, body = _post(RENAME, {"e": "a@example.com", "n": "taken"})
    assert status == 200
    assert body["data"]["userRename"] == {
        "ok": None,
        "errors": [{"field": "displayName", "code": "taken", "message": "That name is taken."}],
    }
    assert User.objects.get(email="a@example.com").display_name == "Old"


@pytest.mark.django_db
def test_django_validation_error_becomes_error_payload():
    UserFactory(email="a@example.com", display_name="Old")
    _, body = _post(RENAME, {"e": "a@example.com", "n": "invalid"})
    assert body["data"]["userRename"]["errors"] == [{"field": "displayName", "code": "odd", "message": "Too odd."}]
    assert User.objects.get(email="a@example.com").display_name == "Old"


@pytest.mark.django_db
def test_unexpected_exception_is_masked_when_debug_off(settings):
    settings.DEBUG = False
    UserFactory(email="a@example.com", display_name="Old")
    status, body = _post(RENAME, {"e": "a@example.com", "n": "bug"})
    assert status == 200
    assert body["data"]["userRename"] is None
    assert body["errors"][0]["message"] == "Internal server error."
    assert "secret" not in json.dumps(body)
    assert User.objects.get(email="a@example.com").display_name == "Old"


@pytest.mark.django_db
def test_login_required_mutation_refuses_anonymous_without_calling_service():
    _, body = _post("mutation { whoAmI { email errors { field code } } }")
    assert body["data"]["whoAmI"] == {"email": None, "errors": [{"field": None, "code": "unauthenticated"}]}


@pytest.mark.django_db
def test_login_required_mutation_runs_for_user():
    user = UserFactory(email="b@example.com")
    _, body = _post("mutation { whoAmI { email errors { code } } }", user=user)
    assert body["data"]["whoAmI"] == {"email": "b@example.com", "errors": []}


@pytest.mark.django_db
def test_throttle_classes_refuse_past_the_rate_without_calling_the_service():
    user = UserFactory(email="b@example.com")
    first, second = (_post("mutation { whoAmI { email errors { field code message } } }", user=user) for _ in range(2))
    assert first[1]["data"]["whoAmI"] == {"email": "b@example.com", "errors": []}
    assert second[1]["data"]["whoAmI"] == {
        "email": None,
        "errors": [{"field": None, "code": "throttled", "message": "Too many requests. Try again later."}],
    }


@pytest.mark.django_db
def test_null_characters_in_arguments_are_refused_before_the_service():
    # PostgreSQL text cannot hold NUL (psycopg2 raises ValueError): found by the fuzzing as `internal_error`s
    UserFactory(email="a@example.com", display_name="Old")
    status, body = _post(RENAME, {"e": "a@example.com", "n": "Ne\x00w"})
    assert status == 200
    assert body["data"]["userRename"]["errors"] == [
        {"field": "displayName", "code": "null_characters_not_allowed", "message": "Null characters are not allowed."}
    ]
    assert User.objects.get(email="a@example.com").display_name == "Old"


@pytest.mark.django_db
def test_null_characters_in_a_real_mutation_are_an_error_payload_not_an_internal_error(graphql_client):
    response = graphql_client('mutation { requestPasswordReset(email: "a\\u0000@example.com") { errors { code } } }')
    assert response.status_code == 200
    assert response.json_body["data"]["requestPasswordReset"]["errors"] == [{"code": "null_characters_not_allowed"}]
