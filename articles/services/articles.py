"""Writes to articles: save (sanitise, preview, search vector), publish, schedule, unpublish, archive.

Roles are enforced here, not only in the admin: publishing needs `articles.publish_article` (the "Editor" group);
a "Contributor" can write drafts but not publish, schedule or withdraw.
"""

from __future__ import annotations

from datetime import datetime

from django.db import connection, transaction
from django.utils import timezone
from django.utils.text import slugify

from cms.core.exceptions import ApplicationError, PermissionDenied

from ..models import Article
from .events import article_event_emit
from .html import body_split, html_sanitize, html_to_text

PUBLISH_PERMISSION = "articles.publish_article"


def _check_can_publish(user) -> None:
    if user is not None and not user.has_perm(PUBLISH_PERMISSION):
        raise PermissionDenied("Only editors can publish, schedule or withdraw articles.", code="cannot_publish")


def article_slug_unique(*, title: str, slug: str = "", exclude_pk: int | None = None) -> str:
    base = slugify(slug or title)[:280] or "article"
    candidate, n = base, 2
    qs = Article.objects.all()
    if exclude_pk:
        qs = qs.exclude(pk=exclude_pk)
    while qs.filter(slug=candidate).exists():
        candidate, n = f"{base}-{n}", n + 1
    return candidate


# An article's full-text vector, from its `title`, `dek` and `body` columns (also used by the bulk demo import,
# which computes it inside its INSERT ... SELECT rather than updating every row afterwards).
SEARCH_VECTOR_EXPRESSION = """
        setweight(to_tsvector('english', coalesce(title, '')), 'A')
        || setweight(to_tsvector('english', coalesce(dek, '')), 'B')
        || setweight(to_tsvector('english', regexp_replace(coalesce(body, ''), '<[^>]+>', ' ', 'g')), 'C')
"""
_SEARCH_VECTOR_SQL = "UPDATE articles_article SET search_vector = " + SEARCH_VECTOR_EXPRESSION  # noqa: S608


def search_vector_refresh(*, article_ids: list[int] | None = None) -> int:
    """Recompute the full-text vector (PostgreSQL only; the embedded SQLite default searches with LIKE)."""
    if connection.vendor != "postgresql":
        return 0
    with connection.cursor() as cursor:
        if article_ids is None:
            cursor.execute(_SEARCH_VECTOR_SQL + " WHERE search_vector IS NULL")
        else:
            cursor.execute(_SEARCH_VECTOR_SQL + " WHERE id = ANY(%s)", [list(article_ids)])
        return cursor.rowcount


def article_prepare(*, article: Article) -> Article:
    """Normalise an article in memory: sanitise the body, compute the preview, fill the slug."""
    article.body = html_sanitize(article.body)
    article.body, article.body_preview = body_split(article.body)
    article.dek = html_to_text(article.dek) if "<" in (article.dek or "") else (article.dek or "").strip()
    article.slug = article_slug_unique(title=article.title, slug=article.slug, exclude_pk=article.pk)
    return article


@transaction.atomic
def article_save(*, article: Article, user=None) -> Article:
    """Create or update an article as a draft-safe write. Status changes go through publish/schedule/unpublish.

    A contributor may save only drafts: if the instance's status was changed to a public state by someone
    without the publish permission, the save is refused.
    """
    is_new = article.pk is None
    previous_status, previous_version = None, 0
    if not is_new:
        previous_status, previous_version = (
            Article.objects.select_for_update().filter(pk=article.pk).values_list("status", "version").get()
        )
    if article.status != (previous_status or Article.Status.DRAFT):
        _check_can_publish(user)
    if article.status == Article.Status.PUBLISHED and article.published_at is None:
        article.published_at = timezone.now()
    if article.status == Article.Status.SCHEDULED and article.published_at is None:
        raise ApplicationError("A scheduled article needs a publication time.", field="published_at", code="required")
    article_prepare(article=article)
    if is_new and user is not None and getattr(user, "is_authenticated", False):
        article.created_by = user
    article.version = previous_version + 1
    article.save()
    search_vector_refresh(article_ids=[article.pk])
    if article.status == Article.Status.PUBLISHED:
        event = "article.published" if previous_status != Article.Status.PUBLISHED else "article.updated"
        article_event_emit(article=article, event=event)
    elif previous_status == Article.Status.PUBLISHED:
        article_event_emit(article=article, event="article.unpublished")
    return article


@transaction.atomic
def article_publish(*, article: Article, user=None, at: datetime | None = None) -> Article:
    """Publish now (or at `at` if in the future: schedule). Idempotent: publishing a published article is a no-op."""
    _check_can_publish(user)
    article = Article.objects.select_for_update().get(pk=article.pk)
    now = timezone.now()
    if at is not None and at > now:
        return article_schedule(article=article, user=user, at=at)
    if article.status == Article.Status.PUBLISHED:
        return article
    article.status = Article.Status.PUBLISHED
    if article.published_at is None or article.published_at > now:
        article.published_at = now
    article.version += 1
    article.save(update_fields=["status", "published_at", "version", "updated_at"])
    article_event_emit(article=article, event="article.published")
    return article


@transaction.atomic
def article_schedule(*, article: Article, user=None, at: datetime) -> Article:
    _check_can_publish(user)
    if at <= timezone.now():
        raise ApplicationError("The publication time must be in the future.", field="published_at", code="in_the_past")
    article = Article.objects.select_for_update().get(pk=article.pk)
    was_public = article.status == Article.Status.PUBLISHED
    article.status = Article.Status.SCHEDULED
    article.published_at = at
    article.version += 1
    article.save(update_fields=["status", "published_at", "version", "updated_at"])
    if was_public:
        article_event_emit(article=article, event="article.unpublished")
    return article


@transaction.atomic
def article_unpublish(*, article: Article, user=None, archive: bool = False) -> Article:
    """Withdraw a published article (back to draft, or archived). Does nothing if it is not public."""
    _check_can_publish(user)
    article = Article.objects.select_for_update().get(pk=article.pk)
    target = Article.Status.ARCHIVED if archive else Article.Status.DRAFT
    if article.status == target:
        return article
    was_public = article.status == Article.Status.PUBLISHED
    article.status = target
    article.version += 1
    article.save(update_fields=["status", "version", "updated_at"])
    if was_public:
        article_event_emit(article=article, event="article.unpublished")
    return article


def articles_publish_due(*, now: datetime | None = None) -> int:
    """Publish every scheduled article whose time has come. Idempotent and safe on two beat instances:
    each article is claimed under a row lock (SKIP LOCKED) and re-checked, so only one caller publishes it."""
    now = now or timezone.now()
    published = 0
    due_ids = list(
        Article.objects.filter(status=Article.Status.SCHEDULED, published_at__lte=now).values_list("pk", flat=True)
    )
    for pk in due_ids:
        with transaction.atomic():
            article = (
                Article.objects.select_for_update(skip_locked=True)
                .filter(pk=pk, status=Article.Status.SCHEDULED, published_at__lte=now)
                .first()
            )
            if article is None:  # already published by another beat, or being published right now
                continue
            article.status = Article.Status.PUBLISHED
            article.version += 1
            article.save(update_fields=["status", "version", "updated_at"])  # through the ORM: revision recorded
            published += 1
            article_event_emit(article=article, event="article.published")
    return published
