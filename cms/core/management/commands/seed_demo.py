"""`python manage.py seed_demo [--articles N]`: the demo newsroom, idempotently.

Runs twice without creating duplicates. It lives in cms/ because it composes every app's demo module: the
accounts (`accounts.demo`), the demo subscriber's subscription (`paywall.demo`), a comment thread
(`comments.demo`), the Ghost API's pages, site settings and key (`cms.ghost.demo`) and the articles
(`articles.demo`).
`--articles 100000` bulk-inserts in batches behind a progress bar, for benchmarks; above 5,000 articles on
PostgreSQL it loads them with COPY (1,000,000 articles in 16 minutes on a busy 2-core box). Generated articles
are a demo import, not editorial actions: they are written without signals, webhook events or (above 5,000)
history rows; the public cache is purged once at the end.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import CommandError

from accounts.demo import demo_accounts_ensure
from articles.demo.loader import demo_content_ensure
from articles.models import Article
from cms.core.management.base import ProgressCommand
from cms.ghost.demo import demo_ghost_ensure
from comments.demo import demo_comments_ensure
from paywall.demo import demo_subscriptions_ensure

SUBSCRIBER_EMAIL = "subscriber@masthead.local"
EDITOR_EMAIL = "editor@masthead.local"


class Command(ProgressCommand):
    help = "Load the demo newsroom: accounts, sections, authors, articles, comments, pages (idempotent)."

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument(
            "--articles",
            type=int,
            default=60,
            help="How many generated articles (default 60; 100000 or 1000000 for benchmarks). They are a bulk demo "
            "import, not editorial actions: no signals, webhook events or (above 5,000) history rows; above 5,000 "
            "on PostgreSQL they are loaded with COPY.",
        )
        parser.add_argument("--no-images", action="store_true", help="Skip the section pictures (faster).")

    def handle(self, *args, articles: int, no_images: bool, no_progress: bool, verbosity: int, **options):
        if articles < 0:
            raise CommandError("--articles must be 0 or more.")
        started = time.monotonic()
        accounts = self._accounts_ensure()

        bar = self.progress_bar(
            total=articles, unit="article", no_progress=no_progress, verbosity=verbosity, hide_below=1000
        )
        try:
            summary = demo_content_ensure(articles=articles, progress=bar.update, with_images=not no_images)
        finally:
            bar.close()

        extras = self._extras_ensure(reference_slug=summary.reference_slug)
        elapsed = time.monotonic() - started
        if verbosity == 0:
            return
        out = self.stdout.write
        out(self.style.SUCCESS(f"Demo content ready in {elapsed:.1f}s."))
        out(
            f"  articles: {summary.articles_total} ({summary.articles_created} created now; "
            + ", ".join(f"{level} {n}" for level, n in summary.by_access_level.items())
            + f"; published {summary.articles_published})"
        )
        out(
            f"  sections: {summary.sections}  authors: {summary.authors}  tags: {summary.tags}  "
            f"images: {summary.images}"
        )
        out(f"  reference article: {summary.reference_slug}")
        for line in extras:
            out(f"  {line}")
        base = settings.PUBLIC_BASE_URL.rstrip("/")
        out("")
        out("Logins (password after the colon):")
        for role, email, password in accounts:
            out(f"  {role:<12} {email}: {password}")
        out("")
        out("URLs:")
        out(f"  admin      {base}/admin/")
        out(f"  API docs   {base}/api/docs/  {base}/api/redoc/  (schema {base}/api/schema/)")
        out(f"  articles   {base}/api/v1/articles/  (reference: {base}/api/v1/articles/{summary.reference_slug}/)")
        out(f"  GraphQL    {base}/graphql/")
        out(f"  feeds      {base}/feeds/latest/  {base}/feeds/latest/atom/  {base}/sitemap.xml")
        out(f"  health     {base}/healthz")

    def _accounts_ensure(self) -> list[tuple[str, str, str]]:
        return list(demo_accounts_ensure())

    def _extras_ensure(self, *, reference_slug: str) -> list[str]:
        lines = []
        User = get_user_model()
        subscriber = User.objects.filter(email__iexact=SUBSCRIBER_EMAIL).first()
        editor = User.objects.filter(email__iexact=EDITOR_EMAIL).first()
        if subscriber is not None:
            subscription = demo_subscriptions_ensure(subscriber_email=SUBSCRIBER_EMAIL)
            if subscription is not None:
                lines.append(f"subscription: {SUBSCRIBER_EMAIL} ({subscription.status})")
        if subscriber is not None and editor is not None:
            demo_comments_ensure(article=Article.objects.get(slug=reference_slug), subscriber=subscriber, editor=editor)
            lines.append("comments: a subscriber's comment and an editor's reply on the reference article")
        lines.extend(demo_ghost_ensure())
        return lines
