"""The admin pages for Pages, Site settings and Content API keys answer 200; a created key is shown once."""

from __future__ import annotations

import pytest

from articles.models import Page
from cms.core.models import SiteSettings
from cms.ghost.models import ContentApiKey
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(email="root@example.com", is_staff=True, is_superuser=True))
    return client


def test_admin_pages_answer_200(admin_client):
    page = Page.objects.create(title="About", slug="about", body="<p>x</p>")
    settings_row = SiteSettings.objects.create()
    for url in (
        "/admin/articles/page/",
        "/admin/articles/page/add/",
        f"/admin/articles/page/{page.pk}/change/",
        "/admin/core/sitesettings/",
        f"/admin/core/sitesettings/{settings_row.pk}/change/",
        "/admin/ghost/contentapikey/",
        "/admin/ghost/contentapikey/add/",
    ):
        assert admin_client.get(url).status_code == 200, url
    assert admin_client.get("/admin/core/sitesettings/add/").status_code == 403  # one row only


def test_a_key_created_in_the_admin_is_shown_once_and_can_be_revoked(admin_client):
    response = admin_client.post("/admin/ghost/contentapikey/add/", {"name": "Next.js site"}, follow=True)
    assert response.status_code == 200
    key = ContentApiKey.objects.get()
    assert f"Content API key for “Next.js site”: {key.prefix}" in response.content.decode()
    admin_client.post("/admin/ghost/contentapikey/", {"action": "revoke", "_selected_action": [key.pk]}, follow=True)
    key.refresh_from_db()
    assert key.revoked_at is not None


def test_a_page_saved_in_the_admin_is_sanitised(admin_client):
    admin_client.post(
        "/admin/articles/page/add/",
        {"title": "Terms", "slug": "terms", "status": "published", "body": "<p>Ok</p><script>x()</script>"},
    )
    page = Page.objects.get(slug="terms")
    assert "<script>" not in page.body and page.published_at is not None
