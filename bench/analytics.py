"""The revenue desk at scale: the admin page and the analytics API timed in process over a year of aggregates.

    DATABASE_URL=postgres://... .venv/bin/python manage.py seed_analytics --days 365 --events-per-day 1000000
    DJANGO_SETTINGS_MODULE=cms.settings.bench DATABASE_URL=postgres://... .venv/bin/python -m bench.analytics

Each case is one request through Django's test client (the whole middleware stack, session auth as a staff user
holding paywall.view_analytics, the real database), sent `--iterations` times after one warm-up; prints the median
and the slowest wall time, the SQL queries and the response size, and whether each is under the 1 s requirement
(issue 16). No network and no load generator: it measures what one request costs the server, on whatever else
the machine is doing (say so when it was busy).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import timedelta

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cms.settings.bench")
django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from paywall.models import Experiment, FunnelDaily  # noqa: E402

EMAIL = "bench-analyst@masthead.local"
LIMIT_MS = 1000


def _analyst():
    User = get_user_model()
    user = User.objects.filter(email=EMAIL).first() or User.objects.create_user(email=EMAIL, password=None)
    if not (user.is_staff and user.is_superuser):
        user.is_staff = user.is_superuser = True
        user.save(update_fields=["is_staff", "is_superuser"])
    return user


def _cases(days: int) -> list[tuple[str, str]]:
    today = timezone.localdate()
    year = f"from={(today - timedelta(days=days - 1)).isoformat()}&to={today.isoformat()}"
    cases = [
        ("desk page, default 30 days", "/admin/revenue-desk/"),
        (f"desk page, {days} days", f"/admin/revenue-desk/?{year}"),
    ]
    api = f"/api/v1/analytics/funnel/?{year}"
    for group_by in ("day", "article", "arm", "source"):
        cases.append((f"API funnel by {group_by}, {days} days", f"{api}&group_by={group_by}"))
    cases.append((f"API funnel by day, {days} days, CSV", f"{api}&group_by=day&format=csv"))
    experiment = Experiment.objects.order_by("-start_at").first()
    if experiment is not None:
        cases.append(("API experiment, its whole run", f"/api/v1/analytics/experiments/{experiment.slug}/"))
    return cases


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=10)
    parser.add_argument("--days", type=int, default=365)
    args = parser.parse_args(argv)
    if connection.vendor != "postgresql":
        print(f"warning: measuring on {connection.vendor}, not PostgreSQL", file=sys.stderr)
    seeded = FunnelDaily.objects.filter(dimension=FunnelDaily.Dimension.TOTAL).count()
    if seeded < args.days:
        print(f"only {seeded} days of aggregates: run `manage.py seed_analytics --days {args.days}` first",
              file=sys.stderr)  # fmt: skip
        return 2
    rows = FunnelDaily.objects.count()
    client = Client()
    client.force_login(_analyst())
    print(f"{seeded} days of funnel aggregates ({rows:,} FunnelDaily rows); {args.iterations} requests per case")
    print(f"{'case':<42} {'status':>6} {'median ms':>10} {'max ms':>8} {'queries':>8} {'bytes':>9}  < 1 s")
    worst = 0.0
    for name, path in _cases(args.days):
        response = client.get(path)  # warm-up (and the status)
        times = []
        with CaptureQueriesContext(connection) as ctx:
            for _ in range(args.iterations):
                started = time.perf_counter()
                client.get(path)
                times.append((time.perf_counter() - started) * 1000)
        queries = len(ctx.captured_queries) / args.iterations
        median, slowest = statistics.median(times), max(times)
        worst = max(worst, slowest) if response.status_code == 200 else worst
        met = "met" if response.status_code == 200 and slowest < LIMIT_MS else "MISSED"
        print(f"{name:<42} {response.status_code:>6} {median:>10.1f} {slowest:>8.1f} {queries:>8.0f} "
              f"{len(response.content):>9,}  {met}")  # fmt: skip
    print(f"slowest request of any case: {worst:.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
