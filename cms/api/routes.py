"""An app's REST URL table from its route list (each app's `api/urls.py`)."""

from __future__ import annotations

from django.urls import URLPattern, path
from rest_framework.views import APIView

# (route, view) names the URL after the route's words, "auth/verify-email/" -> "auth-verify-email";
# (route, view, name) when the name says something else ("articles/" -> "article-list").
Route = tuple[str, type[APIView]] | tuple[str, type[APIView], str]


def route_name(route: str) -> str:
    return "-".join(part for part in route.split("/") if part)


def api_routes(*routes: Route) -> list[URLPattern]:
    """`urlpatterns` for the routes, in the order given (Django tries them in that order)."""
    patterns = []
    for route, view, *name in routes:
        patterns.append(path(route, view.as_view(), name=name[0] if name else route_name(route)))
    return patterns
