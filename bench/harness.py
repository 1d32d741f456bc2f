"""The benchmark harness behind `bench/run`: a production-like stack on loopback, wrk against every scenario,
medians of several runs, the floor measured in the same run, SQL queries per request, a markdown report.

Stack: PostgreSQL (the server at DATABASE_HOST, database `mh_bench` or `mh_bench_<N>`), Redis (db 15 by default),
one Celery worker, gunicorn (sync workers, `cms.wsgi`, `cms.settings.bench`, DEBUG=0). Nothing is timed as a
test assertion: this prints figures and writes bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
WORK = BENCH / ".work"
LUA = BENCH / "lua" / "requests.lua"

SCENARIOS = {
    # name: (label, protocol group for the targets, target ratio to the floor or None)
    "floor": ("Floor: bare Django view, 1 query, JsonResponse", "floor", None),
    "detail_anon": ("1. Detail, anonymous with allowance (counted read, fresh tokens)", "rest", 0.6),
    "detail_anon_cold": ("1c. Detail as 1, uniform over the whole archive (article cache cold)", "rest", None),
    "detail_subscriber": ("2. Detail, subscriber (JWT)", "rest", 0.6),
    "detail_metered_out": ("3. Detail, metered out (teaser + paywall)", "rest", None),
    "list": ("4. List of 20 (authors/section/tags), page cache warm", "rest", 0.4),
    "list_uncached": ("4b. List of 20, every request a cache miss", "rest", None),
    "list_section": ("5. Filtered list (section), page cache warm", "rest", None),
    "search": ("6. Full-text search, every request a cache miss", "rest", 0.05),
    "suggest": ("6b. Search suggestions (prefixes and typos), every request a cache miss", "rest", 0.3),
    "graphql_list": ("7. GraphQL list of 20 with authors/section/tags", "graphql", 0.25),
    "graphql_detail": ("8. GraphQL detail with body and access (counted read)", "graphql", None),
    "comments": ("9. A page of threaded comments (subscriber)", "rest", None),
    "ghost_browse": ("10. Ghost Content API browse of 15 with tags,authors, page cache warm", "rest", 0.4),
    "ghost_read": ("11. Ghost Content API read by slug, anonymous with allowance (counted read)", "rest", 0.6),
}
P99_TARGET_MS = 100
# every request must be a new line
FRESH = {"detail_anon", "detail_anon_cold", "graphql_detail", "list_uncached", "search", "suggest", "ghost_read"}


def log(message: str) -> None:
    print(f"[bench {dt.datetime.now():%H:%M:%S}] {message}", flush=True)


def run(cmd: list[str], env: dict, *, timeout: float = 3600, capture: bool = False) -> str:
    result = subprocess.run(cmd, cwd=ROOT, env=env, text=True, timeout=timeout, capture_output=capture)
    if result.returncode != 0:
        detail = (result.stderr or "")[-3000:] if capture else ""
        raise SystemExit(f"command failed ({result.returncode}): {' '.join(cmd)}\n{detail}")
    return result.stdout if capture else ""


def run_json(cmd: list[str], env: dict):
    """Run a helper that prints JSON on its last line."""
    return json.loads(run(cmd, env, capture=True).strip().splitlines()[-1])


def version(cmd: list[str]) -> str:
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=20)
        return (out.stdout or out.stderr).strip().splitlines()[0]
    except (OSError, IndexError, subprocess.TimeoutExpired):
        return "unknown"


def ensure_wrk() -> str:
    wrk = shutil.which("wrk")
    if wrk:
        return wrk
    log("wrk not found: installing the Debian package")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], env=env, check=False)
    subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], env=env, check=True)
    return shutil.which("wrk") or sys.exit("wrk is not available")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Service:
    def __init__(self, name: str, cmd: list[str], env: dict):
        self.name = name
        self.log_path = WORK / f"{name}.log"
        with self.log_path.open("ab") as out:
            self.proc = subprocess.Popen(
                cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=5)


def wait_http(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"{url} did not answer within {timeout}s")


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_by_pid(*, pgid: int | None = None, comm: str | None = None) -> dict[int, float]:
    """CPU time (user + system, seconds) of each live process in a process group, or with a given command name."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        name = stat[stat.index("(") + 1 : stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2 :].split()
        # fields[0] is field 3 (state): pgrp is field 5, utime 14, stime 15
        if (pgid is not None and int(fields[2]) == pgid) or (comm is not None and name == comm):
            found[int(entry.name)] = (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
    return found


def cpu_snapshot(app_pgid: int) -> dict:
    return {
        "app": cpu_by_pid(pgid=app_pgid),
        "postgres": cpu_by_pid(comm="postgres"),
        "redis": cpu_by_pid(comm="redis-server"),
    }


def cpu_delta(before: dict, after: dict) -> dict:
    """Per tier, the CPU spent between two snapshots by processes alive at the end (an exited one is not counted)."""
    return {tier: sum(max(t - before[tier].get(pid, 0.0), 0.0) for pid, t in after[tier].items()) for tier in after}


def settle(url: str, timeout: float = 60) -> None:
    """Wait until the server has drained the backlog a finished wrk run leaves in the listen queue."""
    time.sleep(0.5)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        started = time.monotonic()
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=5):
                pass
        except OSError:
            pass
        if time.monotonic() - started < 0.2:
            return
    log("warning: the server did not settle between runs")


def wrk_run(wrk: str, *, url: str, tsv: Path, threads: int, connections: int, seconds: int, offset: int) -> dict:
    cmd = [wrk, f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s", "-s", str(LUA), url, "--"]
    cmd += [str(tsv), str(threads), str(offset)]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 120)
    line = next((x for x in out.stdout.splitlines() if x.startswith("BENCH_JSON ")), None)
    if line is None:
        raise SystemExit(f"wrk gave no result:\n{out.stdout}\n{out.stderr}")
    data = json.loads(line.removeprefix("BENCH_JSON "))
    data["rps"] = data["requests"] / (data["duration_us"] / 1e6)
    settle(url)
    return data


def median_of(runs: list[dict]) -> dict:
    return {
        "rps": statistics.median(r["rps"] for r in runs),
        "p50_ms": statistics.median(r["p50_us"] for r in runs) / 1000,
        "p99_ms": statistics.median(r["p99_us"] for r in runs) / 1000,
        "errors": sum(r["non2xx"] + r["socket_errors"] + r["timeouts"] for r in runs),
        "requests": sum(r["requests"] for r in runs),
        "wraps": sum(r["wraps"] for r in runs),
        "runs": [round(r["rps"], 1) for r in runs],
    }


def stack_env(args, database: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_", "REDIS_", "CELERY_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="cms.settings.bench",
        DEBUG="0",
        SECRET_KEY=os.environ.get("BENCH_SECRET_KEY", "bench-only-secret-key-" + "k" * 40),
        DATABASE_URL=f"postgres://postgres@{args.db_host}:{args.db_port}/{database}",
        CONN_MAX_AGE="600",
        REDIS_URL=f"redis://127.0.0.1:6379/{args.redis_db}",
        CELERY_TASK_ALWAYS_EAGER="0",
        LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
    )
    return env


def database_ensure(args, database: str, n: int, env: dict) -> float:
    psql = ["psql", "-h", args.db_host, "-p", str(args.db_port), "-U", "postgres", "-tAc"]
    listed = subprocess.run([*psql, "SELECT datname FROM pg_database"], capture_output=True, text=True)
    if database not in listed.stdout.split():
        log(f"creating database {database}")
        run(["createdb", "-h", args.db_host, "-p", str(args.db_port), "-U", "postgres", database], env)
    log("migrate")
    run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], env)
    count_sql = "SELECT count(*) FROM articles_article WHERE status = 'published'"
    have = subprocess.run([*psql.copy()[:-1], "-d", database, "-tAc", count_sql], capture_output=True, text=True)
    current = int((have.stdout or "0").strip() or 0)
    if args.skip_seed or current >= n * 0.95:
        log(f"{current} published articles already in {database}: not seeding")
        return 0.0
    log(f"seed_demo --articles {n} (have {current})")
    started = time.monotonic()
    run(
        [sys.executable, "manage.py", "seed_demo", "--articles", str(n), "--no-images"],
        {**env, "CELERY_TASK_ALWAYS_EAGER": "1"},
    )
    vacuum = "from django.db import connection; connection.cursor().execute('VACUUM ANALYZE')"
    run([sys.executable, "manage.py", "shell", "-c", vacuum], env)
    return time.monotonic() - started


