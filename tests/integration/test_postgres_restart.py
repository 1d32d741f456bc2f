"""PostgreSQL crashes and restarts during a burst of comment posts: requests that fail get a 503 (never a 500),
no comment is half-written (every row answered 201 exists once, the article's counter matches its rows), and
posting succeeds again after the restart without restarting the app servers."""

import json
import subprocess
import sys
import threading
import time

import pytest

from .conftest import ROOT, Gunicorn, app_env, http, wait_for

pytestmark = pytest.mark.integration

WRITERS = 4

SETUP = f"""
import django, json
django.setup()
from datetime import timedelta
from django.utils import timezone
from rest_framework_simplejwt.tokens import RefreshToken
from tests.accounts.factories import UserFactory
from tests.articles.factories import ArticleFactory
from tests.paywall.factories import SubscriptionFactory
ArticleFactory(slug="burst", access_level="free")
tokens = []
for i in range({WRITERS}):
    user = UserFactory(email=f"writer{{i}}@example.com", email_verified_at=timezone.now())
    SubscriptionFactory(user=user, status="active", current_period_end=timezone.now() + timedelta(days=7))
    tokens.append(str(RefreshToken.for_user(user).access_token))
print(json.dumps(tokens))
"""


def test_postgres_restart_during_a_comment_burst(private_postgres, private_db, private_redis, servers):
    # given subscribers posting comments as fast as they can through two gunicorn workers
    env = app_env(
        database_url=private_postgres.url(private_db),
        redis_url=private_redis.url(0),
        COMMENTS_RATE_PER_MINUTE=1_000_000,
        COMMENTS_RATE_PER_DAY=1_000_000,
        COMMENTS_POST_POLICY="subscribers",
    )
    result = subprocess.run(
        [sys.executable, "-c", SETUP], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    tokens = json.loads(result.stdout.strip().splitlines()[-1])
    server = Gunicorn(env, workers=2).start()
    servers.append(server)
    answers: list[tuple[float, int, str, dict]] = []
    lock = threading.Lock()
    stop = threading.Event()

    def writer(n: int):
        i = 0
        while not stop.is_set():
            body = f"comment {n}-{i}"
            i += 1
            try:
                status, headers, raw = http(
                    "POST",
                    f"{server.url}/api/v1/articles/burst/comments/",
                    headers={"Authorization": f"Bearer {tokens[n]}", "Content-Type": "application/json"},
                    body=json.dumps({"body": body}).encode(),
                    timeout=10,
                )
            except OSError as exc:  # the app server itself must stay up: record it as a failure
                status, headers, raw = -1, {}, repr(exc).encode()
            with lock:
                answers.append((time.monotonic(), status, body, {"headers": headers, "raw": raw[:300]}))

    threads = [threading.Thread(target=writer, args=(n,), daemon=True) for n in range(WRITERS)]
    for t in threads:
        t.start()
    try:
        wait_for(lambda: sum(a[1] == 201 for a in answers) >= 20, timeout=20, what="20 comments posted")

        # when PostgreSQL crashes in the middle of the burst, stays down a moment, and comes back
        private_postgres.crash()
        crashed = time.monotonic()
        time.sleep(1.5)
        private_postgres.start()
        restarted = time.monotonic()
        wait_for(
            lambda: sum(a[1] == 201 and a[0] > restarted for a in answers) >= 10,
            timeout=20,
            what="10 comments posted after the restart",
        )
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=15)

    # then failures were 503 with Retry-After, and nothing else went wrong
    statuses = {a[1] for a in answers}
    assert statuses <= {201, 503}, [a for a in answers if a[1] not in (201, 503)][:3]
    failed = [a for a in answers if a[1] == 503]
    assert failed, "no request hit the outage"
    assert all(crashed - 1 <= a[0] for a in failed)
    assert all(a[3]["headers"].get("retry-after") and b'"unavailable"' in a[3]["raw"] for a in failed)

    # and no partial rows: every acknowledged comment exists exactly once; the rest only if its commit won the race
    rows = private_postgres.psql("SELECT body FROM articles_comment ORDER BY id", db=private_db).splitlines()
    assert len(rows) == len(set(rows))
    posted = {a[2] for a in answers if a[1] == 201}
    assert posted <= set(rows)
    assert set(rows) - posted <= {a[2] for a in failed}
    count = private_postgres.psql("SELECT comment_count FROM articles_article WHERE slug = 'burst'", db=private_db)
    visible = private_postgres.psql("SELECT count(*) FROM articles_comment WHERE status = 'visible'", db=private_db)
    assert int(count) == int(visible) == len(rows)
