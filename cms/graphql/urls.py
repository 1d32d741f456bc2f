from django.urls import path

from .view import graphql_view

urlpatterns = [path("graphql/", graphql_view, name="graphql")]
