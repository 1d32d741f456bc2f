"""What the long-running management commands (seed_demo, seed_analytics) share."""

from __future__ import annotations

from django.core.management.base import BaseCommand
from tqdm import tqdm


class ProgressCommand(BaseCommand):
    """A command that can run for minutes behind a progress bar; `--no-progress` or `--verbosity 0` hides it.
    Subclasses call `super().add_arguments(parser)` first."""

    def add_arguments(self, parser):
        parser.add_argument("--no-progress", action="store_true", help="No progress bar.")

    def progress_bar(self, *, total: int, unit: str, no_progress: bool, verbosity: int, hide_below: int = 0) -> tqdm:
        """A tqdm bar over `total` units (also hidden when `total` is under `hide_below`: too quick to watch)."""
        hidden = no_progress or verbosity == 0 or total < hide_below
        return tqdm(total=total, unit=unit, disable=hidden, mininterval=0.5)
