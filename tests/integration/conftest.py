"""Real processes for resilience tests: private Redis and PostgreSQL instances, gunicorn and Celery workers.

Nothing here touches the shared services' lifecycle: a test that stops Redis or PostgreSQL stops its own private
instance (`private_redis`, `private_postgres`). Servers started by a test point either at pytest-django's test
database (data created with factories in the test, `transactional_db`) or at the private cluster.

Under CI=true a missing binary or an unusable database is a failure; locally it is a skip.
"""

from __future__ import annotations

import contextlib
import http.client as httpclient
import os
import shutil
import subprocess
import sys
import urllib.parse
from pathlib import Path

import pytest
from django.conf import settings

# the process and server helpers live with the throwaway services of `make test`; re-exported for the tests here
from tests.throwaway_services import (  # noqa: F401
    PostgresCluster,
    Proc,
    RedisServer,
    free_port,
    pg_bindir,
    port_open,
    wait_for,
)

ROOT = Path(__file__).resolve().parents[2]
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def unavailable(reason: str):
    """Fail under CI (the environment must provide it), skip locally."""
    if IN_CI:
        pytest.fail(f"integration prerequisite missing under CI: {reason}")
    pytest.skip(reason)


def app_env(*, database_url: str, redis_url: str, **extra) -> dict:
    """The environment of an app process (gunicorn, Celery, manage.py): production-like settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST", "DATABASE_", "REDIS_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="cms.settings.base",
        DEBUG="0",
        # the test process's keys, so reader tokens and JWTs minted in the test are valid in the servers
        SECRET_KEY=settings.SECRET_KEY,
        JWT_SIGNING_KEY=settings.SIMPLE_JWT["SIGNING_KEY"],
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SECURE_SSL_REDIRECT="0",
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        CELERY_TASK_ALWAYS_EAGER="0",
        THROTTLE_ANON="1000000/min",
        THROTTLE_USER="1000000/min",
        THROTTLE_REGISTER="1000000/hour",
        THROTTLE_LOGIN="1000000/min",
        LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
    )
    if redis_url:
        env["CELERY_BROKER_URL"] = redis_url
    env.update({k: str(v) for k, v in extra.items()})
    return env


def smtp_and_worker_env(*, database_url: str, redis_url: str):
    """A real SMTP server (aiosmtpd, on a free port, collecting every message) and the environment of a Celery
    worker that sends through it: (handler, controller, env). The caller stops the controller."""
    from aiosmtpd.controller import Controller

    from tests.conftest import _CollectingSMTPHandler

    handler = _CollectingSMTPHandler()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    env = app_env(
        database_url=database_url,
        redis_url=redis_url,
        DJANGO_SETTINGS_MODULE="tests.integration.worker_settings",
        EMAIL_URL=f"smtp://127.0.0.1:{port}",
        EMAIL_TIMEOUT="5",
    )
    return handler, controller, env


def http(method: str, url: str, *, headers: dict | None = None, body: bytes | None = None, timeout: float = 10):
    """(status, headers with lower-case names, bytes); never follows redirects, never raises on 4xx/5xx."""
    parts = urllib.parse.urlsplit(url)
    conn = httpclient.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    try:
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        conn.close()


class Gunicorn(Proc):
    def __init__(self, env: dict, workers: int = 2):
        self.port = free_port()
        super().__init__(
            "gunicorn",
            [
                sys.executable,
                "-m",
                "gunicorn",
                "cms.wsgi",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                str(workers),
                "--timeout",
                "30",
                "--graceful-timeout",
                "3",
                "--no-control-socket",
            ],
            env=env,
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Gunicorn:
        super().start()
        try:
            wait_for(lambda: self.alive and http("GET", f"{self.url}/healthz", timeout=2)[0], timeout=30, what="http")
        except AssertionError:
            self.stop()
            raise AssertionError(f"gunicorn did not start:\n{self.log()}") from None
        return self


@pytest.fixture
def servers():
    """Start app processes with `servers.append(Gunicorn(...).start())`; all are stopped after the test."""
    started: list[Proc] = []
    yield started
    for proc in reversed(started):
        proc.stop()


# --- Redis --------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def _redis_session():
    if not shutil.which("redis-server"):
        unavailable("redis-server is not installed")
    server = RedisServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def private_redis(_redis_session):
    """A Redis only this test uses (may be stopped and started again); empty at the start of each test."""
    if _redis_session.proc is None:
        _redis_session.start()
    _redis_session.flush()
    yield _redis_session
    if _redis_session.proc is None:
        _redis_session.start()


# --- PostgreSQL ---------------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def private_postgres():
    """A private PostgreSQL cluster with a migrated database `mh_it` (a template: copy it per test with
    `CREATE DATABASE x TEMPLATE mh_it`)."""
    bindir = pg_bindir()
    if not bindir or not shutil.which("psql"):
        unavailable("PostgreSQL server binaries (initdb) are not installed")
    cluster = PostgresCluster(bindir)
    try:
        cluster.init()
        cluster.start()
        cluster.psql("CREATE DATABASE mh_it")
        env = app_env(database_url=cluster.url("mh_it"), redis_url="")
        result = subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput"],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert result.returncode == 0, result.stdout + result.stderr
        yield cluster
    except subprocess.CalledProcessError as exc:
        cluster.cleanup()
        pytest.fail(f"private PostgreSQL failed: {exc.cmd}: {exc.stderr}")
    finally:
        cluster.cleanup()


@pytest.fixture
def private_db(private_postgres, request):
    """A fresh migrated database on the private cluster, dropped after the test."""
    name = f"mh_it_{abs(hash(request.node.nodeid)) % 10**8}"
    private_postgres.psql(f"DROP DATABASE IF EXISTS {name}")
    private_postgres.psql(f"CREATE DATABASE {name} TEMPLATE mh_it")
    yield name
    with contextlib.suppress(Exception):
        private_postgres.psql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


# --- pytest-django's own test database, shared with subprocesses ----------------------------------------------------


@pytest.fixture
def test_database_url(transactional_db) -> str:
    """The URL of the test database, so servers see the rows this test creates (committed: transactional_db)."""
    db = settings.DATABASES["default"]
    if "postgresql" not in db["ENGINE"]:
        unavailable("integration tests need DATABASE_URL to point at PostgreSQL")
    from django.db import connection

    name = connection.settings_dict["NAME"]
    user = db.get("USER") or "postgres"
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    host = db.get("HOST") or "127.0.0.1"
    port = db.get("PORT") or 5432
    return f"postgres://{user}{password}@{host}:{port}/{name}"
