"""With DATABASE_REPLICA_URL set, public API reads of content come from the replica; the meter, writes and
non-API pages use the primary. Proved with two real databases whose copies of one article differ."""

import contextlib
import subprocess
import sys

import pytest

from .conftest import ROOT, Gunicorn, app_env, http

pytestmark = pytest.mark.integration

CREATE_ARTICLE = """
import django
django.setup()
from tests.articles.factories import ArticleFactory
ArticleFactory(slug="routed-story", title="Primary title")
"""


def test_public_api_reads_content_from_the_replica_and_writes_the_primary(private_postgres, private_db, servers):
    # given a primary with one article, and a replica (a copy) where the same article has another title
    primary_url = private_postgres.url(private_db)
    env = app_env(database_url=primary_url, redis_url="")
    result = subprocess.run(
        [sys.executable, "-c", CREATE_ARTICLE], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    replica = f"{private_db}_replica"
    private_postgres.psql(f"DROP DATABASE IF EXISTS {replica}")
    private_postgres.psql(f"CREATE DATABASE {replica} TEMPLATE {private_db}")
    private_postgres.psql("UPDATE articles_article SET title = 'Replica title'", db=replica)
    try:
        server = Gunicorn({**env, "DATABASE_REPLICA_URL": private_postgres.url(replica)}, workers=1).start()
        servers.append(server)

        # when an anonymous reader opens the article through the API
        status, _, body = http("GET", server.url + "/api/v1/articles/routed-story/")

        # then the content came from the replica, and the counted read went to the primary only
        assert status == 200, body
        assert b'"title":"Replica title"' in body
        assert b'"body_is_preview":false' in body
        assert private_postgres.psql("SELECT count(*) FROM paywall_meterread", db=private_db) == "1"
        assert private_postgres.psql("SELECT count(*) FROM paywall_meterread", db=replica) == "0"

        # lists too; pages outside the API (feeds) read the primary
        status, _, body = http("GET", server.url + "/api/v1/articles/")
        assert status == 200 and b"Replica title" in body
        status, _, body = http("GET", server.url + "/feeds/latest/")
        assert status == 200 and b"Primary title" in body and b"Replica title" not in body
    finally:
        for proc in servers:
            proc.stop()
        with contextlib.suppress(Exception):
            private_postgres.psql(f"DROP DATABASE IF EXISTS {replica} WITH (FORCE)")
