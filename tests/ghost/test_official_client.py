"""The official Ghost Content API client, `@tryghost/content-api` (pinned in tests/ghost/node/package.json), run by
Node against a live Masthead server: what existing Ghost frontends do, end to end.

The client is installed from the npm registry with `npm ci` into `var/ghost-content-api/<lockfile hash>/` once, and
reused. A missing `node`/`npm` is a failure, never a skip (CI installs them: `.ci/run`).
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import shutil
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from articles.models import Article
from tests.articles.factories import ArticleFactory, AuthorFactory, SectionFactory, TagFactory

NODE_DIR = Path(__file__).resolve().parent / "node"
SECRET = "SECRET-AFTER-BOUNDARY"


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(
            f"`{name}` is not installed: the official Ghost client test needs Node.js 18+ and npm "
            "(Debian: apt-get install -y nodejs npm; .ci/run installs them)",
            pytrace=False,
        )
    return path


@pytest.fixture(scope="session")
def ghost_client_modules() -> Path:
    """node_modules holding the pinned client, installed once per lockfile under var/."""
    node, npm = _tool("node"), _tool("npm")
    lock = (NODE_DIR / "package-lock.json").read_bytes()
    target = Path(settings.BASE_DIR) / "var" / "ghost-content-api" / hashlib.sha256(lock).hexdigest()[:16]
    target.mkdir(parents=True, exist_ok=True)
    installed = target / "node_modules" / "@tryghost" / "content-api" / "package.json"
    with open(target / ".lock", "w") as guard:
        fcntl.flock(guard, fcntl.LOCK_EX)  # one `npm ci` at a time for concurrent runs
        if not installed.exists():
            for name in ("package.json", "package-lock.json"):
                shutil.copy(NODE_DIR / name, target / name)
            done = subprocess.run(
                [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
                cwd=target,
                capture_output=True,
                text=True,
                timeout=600,
            )
            if done.returncode != 0:
                pytest.fail(f"npm ci failed in {target}:\n{done.stdout}\n{done.stderr}", pytrace=False)
    version = json.loads(installed.read_text())["version"]
    assert version == "1.12.12", version
    subprocess.run([node, "--version"], check=True, capture_output=True)
    return target / "node_modules"


@pytest.fixture
def ghost_client(ghost_client_modules, live_server, tmp_path):
    """run(calls, key=...) -> {name: result}: one Node process running the calls in order (see node/client.cjs)."""

    def run(calls: list[dict], *, key: str) -> dict:
        calls_file = tmp_path / "calls.json"
        calls_file.write_text(json.dumps(calls))
        done = subprocess.run(
            [_tool("node"), str(NODE_DIR / "client.cjs"), live_server.url, key, str(calls_file)],
            capture_output=True,
            text=True,
            timeout=120,
            env={"PATH": "/usr/bin:/bin:/usr/local/bin", "GHOST_CLIENT_MODULES": str(ghost_client_modules)},
        )
        assert done.returncode == 0, done.stderr
        return {result["name"]: result for result in json.loads(done.stdout)}

    return run


@pytest.fixture
def content_key(transactional_db) -> str:
    from cms.ghost.keys import content_api_key_create

    _, raw = content_api_key_create(name="Official client test")
    return raw


@pytest.fixture
def newsroom(transactional_db):
    """Section `news` (a Ghost tag, primary), tags `war`/`economy`, authors ann/bob; six metered posts, a premium
    and a free one (each body carries SECRET after the preview boundary); an About page; the weekly plan (a
    transactional test cannot count on the data migrations' rows: an earlier one may have flushed them)."""
    from articles.models import Page
    from tests.paywall.factories import PlanFactory

    PlanFactory()

    news = SectionFactory(name="News", slug="news")
    war, economy = TagFactory(name="War", slug="war"), TagFactory(name="Economy", slug="economy")
    ann, bob = AuthorFactory(slug="ann", name="Ann Lee"), AuthorFactory(slug="bob", name="Bob Ray")
    now = timezone.now()
    metered = [
        ArticleFactory(
            title=f"Metered {i}",
            slug=f"metered-{i}",
            section=news,
            tags=[war] if i % 2 else [economy],
            authors=[ann] if i % 2 else [bob, ann],
            published_at=now - timedelta(hours=i + 1),
        )
        for i in range(6)
    ]
    premium = ArticleFactory(
        title="Premium story",
        slug="premium-story",
        section=news,
        tags=[war],
        authors=[bob],
        access_level=Article.AccessLevel.PREMIUM,
        published_at=now - timedelta(days=2),
    )
    free = ArticleFactory(
        title="Free story",
        slug="free-story",
        section=news,
        authors=[ann],
        access_level=Article.AccessLevel.FREE,
        published_at=now - timedelta(days=3),
    )
    Page.objects.create(
        title="About",
        slug="about",
        body="<p>About this newsroom.</p>",
        status="published",
        published_at=now - timedelta(days=30),
    )
    return {"metered": metered, "premium": premium, "free": free}


def _ids(result) -> list[str]:
    return [item["slug"] for item in result["data"]["list"]]


@pytest.mark.django_db(transaction=True)
def test_official_client_reads_every_resource(ghost_client, content_key, newsroom):
    from cms.ghost.ids import POST, ghost_id

    premium = newsroom["premium"]
    calls = [
        {"name": "page2", "resource": "posts", "options": {"limit": 3, "page": 2, "include": "tags,authors"}},
        {"name": "filtered", "resource": "posts", "options": {"filter": "tag:war+visibility:paid", "include": "tags"}},
        {"name": "or", "resource": "posts", "options": {"filter": "tag:economy,visibility:public", "limit": 15}},
        {"name": "recent", "resource": "posts", "options": {"filter": "published_at:>now-1d", "limit": 15}},
        {"name": "ordered", "resource": "posts", "options": {"order": "published_at asc", "limit": 2}},
        {"name": "fields", "resource": "posts", "options": {"fields": "title,slug", "limit": 2}},
        {"name": "plaintext", "resource": "posts", "options": {"formats": "plaintext", "limit": 1}},
        {"name": "bad_filter", "resource": "posts", "options": {"filter": "tag:(war"}},
        {"name": "by_id", "resource": "posts", "method": "read", "data": {"id": ghost_id(POST, premium.pk)}},
        {"name": "by_slug", "resource": "posts", "method": "read", "data": {"slug": "free-story"}},
        {"name": "missing", "resource": "posts", "method": "read", "data": {"slug": "no-such-post"}},
        {"name": "authors", "resource": "authors", "options": {"include": "count.posts"}},
        {"name": "author", "resource": "authors", "method": "read", "data": {"slug": "ann"}},
        {"name": "tags", "resource": "tags", "options": {"include": "count.posts", "limit": "all"}},
        {"name": "tag", "resource": "tags", "method": "read", "data": {"slug": "war"}},
        {"name": "pages", "resource": "pages"},
        {"name": "page", "resource": "pages", "method": "read", "data": {"slug": "about"}},
        {"name": "settings", "resource": "settings"},
        {"name": "tiers", "resource": "tiers"},
        {"name": "v2_all", "version": "v2", "resource": "posts", "options": {"limit": "all", "include": "tags"}},
        {"name": "bad_key", "key": "0" * 26, "resource": "posts"},
    ]
    got = ghost_client(calls, key=content_key)
    failed = {name: r["error"] for name, r in got.items() if not r["ok"]}
    assert set(failed) == {"bad_filter", "missing", "bad_key"}, failed

    page2 = got["page2"]
    assert page2["url"].startswith(f"{page2['url'].split('/ghost/')[0]}/ghost/api/content/posts/")
    assert page2["headers"]["content-version"].startswith("v5")
    assert page2["headers"]["access-control-allow-origin"] == "*"
    assert "Accept-Version" in page2["headers"]["vary"]
    assert page2["headers"]["etag"]  # a public browse: cacheable
    assert page2["data"]["meta"]["pagination"] == {"page": 2, "limit": 3, "pages": 3, "total": 8, "next": 3, "prev": 1}
    assert _ids(page2) == ["metered-3", "metered-4", "metered-5"]
    first = page2["data"]["list"][0]
    assert first["primary_tag"]["slug"] == "news"
    assert [t["slug"] for t in first["tags"]][:1] == ["news"]
    assert first["primary_author"]["slug"] == "ann" and first["authors"]

    assert _ids(got["filtered"]) == ["premium-story"]
    assert sorted(_ids(got["or"])) == ["free-story", "metered-0", "metered-2", "metered-4"]
    assert len(_ids(got["recent"])) == 6
    assert _ids(got["ordered"]) == ["free-story", "premium-story"]
    assert set(got["fields"]["data"]["list"][0]) <= {"id", "title", "slug"}
    assert "title" in got["fields"]["data"]["list"][0]
    assert "plaintext" in got["plaintext"]["data"]["list"][0]

    assert failed["bad_filter"]["type"] == "BadRequestError" and failed["bad_filter"]["status"] == 400
    assert failed["missing"]["type"] == "NotFoundError" and failed["missing"]["status"] == 404
    assert failed["bad_key"]["type"] == "UnauthorizedError" and failed["bad_key"]["status"] == 401

    assert got["by_id"]["data"]["slug"] == "premium-story"
    assert got["by_id"]["data"]["visibility"] == "paid" and got["by_id"]["data"]["access"] is False
    assert SECRET not in json.dumps(got["by_id"]["data"])
    assert got["by_slug"]["data"]["access"] is True and SECRET in got["by_slug"]["data"]["html"]

    authors = {a["slug"]: a for a in got["authors"]["data"]["list"]}
    assert authors["ann"]["count"]["posts"] == 7
    assert got["author"]["data"]["name"] == "Ann Lee"
    tags = {t["slug"]: t for t in got["tags"]["data"]["list"]}
    assert {"news", "war", "economy"} <= set(tags)
    assert tags["news"]["count"]["posts"] == 8
    assert got["tag"]["data"]["name"] == "War"
    assert _ids(got["pages"]) == ["about"]
    assert got["page"]["data"]["title"] == "About"
    assert got["settings"]["data"]["title"] and got["settings"]["data"]["lang"] and got["settings"]["data"]["timezone"]
    tiers = got["tiers"]["data"]["list"]
    assert any(t["type"] == "free" for t in tiers)

    v2 = got["v2_all"]
    assert "/ghost/api/v2/content/posts/" in v2["url"]
    assert v2["headers"]["content-version"].startswith("v2")
    assert len(v2["data"]["list"]) == 8


@pytest.mark.django_db(transaction=True)
def test_official_client_meters_anonymous_readers_and_opens_for_members(
    ghost_client, content_key, newsroom, subscriber
):
    from accounts.services import token_pair_issue
    from paywall.selectors import meter_limits

    limit = meter_limits()[0]
    slugs = [a.slug for a in newsroom["metered"]][: limit + 1]
    member = token_pair_issue(user=subscriber).access
    calls = [
        {"name": f"read-{i}", "resource": "posts", "method": "read", "data": {"slug": slug}, "reader": "anon"}
        for i, slug in enumerate(slugs)
    ]
    calls += [
        {"name": "reread", "resource": "posts", "method": "read", "data": {"slug": slugs[0]}, "reader": "anon"},
        {"name": "anon-browse", "resource": "posts", "options": {"limit": 15, "formats": "html,plaintext"}},
        {"name": "anon-premium", "resource": "posts", "method": "read", "data": {"slug": "premium-story"}},
        {
            "name": "member-premium",
            "resource": "posts",
            "method": "read",
            "data": {"slug": "premium-story"},
            "memberToken": member,
        },
        {
            "name": "member-browse",
            "resource": "posts",
            "options": {"filter": "visibility:paid"},
            "memberToken": member,
        },
    ]
    got = ghost_client(calls, key=content_key)
    assert all(r["ok"] for r in got.values()), {n: r.get("error") for n, r in got.items()}

    tokens = {got[f"read-{i}"]["headers"].get("x-reader-token") for i in range(len(slugs))}
    assert len(tokens) == 1 and None not in tokens  # one anonymous reader, identified by its X-Reader-Token
    for i in range(limit):
        post = got[f"read-{i}"]["data"]
        assert post["access"] is True and SECRET in post["html"], i
        assert "no-store" in got[f"read-{i}"]["headers"]["cache-control"]
    walled = got[f"read-{limit}"]["data"]
    assert walled["access"] is False
    assert SECRET not in json.dumps(walled)
    assert walled["html"] and len(walled["excerpt"]) <= 500
    assert got["reread"]["data"]["access"] is True  # an article counted today opens again

    for post in got["anon-browse"]["data"]["list"]:
        if post["visibility"] != "public":
            assert SECRET not in json.dumps(post), post["slug"]
    assert SECRET not in json.dumps(got["anon-premium"]["data"])
    assert got["anon-premium"]["data"]["access"] is False

    assert got["member-premium"]["data"]["access"] is True
    assert SECRET in got["member-premium"]["data"]["html"]
    assert got["member-browse"]["data"]["list"][0]["access"] is True
    assert SECRET in got["member-browse"]["data"]["list"][0]["html"]
