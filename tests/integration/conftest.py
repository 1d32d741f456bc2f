"""Real processes for resilience tests: private Redis and PostgreSQL instances, gunicorn and Celery workers.

Nothing here touches the shared services' lifecycle: a test that stops Redis or PostgreSQL stops its own private
instance (`private_redis`, `private_postgres`). Servers started by a test point either at pytest-django's test
database (data created with factories in the test, `transactional_db`) or at the private cluster.

Under CI=true a missing binary or an unusable database is a failure; locally it is a skip.
"""

from __future__ import annotations

import contextlib
import glob
import http.client as httpclient
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def unavailable(reason: str):
    """Fail under CI (the environment must provide it), skip locally."""
    if IN_CI:
        pytest.fail(f"integration prerequisite missing under CI: {reason}")
    pytest.skip(reason)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(predicate, *, timeout: float, interval: float = 0.1, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            value = predicate()
        except Exception:  # noqa: BLE001 - polling: any failure means "not yet"
            value = None
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex(("127.0.0.1", port)) == 0


class Proc:
    """A subprocess in its own session, stopped (with all its children) by `stop()`; output goes to a log file."""

    def __init__(self, name: str, args: list[str], env: dict | None = None, cwd: Path = ROOT):
        self.name = name
        self.args = args
        self.env = env
        self.cwd = cwd
        self.log_path = Path(tempfile.mkstemp(prefix=f"mh-{name}-", suffix=".log")[1])
        self.popen: subprocess.Popen | None = None

    def start(self) -> Proc:
        log = open(self.log_path, "ab")  # noqa: SIM115 - closed by the child's exit
        self.popen = subprocess.Popen(
            self.args, cwd=self.cwd, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        log.close()
        return self

    @property
    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def kill(self, sig=signal.SIGKILL):
        """Signal the whole process group (a prefork worker's children too)."""
        if self.popen is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, sig)

    def stop(self, timeout: float = 10):
        if self.popen is None:
            return
        if self.popen.poll() is None:
            self.kill(signal.SIGTERM)
            try:
                self.popen.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.kill(signal.SIGKILL)
                self.popen.wait(timeout=5)
        # a SIGKILLed parent may leave children behind in its group
        self.kill(signal.SIGKILL)
        self.popen = None

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-5000:]
        except OSError:
            return ""


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


class RedisServer:
    def __init__(self):
        self.binary = shutil.which("redis-server")
        self.port = free_port()
        self.proc: Proc | None = None

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self):
        self.proc = Proc(
            "redis",
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        ).start()
        wait_for(lambda: port_open(self.port), timeout=10, what="redis")

    def stop(self):
        if self.proc:
            self.proc.kill(signal.SIGKILL)
            self.proc.popen.wait(timeout=5)
            self.proc = None

    def flush(self):
        import redis

        redis.Redis(host="127.0.0.1", port=self.port).flushall()


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


def _pg_bindir() -> str | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if found:
        return str(Path(found[-1]).parent)
    initdb = shutil.which("initdb")
    return str(Path(initdb).parent) if initdb else None


class PostgresCluster:
    """A throwaway cluster (initdb in a temp dir, trust auth, fsync off) on its own port."""

    def __init__(self, bindir: str):
        self.bindir = bindir
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="mh-pg-"))
        self.data = self.dir / "data"
        self.as_postgres = os.geteuid() == 0  # initdb refuses to run as root

    def _run(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
        cmd = list(args)
        if self.as_postgres:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=True)

    def init(self):
        if self.as_postgres:
            shutil.chown(self.dir, user="postgres", group="postgres")
        self._run(f"{self.bindir}/initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8",
                  "--locale=C.UTF-8", "--no-sync")  # fmt: skip

    def start(self):
        options = (
            f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c full_page_writes=off -c max_connections=100"
        )
        self._run(f"{self.bindir}/pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.dir / "log"), "-w",
                  "-t", "30", "start")  # fmt: skip

    def stop(self, mode: str = "fast"):
        self._run(f"{self.bindir}/pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "30", "stop")

    def crash(self):
        """Stop like a crash: connections are cut, the next start runs crash recovery."""
        self.stop(mode="immediate")

    def url(self, dbname: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{dbname}"

    def psql(self, sql: str, *, db: str = "postgres") -> str:
        result = subprocess.run(
            ["psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-d", db, "-tAX", "-v",
             "ON_ERROR_STOP=1", "-c", sql],
            capture_output=True, text=True, timeout=30,
        )  # fmt: skip
        if result.returncode != 0:
            raise AssertionError(f"psql failed: {result.stderr}")
        return result.stdout.strip()

    def cleanup(self):
        with contextlib.suppress(Exception):
            self.stop(mode="immediate")
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(scope="session")
def private_postgres():
    """A private PostgreSQL cluster with a migrated database `mh_it` (a template: copy it per test with
    `CREATE DATABASE x TEMPLATE mh_it`)."""
    bindir = _pg_bindir()
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
