"""The docs pages are self-contained: Swagger UI (/api/docs/), ReDoc (/api/redoc/) and GraphiQL (/graphql/ with
DEBUG on) load every asset from Masthead's own static files, pinned (drf-spectacular-sidecar, and GraphiQL's files
vendored in cms/static/vendor/graphiql/ with graphene-django's versions and integrity hashes).

A real browser opens the three pages with every request to another host aborted and checks that each renders.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from django.contrib.staticfiles import finders

from cms.graphql.view import MastheadGraphQLView

# the browser test's fixtures: Debian's chromium driven by Playwright
from tests.articles.admin.test_browser import chromium_path, page  # noqa: F401 - fixtures used by name
from tests.articles.factories import SectionFactory

ROOT = Path(__file__).resolve().parents[2]
LOCAL_HOSTS = {"127.0.0.1", "localhost"}
ASSET = re.compile(r"""(?:src|href)=["']([^"']+)["']""")


def _assets(html: str) -> list[str]:
    return [url for url in ASSET.findall(html) if not url.startswith("#")]


def _graphiql_html(client, settings) -> str:
    settings.DEBUG = True
    response = client.get("/graphql/", HTTP_ACCEPT="text/html")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    return response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/docs/", "/api/redoc/"])
def test_the_api_docs_pages_load_only_our_static_files(client, path):
    html = client.get(path).content.decode()
    assets = _assets(html)
    assert any("/static/drf_spectacular_sidecar/" in url for url in assets), assets
    assert all(url.startswith("/static/") for url in assets), assets
    assert "https://" not in html and "http://" not in html


@pytest.mark.django_db
def test_graphiql_loads_only_our_static_files_each_matching_its_integrity_hash(client, settings):
    html = _graphiql_html(client, settings)
    assets = _assets(html)
    assert len(assets) == 9, assets  # 2 stylesheets, 7 scripts (graphene-django's own graphiql.js among them)
    assert all(url.startswith("/static/") for url in assets), assets
    integrity = dict(re.findall(r"""(?:src|href)="([^"]+)"\s+integrity="([^"]+)\"""", html))
    assert len(integrity) == 8
    for url in assets:
        path = finders.find(unquote(url.removeprefix("/static/")))
        assert path, f"{url} is not in the static files"
        if url in integrity:
            digest = base64.b64encode(hashlib.sha256(Path(path).read_bytes()).digest()).decode()
            assert integrity[url] == f"sha256-{digest}", url


def test_the_vendored_graphiql_versions_are_graphene_djangos():
    vendored = {p.name for p in (ROOT / "cms" / "static" / "vendor" / "graphiql").iterdir() if p.is_dir()}
    view = MastheadGraphQLView
    assert vendored == {
        f"whatwg-fetch@{view.whatwg_fetch_version}",
        f"react@{view.react_version}",
        f"react-dom@{view.react_version}",
        f"graphiql@{view.graphiql_version}",
        f"graphql-ws@{view.subscriptions_transport_ws_version}",
        f"graphiql-plugin-explorer@{view.graphiql_plugin_explorer_version}",
    }
    for folder in vendored:
        licences = (ROOT / "cms" / "static" / "vendor" / "graphiql" / folder).glob("LICENSE*")
        assert list(licences), f"{folder} has no licence"


COLLECT_AND_SERVE = r"""
import json, sys

import django

django.setup()
from django.core.management import call_command
from django.test import Client

call_command("collectstatic", "--noinput", verbosity=0)
client = Client()
print("RESULT " + json.dumps({path: client.get(path).status_code for path in sys.argv[1:]}))
"""


@pytest.mark.slow
@pytest.mark.django_db
def test_whitenoise_serves_the_docs_assets_in_production_after_collectstatic(client, settings, tmp_path):
    # given the assets the three pages name
    paths = {url for path in ("/api/docs/", "/api/redoc/") for url in _assets(client.get(path).content.decode())}
    paths |= set(_assets(_graphiql_html(client, settings)))
    # when a production process (DEBUG off) collects the static files and serves them through whitenoise
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST"))}
    env.update(DJANGO_SETTINGS_MODULE="cms.settings.base", DEBUG="0", SECRET_KEY="x" * 50,
               ALLOWED_HOSTS="testserver", SECURE_SSL_REDIRECT="0", STATIC_ROOT=str(tmp_path / "static"))  # fmt: skip
    result = subprocess.run(
        [sys.executable, "-c", COLLECT_AND_SERVE, *sorted(paths)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    statuses = json.loads(next(line for line in result.stdout.splitlines() if line.startswith("RESULT "))[7:])
    # then every one is served
    assert statuses == dict.fromkeys(sorted(paths), 200)


# --- in a real browser, with the outside world cut off ------------------------------------------------------------


@pytest.fixture
def offline_page(page):  # noqa: F811 - the browser test's Chromium page, imported above
    """A Chromium page whose requests to any host but 127.0.0.1/localhost are aborted; `page.blocked` lists them."""
    page.set_default_timeout(30_000)
    blocked: list[str] = []
    errors: list[str] = []
    refused: list[str] = []

    def guard(route):
        if urlsplit(route.request.url).hostname in LOCAL_HOSTS:
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    page.route("**/*", guard)
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)
    page.blocked, page.errors, page.refused = blocked, errors, refused
    return page


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)  # the live server reads the section from its own connection
def test_swagger_redoc_and_graphiql_render_with_outside_requests_blocked(live_server, offline_page, settings):
    browser = offline_page
    settings.DEBUG = True  # GraphiQL is offered with DEBUG on
    SectionFactory(name="Coalition SOF")

    # Swagger UI lists the operations
    browser.goto(f"{live_server.url}/api/docs/")
    browser.locator('.opblock-summary-path[data-path="/api/v1/articles/"]').first.wait_for()

    # ReDoc shows the API's title
    browser.goto(f"{live_server.url}/api/redoc/")
    browser.locator("h1", has_text="Masthead API").first.wait_for()

    # GraphiQL renders its editor and runs a query
    browser.goto(f"{live_server.url}/graphql/")
    browser.locator(".graphiql-query-editor .CodeMirror").first.wait_for()
    browser.evaluate(
        "document.querySelector('.graphiql-query-editor .CodeMirror').CodeMirror.setValue('{ sections { name } }')"
    )
    browser.locator(".graphiql-execute-button").first.click()
    browser.locator(".graphiql-response", has_text="Coalition SOF").first.wait_for()

    assert browser.blocked == []
    assert browser.errors == []
    # ReDoc's hard-coded Redocly logo is the one load its page's policy refuses in the browser (no request leaves)
    assert all("https://cdn.redoc.ly/redoc/logo-mini.svg" in message for message in browser.refused), browser.refused
