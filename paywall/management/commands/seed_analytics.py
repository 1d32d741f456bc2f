"""`python manage.py seed_analytics [--days 365] [--events-per-day 1000000]`: synthetic funnel aggregates and meter
distribution for benchmarks and demos (see `paywall.desk.seed`), behind a progress bar, with a summary."""

from __future__ import annotations

import time
from datetime import timedelta

from django.core.management.base import CommandError
from django.utils import timezone

from cms.core.management.base import ProgressCommand
from paywall.desk.seed import analytics_seed, analytics_seeded_days, analytics_subscribers_seed


class Command(ProgressCommand):
    help = (
        "Fill the revenue desk's daily aggregates (funnel by day, article, source and experiment arm; the meter "
        "distribution) with generated figures, for benchmarks and demos."
    )

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("--days", type=int, default=365, help="How many days, ending today (default 365).")
        parser.add_argument("--events-per-day", type=int, default=1_000_000, help="Events a day (default 1,000,000).")
        parser.add_argument(
            "--replace", action="store_true", help="Overwrite days that already hold aggregates (refused without it)."
        )
        parser.add_argument("--no-experiment", action="store_true", help="Do not seed the finished experiment.")
        parser.add_argument(
            "--subscribers", type=int, default=0, help="Generated paying subscribers to have (default 0; idempotent)."
        )
        parser.add_argument("--seed", type=int, default=16, help="Random seed (the same seed, the same figures).")

    def handle(self, *args, days, events_per_day, replace, no_experiment, subscribers, seed, no_progress, verbosity,
               **options):  # fmt: skip
        if not 1 <= days <= 3660:
            raise CommandError("--days must be between 1 and 3660.")
        if events_per_day < 0 or subscribers < 0:
            raise CommandError("--events-per-day and --subscribers must be 0 or more.")
        end = timezone.localdate()
        start = end - timedelta(days=days - 1)
        existing = analytics_seeded_days(start=start, end=end)
        if existing and not replace:
            raise CommandError(
                f"{existing} of these days already hold funnel aggregates (real ones?); --replace overwrites them."
            )
        started = time.monotonic()
        with self.progress_bar(total=days, unit="day", no_progress=no_progress, verbosity=verbosity) as bar:
            summary = analytics_seed(
                days=days,
                events_per_day=events_per_day,
                end=end,
                experiment=not no_experiment,
                seed=seed,
                progress=bar.update,
            )
        made = analytics_subscribers_seed(count=subscribers)
        if verbosity == 0:
            return
        out, t = self.stdout.write, summary.totals
        out(self.style.SUCCESS(f"Seeded {summary.days} days ({start} to {end}) in {time.monotonic() - started:.1f}s."))
        out(f"  funnel aggregates: {summary.funnel_rows} rows; meter distribution: {summary.usage_rows} rows")
        out(
            f"  readers {t.get('readers', 0):,}  paywall shown {t.get('paywall_shown', 0):,}  registered "
            f"{t.get('registered', 0):,}  trials {t.get('trials', 0):,}  paid {t.get('paid', 0):,}  counted reads "
            f"{t.get('counted_reads', 0):,}"
        )
        if subscribers:
            out(f"  paying subscribers: {made} created now ({subscribers} generated in all, @seed.invalid)")
        if summary.experiment:
            out(f"  experiment: {summary.experiment} (finished; changes nobody's meter)")
        out("  then: /admin/revenue-desk/?from=" + start.isoformat() + "&to=" + end.isoformat())
