"""Throwaway PostgreSQL and Redis servers: for one `make test` run, and for the integration tests' private instances.

`python -m tests.throwaway_services -- <command...>` runs the command (the test suite) with `DATABASE_URL` and
`REDIS_URL` pointing at servers started for it, unless they are already set (CI, or a developer's own servers):

- PostgreSQL: Debian's server binaries (`/usr/lib/postgresql/<major>/bin`), `initdb` into a temporary directory,
  trust auth, a free port on 127.0.0.1, fsync off (the data is thrown away);
- Redis: `redis-server` on a free port on 127.0.0.1, nothing kept on disk.

Both are stopped and their directory deleted when the command ends, however it ends (failure, Ctrl-C, SIGTERM). When
a binary is missing and we are root, the Debian packages (`postgresql`, `redis-server`) are installed with apt-get
first, so `make test` works on a fresh machine; otherwise the error says what to install.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEBIAN_PACKAGES = {"postgresql": "postgresql", "redis": "redis-server"}


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
            self.proc.log_path.unlink(missing_ok=True)
            self.proc = None

    def flush(self):
        import redis

        redis.Redis(host="127.0.0.1", port=self.port).flushall()


# --- PostgreSQL ---------------------------------------------------------------------------------------------------


def pg_bindir() -> str | None:
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
        # own session: a Ctrl-C in the terminal reaches the test run, which stops the server in order
        return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=True, start_new_session=True)

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


# --- one test run ---------------------------------------------------------------------------------------------------


def missing_packages(env: dict) -> list[str]:
    """The Debian packages a run needs and does not have: only for the services not given by URL."""
    missing = []
    if not env.get("DATABASE_URL") and not pg_bindir():
        missing.append(DEBIAN_PACKAGES["postgresql"])
    if not env.get("REDIS_URL") and not shutil.which("redis-server"):
        missing.append(DEBIAN_PACKAGES["redis"])
    return missing


def packages_install(packages: list[str]) -> None:
    if not packages:
        return
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        raise SystemExit(
            f"make test needs {' and '.join(packages)} (Debian: apt-get install -y {' '.join(packages)}), "
            "or DATABASE_URL / REDIS_URL pointing at running servers."
        )
    print(f"throwaway services: installing {' '.join(packages)} with apt-get", file=sys.stderr, flush=True)
    apt_env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=apt_env)
    subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", *packages], check=True, env=apt_env)


def postgres_start(stack: contextlib.ExitStack) -> str:
    cluster = PostgresCluster(pg_bindir())
    stack.callback(cluster.cleanup)
    cluster.init()
    cluster.start()
    cluster.psql("CREATE DATABASE masthead")
    return cluster.url("masthead")


def redis_start(stack: contextlib.ExitStack) -> str:
    server = RedisServer()
    stack.callback(server.stop)
    server.start()
    return server.url(0)


def command_run(command: list[str], env: dict) -> int:
    """Run the command to its end. Ctrl-C reaches it from the terminal (we wait for it to finish and clean up);
    SIGTERM and SIGHUP sent to us are passed on to it."""
    child = subprocess.Popen(command, env=env)  # noqa: S603 - the command line make gave us
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, lambda signum, frame: child.send_signal(signum))
    try:
        code = child.wait()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 128 - code if code < 0 else code  # killed by a signal: the shell's 128 + N


def _terminated(signum, frame):
    raise SystemExit(128 + signum)


def main(argv: list[str]) -> int:
    command = argv[argv.index("--") + 1 :] if "--" in argv else argv
    if not command:
        raise SystemExit("usage: python -m tests.throwaway_services -- <command...>")
    signal.signal(signal.SIGTERM, _terminated)  # until the command runs: clean up what was started, then exit
    env = dict(os.environ)
    packages_install(missing_packages(env))
    with contextlib.ExitStack() as stack:
        if not env.get("DATABASE_URL"):
            env["DATABASE_URL"] = postgres_start(stack)
            print(f"throwaway PostgreSQL: {env['DATABASE_URL']}", file=sys.stderr, flush=True)
        if not env.get("REDIS_URL"):
            env["REDIS_URL"] = redis_start(stack)
            print(f"throwaway Redis: {env['REDIS_URL']}", file=sys.stderr, flush=True)
        return command_run(command, env)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
