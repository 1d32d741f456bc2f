"""What the paywall meter costs per request: `access_decide` timed on the real database (run it on PostgreSQL).

    DJANGO_SETTINGS_MODULE=cms.settings.bench DATABASE_URL=postgres://... python -m bench.meter_cost [--iterations 300]

Cases: a counted read by a new anonymous reader (record=True: the transaction, row lock and two writes), a look that
must not count (record=False), a re-read already counted today, a free article, a subscriber. Prints the median and
p95 wall time per call and the SQL queries per call; the meter's own cost is "counted read" minus "free article".
Rows written by the counted reads are deleted afterwards.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cms.settings.bench")
django.setup()

from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from articles.models import Article  # noqa: E402
from paywall.models import MeterPeriod, MeterRead  # noqa: E402
from paywall.readers import Reader, reader_token_issue  # noqa: E402
from paywall.services import access_decide  # noqa: E402


def _time(fn, iterations: int) -> tuple[float, float, float]:
    times = []
    with CaptureQueriesContext(connection) as ctx:
        for _ in range(iterations):
            started = time.perf_counter()
            fn()
            times.append((time.perf_counter() - started) * 1e6)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.95) - 1], len(ctx.captured_queries) / iterations


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=300)
    args = parser.parse_args(argv)
    if connection.vendor != "postgresql":
        print(f"warning: measuring on {connection.vendor}, not PostgreSQL", file=sys.stderr)
    published = Article.objects.published()
    metered = list(published.filter(access_level="metered")[:50])
    free = published.filter(access_level="free").first()
    if not metered or free is None:
        print("need published metered and free articles: run seed_demo first", file=sys.stderr)
        return 2
    from bench.prepare import _subscriber

    subscriber = Reader(user=_subscriber())
    n = args.iterations
    keys: list[str] = []

    def counted():
        anon_id, _ = reader_token_issue()
        keys.append(f"a:{anon_id}")
        decision = access_decide(reader=Reader(anon_id=anon_id), article=metered[0], record=True)
        assert decision.counted, decision

    looker = Reader(anon_id=reader_token_issue()[0])
    rereader = Reader(anon_id=reader_token_issue()[0])
    keys += [looker.key, rereader.key]
    access_decide(reader=rereader, article=metered[1], record=True)
    cases = [
        ("counted read (record=True, new reader)", counted),
        ("look (record=False)", lambda: access_decide(reader=looker, article=metered[2], record=False)),
        (
            "re-read, already counted (record=True)",
            lambda: access_decide(reader=rereader, article=metered[1], record=True),
        ),
        ("free article (no meter)", lambda: access_decide(reader=looker, article=free, record=True)),
        ("subscriber (no meter)", lambda: access_decide(reader=subscriber, article=metered[3], record=True)),
    ]
    with CaptureQueriesContext(connection):
        for _ in range(20):  # warm connections and caches
            connection.cursor().execute("SELECT 1")
    base, _, _ = _time(lambda: connection.cursor().execute("SELECT 1"), n)
    rows = [("one `SELECT 1` round trip (reference)", base, None, 1.0)]
    for label, fn in cases:
        fn()
        median, p95, queries = _time(fn, n)
        rows.append((label, median, p95, queries))
    MeterRead.objects.filter(reader_key__in=keys).delete()
    MeterPeriod.objects.filter(reader_key__in=keys).delete()

    print(f"access_decide on {connection.vendor} ({n} calls each; microseconds per call)")
    print(f"{'case':44} {'median':>8} {'p95':>8} {'queries':>8}")
    for label, median, p95, queries in rows:
        p95_text = "" if p95 is None else f"{p95:8.0f}"
        print(f"{label:44} {median:8.0f} {p95_text:>8} {queries:8.1f}")
    meter = rows[1][1] - rows[4][1]
    print(f"meter cost of a counted read over a free article: {meter:.0f} us per request")
    return 0


if __name__ == "__main__":
    sys.exit(main())
