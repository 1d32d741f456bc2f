"""`/ghost/api/content/` (what `@tryghost/content-api` sends for v5 and later) and
`/ghost/api/{v2,v3,v4,canary}/content/` (older clients and starters): the same handlers. Only the versioned
prefixes honour `limit=all`."""

from django.urls import include, path, re_path

from . import views

app_name = "ghost"

VERSIONS = ("v2", "v3", "v4", "canary")

content = [
    path("posts/", views.posts_browse),
    path("posts/slug/<str:slug>/", views.posts_read_slug),
    path("posts/<str:id>/", views.posts_read_id),
    path("pages/", views.pages_browse),
    path("pages/slug/<str:slug>/", views.pages_read_slug),
    path("pages/<str:id>/", views.pages_read_id),
    path("authors/", views.authors_browse),
    path("authors/slug/<str:slug>/", views.authors_read_slug),
    path("authors/<str:id>/", views.authors_read_id),
    path("tags/", views.tags_browse),
    path("tags/slug/<str:slug>/", views.tags_read_slug),
    path("tags/<str:id>/", views.tags_read_id),
    path("settings/", views.settings_read),
    path("tiers/", views.tiers_browse),
    # anything else under a prefix (newsletters/, offers/, ...) is Ghost's 404 envelope, not Django's HTML page;
    # only paths ending in a slash, so a missing trailing slash still gets APPEND_SLASH's redirect
    re_path(r"^(?:.*/)?$", views.unknown_route),
]

urlpatterns = [
    path("content/", include(content)),
    *(path(f"{version}/content/", include(content), {"version": version}) for version in VERSIONS),
]
