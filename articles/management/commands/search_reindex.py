"""Rebuild the full-text search vectors (PostgreSQL), in batches, with a progress bar and a summary.

python manage.py search_reindex            # every article
python manage.py search_reindex --missing  # only articles without a vector (e.g. after a bulk import)
"""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand
from django.db import connection
from tqdm import tqdm

from articles.models import Article
from articles.services import search_vector_refresh


class Command(BaseCommand):
    help = "Rebuild the PostgreSQL full-text search vectors of articles, in batches, with progress."

    def add_arguments(self, parser):
        parser.add_argument("--missing", action="store_true", help="Only articles that have no vector yet.")
        parser.add_argument("--batch-size", type=int, default=2000)

    def handle(self, *args, missing: bool, batch_size: int, **options):
        if connection.vendor != "postgresql":
            self.stdout.write("The embedded SQLite database searches with LIKE; there is no index to rebuild.")
            return
        if batch_size < 1:
            self.stderr.write("--batch-size must be a positive integer.")
            return
        qs = Article.objects.order_by("pk")
        if missing:
            qs = qs.filter(search_vector__isnull=True)
        ids = list(qs.values_list("pk", flat=True))
        started, updated = time.monotonic(), 0
        with tqdm(total=len(ids), unit="article", desc="reindex", disable=not ids) as bar:
            for start in range(0, len(ids), batch_size):
                chunk = ids[start : start + batch_size]
                updated += search_vector_refresh(article_ids=chunk)
                bar.update(len(chunk))
        self.stdout.write(self.style.SUCCESS(f"Reindexed {updated} articles in {time.monotonic() - started:.1f}s."))
