"""A small schema behind the real view, for testing the endpoint's auth, CSRF and error mapping without depending
on other apps' mutations. Used with `@pytest.mark.urls("tests.cms.graphql_urls")`."""

import graphene
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from cms.core.exceptions import ApplicationError
from cms.graphql.mutations import ServiceMutation
from cms.graphql.view import MastheadGraphQLView


class Query(graphene.ObjectType):
    whoami = graphene.String()
    refuse = graphene.String()
    crash = graphene.String()
    database_down = graphene.String()

    @staticmethod
    def resolve_whoami(root, info):
        user = info.context.user
        return user.email if user.is_authenticated else None

    @staticmethod
    def resolve_refuse(root, info):
        raise ApplicationError("Not for you.", code="nope", field="some_field")

    @staticmethod
    def resolve_database_down(root, info):
        from django.db import OperationalError

        raise OperationalError("could not connect to server: Connection refused (secret-host:5432)")

    @staticmethod
    def resolve_crash(root, info):
        raise RuntimeError("password=hunter2")


class Touch(ServiceMutation):
    ok = graphene.Boolean()

    @classmethod
    def perform(cls, root, info):
        return {"ok": True}


class Mutation(graphene.ObjectType):
    touch = Touch.Field()


schema = graphene.Schema(query=Query, mutation=Mutation)

urlpatterns = [path("graphql/", csrf_exempt(MastheadGraphQLView.as_view(schema=schema)))]
