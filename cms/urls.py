from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from cms.core.views import healthz, livez, readyz
from paywall.admin_desk import revenue_desk_view

# the product's name, not "Django administration"
admin.site.site_header = "Masthead"
admin.site.site_title = "Masthead"
admin.site.index_title = "Masthead administration"

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("livez", livez, name="livez"),
    path("readyz", readyz, name="readyz"),
    # Comments and webhooks left the articles app: links to their old admin pages (digest emails already sent,
    # bookmarks) lead to the new ones.
    re_path(
        r"^admin/articles/(?P<page>(pending)?comment(flag|ban)?/.*)$",
        RedirectView.as_view(url="/admin/comments/%(page)s", query_string=True),
    ),
    re_path(
        r"^admin/articles/(?P<page>webhook(endpoint|delivery)/.*)$",
        RedirectView.as_view(url="/admin/webhooks/%(page)s", query_string=True),
    ),
    # the revenue desk: an admin page of its own, not a model's (admin_view: staff only, the login page otherwise)
    path("admin/revenue-desk/", admin.site.admin_view(revenue_desk_view), name="revenue_desk"),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="schema", template_name="api/redoc.html"), name="redoc"),
    path("api/v1/", include("cms.api.urls")),
    path("ghost/api/", include("cms.ghost.urls")),
    path("", include("cms.graphql.urls")),
    path("", include("articles.urls")),
    path("", include("paywall.urls")),
]

if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
