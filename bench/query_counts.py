"""SQL queries per request for each benchmark scenario, measured in-process with Django's test client.

    DJANGO_SETTINGS_MODULE=cms.settings.bench DATABASE_URL=... python -m bench.query_counts --dir bench/.work/w2

Each scenario's request is sent twice: `cold` after emptying the cache (the bench's own Redis db), `warm` the same
kind of request again, i.e. the steady state under load. Fresh-reader scenarios use two different unused lines from the
end of their file, so both are counted reads. Prints JSON {scenario: {"cold": n, "warm": n, "status": code}}.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cms.settings.bench")
django.setup()

from django.core.cache import cache  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402


def _parse(line: str):
    method, path, header_text, body = (line.rstrip("\n").split("\t") + ["", "", "", ""])[:4]
    headers = {}
    for item in filter(None, header_text.split("|")):
        name, _, value = item.partition(": ")
        headers[name] = value
    return method, path, headers, body


def _send(client: Client, method: str, path: str, headers: dict, body: str):
    content_type = headers.pop("Content-Type", "application/json")
    if method == "POST":
        return client.post(path, data=body, content_type=content_type, headers=headers)
    return client.get(path, headers=headers)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", required=True, type=Path)
    parser.add_argument("--show-sql", action="store_true")
    args = parser.parse_args(argv)
    results = {}
    for tsv in sorted(args.dir.glob("*.tsv")):
        lines = tsv.read_text().splitlines()
        picks = [lines[-1], lines[-2]] if len(lines) > 1 else [lines[0], lines[0]]
        counts = []
        status = None
        cache.clear()  # cold: the bench's own Redis db, emptied before each scenario's first request
        for line in picks:
            method, path, headers, body = _parse(line)
            client = Client()
            with CaptureQueriesContext(connection) as ctx:
                response = _send(client, method, path, headers, body)
            status = response.status_code
            counts.append(len(ctx.captured_queries))
            if args.show_sql:
                print(f"-- {tsv.stem} ({status})", file=sys.stderr)
                for q in ctx.captured_queries:
                    print("   ", q["sql"][:200], file=sys.stderr)
        results[tsv.stem] = {"cold": counts[0], "warm": counts[1], "status": status}
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
