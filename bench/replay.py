"""In-process replay of a prepared bench file through the WSGI handler: CPU per request, garbage collections, and
optionally a cProfile (CPU time) of the replay. No network, no load generator: for before/after comparisons of one
request path that the machine's noise would hide under load (bench/RESULTS.md, third session).

    DJANGO_SETTINGS_MODULE=cms.settings.bench DEBUG=0 SECRET_KEY=... DATABASE_URL=... REDIS_URL=... \\
        .venv/bin/python bench/replay.py bench/.work/n100000-w2/detail_subscriber.tsv 2000 [--skip N] [--profile out]

The first 200 lines warm the process; the next N are measured. Lines are those of bench/prepare.py (METHOD, PATH,
headers joined by "|", body).
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, os.getcwd())


def _environ(line: str) -> dict:
    fields = line.split("\t")
    path, _, query = fields[1].partition("?")
    body = fields[3].encode() if len(fields) > 3 and fields[3] else b""
    environ = {
        "REQUEST_METHOD": fields[0],
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "HTTP_HOST": "127.0.0.1:8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "CONTENT_LENGTH": str(len(body)),
    }
    for header in fields[2].split("|") if len(fields) > 2 and fields[2] else []:
        name, _, value = header.partition(": ")
        key = name.upper().replace("-", "_")
        environ[key if key in ("CONTENT_TYPE", "CONTENT_LENGTH") else f"HTTP_{key}"] = value
    return environ


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file")
    parser.add_argument("n", type=int)
    parser.add_argument("--skip", type=int, default=0, help="start this many lines into the file")
    parser.add_argument("--profile", default="", help="write a cProfile (CPU time) of the measured requests here")
    args = parser.parse_args()

    import django
    from django.core.wsgi import get_wsgi_application

    django.setup()
    app = get_wsgi_application()
    lines = Path(args.file).read_text().splitlines()[args.skip : args.skip + args.n + 200]
    statuses: dict[str, int] = {}

    def start_response(status, headers, exc_info=None):
        statuses[status[:3]] = statuses.get(status[:3], 0) + 1

    for line in lines[:200]:
        b"".join(app(_environ(line), start_response))
    environs = [_environ(line) for line in lines[200:]]
    statuses.clear()
    collections = [0]
    gc.callbacks.append(lambda phase, info: collections.__setitem__(0, collections[0] + (phase == "start")))
    profile = cProfile.Profile(time.process_time) if args.profile else None
    cpu, wall = time.process_time(), time.perf_counter()
    if profile:
        profile.enable()
    for environ in environs:
        b"".join(app(environ, start_response))
    if profile:
        profile.disable()
        profile.dump_stats(args.profile)
    n = len(environs)
    print(
        f"{n} requests: {1000 * (time.process_time() - cpu) / n:.3f} ms CPU/req, "
        f"{1000 * (time.perf_counter() - wall) / n:.3f} ms wall/req, status {statuses}, gc runs {collections[0]}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
