"""Everything under /api/v1/, one include per app. Route names are namespaced `api:`."""

from django.urls import include, path

app_name = "api"

urlpatterns = [
    path("", include("articles.api.urls")),
    path("", include("comments.api.urls")),
    path("", include("accounts.api.urls")),
    path("", include("paywall.api.urls")),
]