def bench_one_size(args, n: int, wrk: str) -> dict:
    database = args.database or ("mh_bench" if n == 100_000 else f"mh_bench_{n}")
    env = stack_env(args, database)
    seeded_in = database_ensure(args, database, n, env)
    subprocess.run(["redis-cli", "-n", str(args.redis_db), "flushdb"], capture_output=True)
    celery = Service(
        f"celery-{n}",
        [sys.executable, "-m", "celery", "-A", "cms", "worker", "-c", "1", "--loglevel=WARNING", "-n", "bench@%h"],
        env,
    )
    results: dict = {"articles": n, "database": database, "seeded_in_s": round(seeded_in, 1), "workers": {}}
    try:
        for workers in args.workers:
            work = WORK / f"n{n}-w{workers}"
            log(f"preparing readers and request files in {work.relative_to(ROOT)}")
            prepare = [sys.executable, "-m", "bench.prepare", "--out", str(work), "--lines", str(args.lines)]
            summary = run_json(prepare, env)
            results["summary"] = summary
            port = free_port()
            gunicorn = Service(
                f"gunicorn-{n}-{workers}",
                [sys.executable, "-m", "gunicorn", "cms.wsgi", "--bind", f"127.0.0.1:{port}", "--workers",
                 str(workers), "--no-control-socket", "--timeout", "60",
                 *(["--worker-class", "gthread", "--threads", str(args.gunicorn_threads)]
                   if args.gunicorn_threads > 1 else [])],
                env,
            )  # fmt: skip
            url = f"http://127.0.0.1:{port}"
            try:
                wait_http(url + "/healthz")
                per_scenario = {}
                for name in args.scenarios:
                    tsv = work / f"{name}.tsv"
                    offset = 0
                    # warm-up (connections, caches, JIT-free Python: imports and the first queries)
                    warm = wrk_run(wrk, url=url, tsv=tsv, threads=args.threads, connections=args.connections,
                                   seconds=args.warmup, offset=offset)  # fmt: skip
                    offset += warm["requests"] + 64
                    runs = []
                    cpu = {"app": 0.0, "postgres": 0.0, "redis": 0.0}
                    for i in range(args.runs):
                        before = cpu_snapshot(gunicorn.proc.pid)
                        r = wrk_run(wrk, url=url, tsv=tsv, threads=args.threads, connections=args.connections,
                                    seconds=args.duration, offset=offset)  # fmt: skip
                        delta = cpu_delta(before, cpu_snapshot(gunicorn.proc.pid))
                        for key in cpu:
                            cpu[key] += delta[key]
                        offset += r["requests"] + 64
                        runs.append(r)
                        errors = r["non2xx"] + r["socket_errors"]
                        log(f"n={n} w={workers} {name} run {i + 1}: {r['rps']:.0f} req/s p50 {r['p50_us'] / 1000:.1f} "
                            f"ms p99 {r['p99_us'] / 1000:.1f} ms errors {errors}")  # fmt: skip
                    per_scenario[name] = median_of(runs)
                    done = max(sum(r["requests"] for r in runs), 1)
                    # CPU milliseconds per request, per tier (includes the settle requests: a few per run)
                    per_scenario[name]["cpu_ms"] = {k: round(v * 1000 / done, 3) for k, v in cpu.items()}
                results["workers"][str(workers)] = per_scenario
            finally:
                gunicorn.stop()
        log("SQL queries per request")
        first = WORK / f"n{n}-w{args.workers[0]}"
        results["queries"] = run_json([sys.executable, "-m", "bench.query_counts", "--dir", str(first)], env)
    finally:
        celery.stop()
    return results


