"""The Ghost Content API's envelopes, headers, errors and parameters (G1). Filters: test_filters.py / test_nql.py."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from articles.models import Article, Page
from cms.core.models import SiteSettings
from cms.ghost import ids
from cms.ghost.keys import content_api_key_create, content_api_key_revoke
from tests.articles.factories import ArticleFactory, AuthorFactory, SectionFactory, TagFactory
from tests.paywall.factories import PlanFactory

pytestmark = pytest.mark.django_db

PREFIXES = ["content", "v2/content", "v3/content", "v4/content", "canary/content"]
ERROR_KEYS = {"message", "context", "type", "details", "property", "help", "code", "id", "ghostErrorCode"}


def _error(response, status: int, type_: str) -> dict:
    assert response.status_code == status, response.body
    errors = json.loads(response.body)["errors"]
    assert len(errors) == 1 and set(errors[0]) == ERROR_KEYS and errors[0]["type"] == type_
    return errors[0]


def _page(slug="about", **kwargs) -> Page:
    defaults = {
        "title": slug.title(),
        "body": "<p>About us.</p>",
        "status": "published",
        "published_at": timezone.now(),
    }
    return Page.objects.create(slug=slug, **{**defaults, **kwargs})


@pytest.mark.parametrize("prefix", PREFIXES)
@pytest.mark.parametrize("resource", ["posts", "pages", "authors", "tags"])
def test_every_browse_has_ghosts_envelope_and_headers(ghost_get, prefix, resource):
    ArticleFactory(authors=[AuthorFactory()], tags=[TagFactory()])
    _page()
    response = ghost_get(f"{resource}/", prefix=prefix)
    assert response.status_code == 200
    data = json.loads(response.body)
    assert set(data) == {resource, "meta"} and len(data[resource]) >= 1
    assert set(data["meta"]["pagination"]) == {"page", "limit", "pages", "total", "next", "prev"}
    assert response["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Credentials" not in response
    assert "Accept-Version" in response["Vary"]
    assert response["Content-Version"].startswith("v")


def test_reads_have_no_meta_and_settings_have_an_empty_one(ghost_get):
    article = ArticleFactory(access_level="free")
    for path in (f"posts/{ids.ghost_id(ids.POST, article.pk)}/", f"posts/slug/{article.slug}/"):
        data = json.loads(ghost_get(path).body)
        assert list(data) == ["posts"] and len(data["posts"]) == 1
    data = json.loads(ghost_get("settings/").body)
    assert data["meta"] == {} and data["settings"]["lang"] == "en" and data["settings"]["timezone"]


def test_content_version_echoes_the_major_of_accept_version(ghost_get):
    assert ghost_get("settings/", headers={"Accept-Version": "v5.0"})["Content-Version"] == "v5.0"
    assert ghost_get("settings/", prefix="v3/content")["Content-Version"] == "v3.0"


def test_key_errors(ghost_get, ghost_key):
    _error(ghost_get("posts/", key=None), 403, "NoPermissionError")
    error = _error(ghost_get("posts/", key="0" * 26), 401, "UnauthorizedError")
    assert error["code"] == "UNKNOWN_CONTENT_API_KEY"
    _error(ghost_get("posts/", key="not-a-key\x01"), 401, "UnauthorizedError")


def test_a_revoked_key_stops_working_at_once(ghost_get):
    key, raw = content_api_key_create(name="Soon revoked")
    assert ghost_get("settings/", key=raw).status_code == 200  # now cached as valid
    content_api_key_revoke(key=key)
    _error(ghost_get("settings/", key=raw), 401, "UnauthorizedError")


def test_key_use_is_recorded_at_most_once_a_minute(ghost_get):
    key, raw = content_api_key_create(name="Counted")
    ghost_get("settings/", key=raw)
    key.refresh_from_db()
    first = key.last_used_at
    assert first is not None
    ghost_get("tiers/", key=raw)
    key.refresh_from_db()
    assert key.last_used_at == first


def test_the_management_command_prints_the_key_on_its_last_line(ghost_get):
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("content_api_key", "create", "Gatsby site", stdout=out)
    raw = out.getvalue().strip().splitlines()[-1]
    assert len(raw) == 26 and ghost_get("settings/", key=raw).status_code == 200
    call_command("content_api_key", "revoke", raw[:6], stdout=StringIO())
    assert ghost_get("settings/", key=raw).status_code == 401


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_other_methods_are_405_in_ghosts_envelope(ghost_get, method):
    _error(ghost_get("posts/", method=method), 405, "MethodNotAllowedError")


def test_options_is_a_cors_preflight(api_client):
    response = api_client.options("/ghost/api/content/posts/", headers={"Origin": "https://example.org"})
    assert response.status_code == 204
    assert response["Access-Control-Allow-Origin"] == "*"
    assert "Accept-Version" in response["Access-Control-Allow-Headers"]
    assert "Access-Control-Allow-Credentials" not in response


@pytest.mark.parametrize("resource", ["posts", "pages", "authors", "tags"])
def test_malformed_ids_are_422_and_unknown_ones_404(ghost_get, resource):
    _error(ghost_get(f"{resource}/123/"), 422, "ValidationError")
    _error(ghost_get(f"{resource}/ZZZZZZZZZZZZZZZZZZZZZZZZ/"), 422, "ValidationError")
    kind = {"posts": ids.POST, "pages": ids.PAGE, "authors": ids.AUTHOR, "tags": ids.TAG}[resource]
    _error(ghost_get(f"{resource}/{ids.ghost_id(kind, 999999)}/"), 404, "NotFoundError")
    _error(ghost_get(f"{resource}/{'9' * 24}/"), 404, "NotFoundError")
    _error(ghost_get(f"{resource}/slug/nothing-here/"), 404, "NotFoundError")
    _error(ghost_get(f"{resource}/slug/%00/"), 404, "NotFoundError")  # never reaches SQL (a NUL is a 500 there)
    _error(ghost_get(f"{resource}/slug/{'a' * 400}/"), 404, "NotFoundError")


def test_bad_parameters_are_ghost_errors_never_500(ghost_get):
    ArticleFactory()
    _error(ghost_get("posts/", order="nonsense desc"), 400, "BadRequestError")
    _error(ghost_get("posts/", order="title sideways"), 400, "BadRequestError")
    _error(ghost_get("posts/", filter="tag:[unclosed"), 400, "BadRequestError")
    _error(ghost_get("posts/", filter="nosuchfield:1"), 400, "BadRequestError")
    _error(ghost_get("posts/", limit="-3"), 422, "ValidationError")
    _error(ghost_get("posts/", page="zero"), 422, "ValidationError")
    assert ghost_get("posts/", include="nonsense,tags").status_code == 200  # unknown includes are ignored


def test_post_shape_has_every_ghost_field(ghost_get):
    section, tag, author = SectionFactory(), TagFactory(), AuthorFactory()
    article = ArticleFactory(section=section, tags=[tag], authors=[author], access_level="free", dek="Custom.")
    post = json.loads(ghost_get(f"posts/slug/{article.slug}/", include="tags,authors").body)["posts"][0]
    for name in (
        "id", "uuid", "title", "slug", "html", "comment_id", "feature_image", "feature_image_alt",
        "feature_image_caption", "featured", "visibility", "access", "comments", "created_at", "updated_at",
        "published_at", "custom_excerpt", "excerpt", "reading_time", "url", "canonical_url", "og_image", "og_title",
        "og_description", "twitter_image", "twitter_title", "twitter_description", "meta_title", "meta_description",
        "email_subject", "frontmatter", "codeinjection_head", "codeinjection_foot", "custom_template",
        "authors", "primary_author", "tags", "primary_tag",
    ):  # fmt: skip
        assert name in post, name
    assert post["id"] == ids.ghost_id(ids.POST, article.pk) and len(post["id"]) == 24
    assert post["visibility"] == "public" and post["access"] is True and post["custom_excerpt"] == "Custom."
    assert post["url"].endswith(f"/{section.slug}/{article.slug}/")
    assert post["primary_tag"]["slug"] == section.slug and [t["slug"] for t in post["tags"]] == [section.slug, tag.slug]
    assert post["primary_author"]["slug"] == author.slug
    assert post["published_at"].endswith("+00:00") and post["reading_time"] >= 1


def test_fields_and_formats(ghost_get):
    ArticleFactory(access_level="free")
    post = json.loads(ghost_get("posts/", fields="title,slug").body)["posts"][0]
    assert set(post) == {"title", "slug"}
    post = json.loads(ghost_get("posts/", formats="plaintext").body)["posts"][0]
    assert "plaintext" in post and "html" not in post
    post = json.loads(ghost_get("posts/", formats="html,plaintext").body)["posts"][0]
    assert "plaintext" in post and "html" in post and "<p>" not in post["plaintext"]


def test_order_and_pagination_meta(ghost_get):
    now = timezone.now()
    for i, title in enumerate(["Bravo", "Alpha", "Charlie"]):
        ArticleFactory(title=title, published_at=now - timedelta(hours=i))
    titles = [p["title"] for p in json.loads(ghost_get("posts/", order="title asc").body)["posts"]]
    assert titles == ["Alpha", "Bravo", "Charlie"]
    titles = [p["title"] for p in json.loads(ghost_get("posts/", order="featured DESC,published_at ASC").body)["posts"]]
    assert titles == ["Charlie", "Alpha", "Bravo"]
    data = json.loads(ghost_get("posts/", limit="2", page="2").body)
    assert data["meta"]["pagination"] == {"page": 2, "limit": 2, "pages": 2, "total": 3, "next": None, "prev": 1}
    data = json.loads(ghost_get("posts/", limit="2").body)
    assert data["meta"]["pagination"] == {"page": 1, "limit": 2, "pages": 2, "total": 3, "next": 2, "prev": None}
    assert json.loads(ghost_get("posts/", page="9").body)["posts"] == []


def test_limit_is_capped_at_100_and_all_is_honoured_only_on_versioned_prefixes(ghost_get):
    ArticleFactory.create_batch(3)
    meta = json.loads(ghost_get("posts/", limit="500").body)["meta"]["pagination"]
    assert meta["limit"] == 100
    meta = json.loads(ghost_get("posts/", limit="all").body)["meta"]["pagination"]
    assert meta["limit"] == 100
    for prefix in PREFIXES[1:]:
        for resource in ("posts", "pages", "authors", "tags"):
            response = ghost_get(f"{resource}/", prefix=prefix, limit="all")
            data = json.loads(response.body)
            assert data["meta"]["pagination"]["limit"] == "all", (prefix, resource)
            assert data["meta"]["pagination"]["total"] == len(data[resource])


def test_tags_browse_lists_sections_first_then_tags_with_distinct_ids(ghost_get):
    section = SectionFactory(name="World", slug="world")
    tag = TagFactory(name="Alpha", slug="alpha")
    ArticleFactory(section=section, tags=[tag])
    tags = json.loads(ghost_get("tags/", include="count.posts", filter="slug:[alpha,world]").body)["tags"]
    assert [t["slug"] for t in tags] == ["world", "alpha"]
    assert tags[0]["id"][0] == ids.SECTION and tags[1]["id"][0] == ids.TAG
    assert tags[0]["count"] == {"posts": 1} and tags[1]["count"] == {"posts": 1}
    read = json.loads(ghost_get(f"tags/{tags[1]['id']}/").body)["tags"][0]
    assert read["slug"] == "alpha"
    assert json.loads(ghost_get("tags/slug/world/").body)["tags"][0]["id"] == tags[0]["id"]


def test_authors_with_post_counts(ghost_get):
    author = AuthorFactory(links=[{"label": "Site", "url": "https://example.org"}])
    ArticleFactory(authors=[author])
    ArticleFactory(authors=[author], status=Article.Status.DRAFT, published_at=None)
    data = json.loads(ghost_get("authors/", include="count.posts", filter=f"slug:{author.slug}").body)["authors"][0]
    assert data["count"] == {"posts": 1} and data["website"] == "https://example.org"
    read = json.loads(ghost_get(f"authors/slug/{author.slug}/").body)["authors"][0]
    assert read["id"] == ids.ghost_id(ids.AUTHOR, author.pk) and "count" not in read


def test_pages_are_never_posts_and_never_metered(ghost_get):
    page = _page(body="<p>Who we are.</p><p>[paywall]</p><p>Everything else.</p>")
    _page("draft-page", status="draft", published_at=None)
    ArticleFactory()
    pages = json.loads(ghost_get("pages/").body)["pages"]
    assert [p["slug"] for p in pages] == ["about"]
    assert pages[0]["access"] is True and pages[0]["visibility"] == "public"
    posts = json.loads(ghost_get("posts/").body)["posts"]
    assert page.slug not in {p["slug"] for p in posts}
    read = json.loads(ghost_get("pages/slug/about/").body)["pages"][0]
    assert "Everything else." in read["html"]
    _error(ghost_get("pages/slug/draft-page/"), 404, "NotFoundError")
    _error(ghost_get(f"posts/{ids.ghost_id(ids.PAGE, page.pk)}/"), 404, "NotFoundError")


def test_settings_come_from_the_site_settings_row(ghost_get):
    SiteSettings.objects.create(title="The Daily", lang="fr", navigation=[{"label": "About", "url": "/about/"}])
    data = json.loads(ghost_get("settings/").body)["settings"]
    assert data["title"] == "The Daily" and data["lang"] == "fr"
    assert data["navigation"] == [{"label": "About", "url": "/about/"}]
    row = SiteSettings.objects.get()
    row.title = "The Evening"
    row.save()
    assert json.loads(ghost_get("settings/").body)["settings"]["title"] == "The Evening"


def test_tiers_are_the_free_tier_and_the_plans(ghost_get):
    PlanFactory(code="t-month", name="Monthly", amount=900, interval="month")
    PlanFactory(code="t-year", name="Yearly", amount=9000, interval="year")
    PlanFactory(code="t-gone", name="Gone", amount=1, interval="month", active=False)
    tiers = {t["slug"]: t for t in json.loads(ghost_get("tiers/").body)["tiers"]}
    assert next(iter(tiers)) == "free" and tiers["free"]["type"] == "free" and tiers["free"]["monthly_price"] is None
    assert tiers["t-month"]["monthly_price"] == 900 and tiers["t-month"]["type"] == "paid"
    assert tiers["t-year"]["yearly_price"] == 9000 and tiers["t-year"]["currency"] == "USD"
    assert "t-gone" not in tiers


def test_public_browse_has_an_etag_and_answers_304(ghost_get):
    ArticleFactory()
    first = ghost_get("posts/")
    assert first["ETag"] and first["Cache-Control"].startswith("public")
    again = ghost_get("posts/", headers={"If-None-Match": first["ETag"]})
    assert again.status_code == 304


def test_reader_dependent_answers_are_private(ghost_get):
    article = ArticleFactory()
    read = ghost_get(f"posts/slug/{article.slug}/")
    assert "no-store" in read["Cache-Control"]
    token = read["X-Reader-Token"]
    again = ghost_get(f"posts/slug/{article.slug}/", headers={"X-Reader-Token": token})
    assert again["X-Reader-Token"] == token  # the response returns the reader's token
    browse = ghost_get("posts/", headers={"X-Reader-Token": token})
    assert browse["Cache-Control"] == "private, no-store" and "ETag" not in browse
    assert browse["X-Reader-Token"] == token and "X-Reader-Token" in browse["Access-Control-Expose-Headers"]


def test_a_bad_member_token_is_401_and_other_schemes_are_ignored(ghost_get):
    ArticleFactory()
    _error(ghost_get("posts/", headers={"Authorization": "GhostMembers not.a.jwt"}), 401, "UnauthorizedError")
    _error(ghost_get("posts/", headers={"Authorization": "Bearer "}), 401, "UnauthorizedError")
    behind_a_proxy = ghost_get("posts/", headers={"Authorization": "Basic dXNlcjpwYXNz"})
    assert behind_a_proxy.status_code == 200 and behind_a_proxy["Cache-Control"].startswith("public")


@pytest.mark.parametrize(("prefix", "limit"), [("content", "100"), ("v2/content", "all")], ids=["browse", "limit-all"])
def test_browse_with_includes_costs_the_same_queries_for_1_and_50_posts(ghost_get, prefix, limit):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def count() -> int:
        from django.core.cache import cache

        from paywall.selectors import meter_limits_forget

        cache.clear()  # every call renders (no page cache) and reads the meter policy afresh
        meter_limits_forget()
        with CaptureQueriesContext(connection) as ctx:
            response = ghost_get("posts/", prefix=prefix, include="tags,authors,count.posts", limit=limit)
        assert response.status_code == 200
        return len(ctx.captured_queries)

    ArticleFactory(authors=[AuthorFactory()], tags=[TagFactory()])
    count()  # warm the process-wide lookups (meter policy, content types)
    one = count()
    for _ in range(49):
        ArticleFactory(authors=[AuthorFactory(), AuthorFactory()], tags=[TagFactory(), TagFactory()])
    assert count() == one


def test_limit_all_streams_the_same_posts_as_a_page(ghost_get):
    author = AuthorFactory(links=[{"label": "X", "url": "https://twitter.com/someone"}], avatar="authors/a.png")
    for _ in range(3):
        ArticleFactory(authors=[author, AuthorFactory()], tags=[TagFactory(), TagFactory()], access_level="free")
    ArticleFactory(access_level="premium")
    params = {"include": "tags,authors", "formats": "html,plaintext"}
    paged = json.loads(ghost_get("posts/", limit="100", **params).body)["posts"]
    streamed = json.loads(ghost_get("posts/", prefix="v2/content", limit="all", **params).body)["posts"]
    assert streamed == paged
    assert any(p["primary_author"] and p["primary_author"]["twitter"] and p["tags"] for p in paged)
