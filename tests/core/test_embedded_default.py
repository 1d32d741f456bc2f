"""The embedded default still works: `make run` needs no server (SQLite, in-process cache, Celery eager).

The suite runs on PostgreSQL and Redis (`make test` starts throwaway ones), so this one test drives the embedded
default end to end in a subprocess with `DATABASE_URL=sqlite:///...` and no REDIS_URL: `migrate`, `seed_demo`, then
the WSGI app through Django's test client: the article list, three counted reads then the paywall, a GraphQL query.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow

SERVE = r"""
import json

import django

django.setup()
from django.conf import settings
from django.test import Client

client = Client()
out = {"engine": settings.DATABASES["default"]["ENGINE"], "cache": settings.CACHES["default"]["BACKEND"],
       "eager": settings.CELERY_TASK_ALWAYS_EAGER}
listing = client.get("/api/v1/articles/")
out["list_status"] = listing.status_code
results = listing.json()["results"]
out["list_count"] = len(results)
metered = [a["slug"] for a in results if a["access_level"] == "metered"][:4]
token, reads = None, []
for slug in metered:
    response = client.get(f"/api/v1/articles/{slug}/", **({"HTTP_X_READER_TOKEN": token} if token else {}))
    token = token or response.headers.get("X-Reader-Token")
    data = response.json()
    reads.append({"status": response.status_code, "granted": data["access"]["granted"],
                  "reason": data["access"]["reason"], "preview": data["body_is_preview"],
                  "paywall": (data["paywall"] or {}).get("code")})
out["reads"] = reads
graphql = client.post("/graphql/", data=json.dumps({"query": "{ sections { name } }"}),
                      content_type="application/json")
out["graphql_status"] = graphql.status_code
out["graphql"] = graphql.json()
health = client.get("/healthz")
out["health"] = {"http": health.status_code, **health.json()}
searched = client.get("/api/v1/articles/", {"search": "afghanistan", "order": "relevance"})
out["search"] = {"http": searched.status_code, "count": len(searched.json()["results"])}
suggested = client.get("/api/v1/search/suggest/", {"q": "Afgh"})
out["suggest"] = {"http": suggested.status_code, "results": suggested.json()["results"]}

# the one-statement loader (cms.core.db.rows) converts SQLite's values as the ORM does
from django.contrib.auth import get_user_model
from articles import selectors
from articles.models import Article
from accounts.selectors import user_get_by_id

def values(obj, skip=("search_vector",)):
    return {f.attname: repr(getattr(obj, f.attname)) for f in type(obj)._meta.concrete_fields if f.name not in skip}

loaded = selectors.article_get(slug=metered[0])
orm = Article.objects.select_related("section").get(slug=metered[0])
user = get_user_model().objects.order_by("pk").first()
out["rows"] = {
    "article": values(loaded) == values(orm),
    "section": values(loaded.section) == values(orm.section),
    "aware": loaded.published_at.utcoffset() is not None,
    "byline": [a.name for a in selectors.article_authors(loaded)] == [a.name for a in selectors.article_authors(orm)],
    "user": values(user_get_by_id(user_id=user.pk)) == values(user),
}
print("RESULT " + json.dumps(out))
"""


def _embedded_env(tmp_path: Path) -> dict:
    dropped = ("DJANGO_", "PYTEST", "DATABASE_", "REDIS_", "CELERY_", "CACHE")
    env = {k: v for k, v in os.environ.items() if not k.startswith(dropped)}
    env.update(
        DJANGO_SETTINGS_MODULE="cms.settings.base",
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        MEDIA_ROOT=str(tmp_path / "media"),
        EMAIL_URL="dummymail://",
        DEBUG="1",
        PYTHONUNBUFFERED="1",
    )
    return env


def _run(args: list[str], env: dict) -> str:
    result = subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, f"{args} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result.stdout


def test_the_embedded_default_migrates_seeds_and_serves_without_any_server(tmp_path):
    # given the embedded default: SQLite, no Redis, no broker
    env = _embedded_env(tmp_path)
    _run(["manage.py", "migrate", "--noinput"], env)
    seeded = _run(["manage.py", "seed_demo", "--articles", "12", "--no-images", "--no-progress"], env)
    assert "Demo content ready" in seeded

    # when the app is served
    output = _run(["-c", SERVE], env)
    result = json.loads(next(line for line in output.splitlines() if line.startswith("RESULT "))[7:])

    # then it runs on SQLite, an in-process cache and eager Celery ...
    assert result["engine"] == "django.db.backends.sqlite3"
    assert result["cache"] == "django.core.cache.backends.locmem.LocMemCache"
    assert result["eager"] is True
    assert result["health"]["http"] == 200 and result["health"]["status"] == "ok"
    assert result["health"]["checks"]["database"]["vendor"] == "sqlite"
    # ... lists articles ...
    assert result["list_status"] == 200 and result["list_count"] > 0
    # ... counts an anonymous reader's reads: three full bodies, then the paywall ...
    reads = result["reads"]
    assert len(reads) == 4, "the demo list should carry at least four metered articles"
    for read in reads[:3]:
        assert read == {"status": 200, "granted": True, "reason": "metered", "preview": False, "paywall": None}
    assert reads[3] == {
        "status": 200,
        "granted": False,
        "reason": "meter_exhausted",
        "preview": True,
        "paywall": "meter_exhausted",
    }
    # ... searches with the substring fallback (reported as the `gin` method) and suggests by prefix ...
    assert result["health"]["search"] == {"method": "gin"}
    assert result["search"]["http"] == 200 and result["search"]["count"] > 0
    assert result["suggest"]["http"] == 200
    assert {"type": "tag", "text": "Afghanistan", "slug": "afghanistan"}.items() <= result["suggest"]["results"][
        0
    ].items()
    # ... loads the hot reads' instances exactly as the ORM does (cms.core.db.rows on SQLite) ...
    assert result["rows"] == {"article": True, "section": True, "aware": True, "byline": True, "user": True}
    # ... and answers GraphQL
    assert result["graphql_status"] == 200, result["graphql"]
    assert "errors" not in result["graphql"]
    assert result["graphql"]["data"]["sections"]