def machine() -> dict:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem_kb = int(
            next(x for x in Path("/proc/meminfo").read_text().splitlines() if x.startswith("MemTotal")).split()[1]
        )
    except (OSError, StopIteration, ValueError):
        mem_kb = 0
    import django

    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gb": round(mem_kb / 1024 / 1024, 1),
        "os": platform.platform(),
        "python": platform.python_version(),
        "django": django.get_version(),
        "postgresql": version(["psql", "-h", "127.0.0.1", "-U", "postgres", "-tAc", "SHOW server_version"]),
        "redis": version(["redis-server", "--version"]),
        "gunicorn": version([sys.executable, "-m", "gunicorn", "--version"]),
        "wrk": version(["wrk", "--version"]),
    }


VIEWS_PER_DAY = 10_000_000
PEAK_FACTOR = 5
TARGET_UTILISATION = 0.7


def capacity_lines(per: dict) -> list[str]:
    """CPU per request by tier (measured with /proc during the runs) and what 10 M views a day would need."""
    peak = VIEWS_PER_DAY / 86400 * PEAK_FACTOR
    lines = [
        "#### CPU per request, and cores for 10 M views a day",
        "",
        f"CPU time per request by tier, measured from /proc during the runs (first worker count). Cores for "
        f"{VIEWS_PER_DAY:,} views a day with a {PEAK_FACTOR}x peak = {peak:.0f} req/s, at "
        f"{TARGET_UTILISATION:.0%} utilisation, if every view were this request:",
        "",
        "| Scenario | app CPU ms | PostgreSQL CPU ms | Redis CPU ms | req/s per app core | req/s per DB core "
        "| app cores at peak | DB cores at peak |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, result in per.items():
        c = result["cpu_ms"]
        app, db, redis = c["app"], c["postgres"], c["redis"]
        per_app = 1000 / app if app else float("inf")
        per_db = 1000 / db if db else float("inf")
        lines.append(
            f"| {SCENARIOS[name][0]} | {app:.2f} | {db:.2f} | {redis:.2f} | {per_app:.0f} | {per_db:.0f} | "
            f"{peak / per_app / TARGET_UTILISATION:.1f} | {peak / per_db / TARGET_UTILISATION:.1f} |"
        )
    lines.append("")
    return lines


def report(args, sizes: list[dict], extra_notes: list[str]) -> str:
    m = machine()
    lines = [
        "# Benchmark results",
        "",
        f"Date: {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC. Command: `bench/run {' '.join(args.argv)}`",
        "",
        f"Machine: {m['cpu']}, {m['cores']} cores, {m['memory_gb']} GB; {m['os']}. Everything (wrk, gunicorn, "
        "PostgreSQL, Redis, Celery) on this one machine, over loopback.",
        f"Versions: Python {m['python']}, Django {m['django']}, PostgreSQL {m['postgresql']}, {m['redis']}, "
        f"{m['gunicorn']}, {m['wrk']}.",
        f"Load: wrk -t{args.threads} -c{args.connections}, {args.runs} runs of {args.duration} s per scenario after a "
        f"{args.warmup} s warm-up; medians. Ratio = req/s divided by the floor's req/s in the same run.",
        "",
    ]
    for size in sizes:
        summary = size.get("summary", {})
        lines += [f"## {size['articles']:,} articles (database `{size['database']}`)", ""]
        if size["seeded_in_s"]:
            lines += [f"Seeded with `seed_demo --articles {size['articles']}` in {size['seeded_in_s']:.0f} s.", ""]
        for workers, per in size["workers"].items():
            floor = per.get("floor", {}).get("rps")
            kind = f"gthread workers x {args.gunicorn_threads} threads" if args.gunicorn_threads > 1 else "sync workers"
            lines += [
                f"### gunicorn, {workers} {kind}",
                "",
                "| Scenario | req/s | p50 ms | p99 ms | ratio to floor | target | SQL queries (cold/warm) | errors |",
                "|---|---:|---:|---:|---:|---|---:|---:|",
            ]
            for name, result in per.items():
                label, group, target = SCENARIOS[name]
                ratio = result["rps"] / floor if floor else None
                verdict = ""
                if target is not None and workers == "2" and ratio is not None:
                    verdict = f"≥ {target} {'met' if ratio >= target else 'MISSED'}"
                if group == "rest" and workers == "2":
                    p99_ok = result["p99_ms"] < P99_TARGET_MS
                    verdict = (
                        verdict + "; " if verdict else ""
                    ) + f"p99 < {P99_TARGET_MS} {'met' if p99_ok else 'MISSED'}"
                q = size.get("queries", {}).get(name, {})
                queries = f"{q.get('cold', '?')}/{q.get('warm', '?')}" if q else "?"
                wrapped = bool(result["wraps"]) and name in FRESH
                errors = str(result["errors"]) + (f" (token pool wrapped {result['wraps']}x)" if wrapped else "")
                lines.append(
                    f"| {label} | {result['rps']:.0f} | {result['p50_ms']:.1f} | {result['p99_ms']:.1f} | "
                    f"{'' if ratio is None else f'{ratio:.2f}'} | {verdict} | {queries} | {errors} |"
                )
            lines.append("")
        first_workers = next(iter(size["workers"].values()), {})
        if first_workers and all("cpu_ms" in r for r in first_workers.values()):
            lines += capacity_lines(first_workers)
        if summary:
            lines += [
                f"Inputs: {summary.get('articles')} published articles; anonymous allowance "
                f"{summary.get('anonymous_limit')}/day; section `{summary.get('section')}`; search terms "
                f"{', '.join(summary.get('search_terms', []))} (each matches {summary.get('search_matches_avg', '?')} "
                f"articles on average); {summary.get('suggest_inputs', '?')} distinct suggestion inputs (prefixes "
                f"and typos); comments on `{summary.get('comments_article')}`.",
                "",
            ]
    if len(sizes) > 1:
        lines += ["## Scale: the same scenarios at each archive size (first worker count)", ""]
        names = [n for n in args.scenarios]
        lines += ["| Scenario | " + " | ".join(f"{s['articles']:,}" for s in sizes) + " |"]
        lines += ["|---|" + "---:|" * len(sizes)]
        w = str(args.workers[0])
        for name in names:
            cells = []
            for s in sizes:
                r = s["workers"].get(w, {}).get(name)
                cells.append(f"{r['rps']:.0f} req/s, p50 {r['p50_ms']:.1f} ms" if r else "")
            lines.append(f"| {SCENARIOS[name][0]} | " + " | ".join(cells) + " |")
        lines.append("")
    lines += ["## Notes", ""] + [f"- {n}" for n in extra_notes] + [""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(prog="bench/run", description="Masthead benchmarks (see docs/bench.md).")
    parser.add_argument("--articles", default="100000", help="comma-separated archive sizes, e.g. 1000,10000,100000")
    parser.add_argument("--workers", default="2,4", help="comma-separated gunicorn worker counts")
    parser.add_argument("--duration", type=int, default=15, help="seconds per run (>= 15 for reported figures)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument(
        "--gunicorn-threads",
        type=int,
        default=1,
        help="threads per gunicorn worker (gthread worker class when > 1; 1 = sync workers)",
    )
    parser.add_argument("--scenarios", default=",".join(SCENARIOS), help="comma-separated subset")
    parser.add_argument("--lines", type=int, default=80_000, help="prepared requests per fresh-reader scenario")
    parser.add_argument("--database", default="", help="database name (default mh_bench / mh_bench_<N>)")
    parser.add_argument("--db-host", default="127.0.0.1")
    parser.add_argument("--db-port", type=int, default=5432)
    parser.add_argument("--redis-db", type=int, default=15)
    parser.add_argument("--skip-seed", action="store_true")
    parser.add_argument("--no-meter-cost", action="store_true")
    parser.add_argument("--output", default=str(BENCH / "RESULTS.md"))
    parser.add_argument("--note", action="append", default=[], help="a line for the Notes section")
    args = parser.parse_args(argv)
    args.argv = argv
    args.workers = [int(w) for w in args.workers.split(",")]
    args.scenarios = [s for s in args.scenarios.split(",") if s]
    unknown = set(args.scenarios) - set(SCENARIOS)
    if unknown:
        parser.error(f"unknown scenarios: {', '.join(sorted(unknown))}")
    if "floor" not in args.scenarios:
        args.scenarios.insert(0, "floor")
    WORK.mkdir(parents=True, exist_ok=True)
    wrk = ensure_wrk()
    sizes = []
    for n in [int(x) for x in args.articles.split(",")]:
        sizes.append(bench_one_size(args, n, wrk))
        (WORK / "results.json").write_text(json.dumps(sizes, indent=2))
    notes = list(args.note)
    if not args.no_meter_cost:
        log("meter cost")
        env = stack_env(args, sizes[-1]["database"])
        cost = run([sys.executable, "-m", "bench.meter_cost"], env, capture=True)
        notes.append(
            "Paywall meter cost per request (bench/meter_cost.py, PostgreSQL):\n\n```\n" + cost.strip() + "\n```"
        )
    text = report(args, sizes, notes)
    Path(args.output).write_text(text)
    print(text)
    log(f"written {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
