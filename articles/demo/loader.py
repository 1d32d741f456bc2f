"""Loading the demo newsroom: taxonomy, pictures, the reference article and N generated articles. Idempotent.

Natural keys everywhere: sections, tags and authors by slug, images by title, articles by their deterministic slug,
so a second run creates nothing and a run with a larger `count` only adds the missing articles.

Generated articles are bulk-inserted (articles, then byline and tag rows) in batches, with the preview cut done in
Python by the same `body_split` that `article_save` uses (their HTML comes from fixed templates, so it is clean by
construction). On PostgreSQL each batch's full-text vectors are computed right after its INSERT by
`search_vector_refresh(article_ids=...)`, overlapping with the next batch being built; a final
`search_vector_refresh()` picks up anything left (SQLite has no vectors: it searches with LIKE).
Large seeds on PostgreSQL (more than COPY_THRESHOLD articles, for benchmarks) take `demo_articles_copy` instead:
COPY into a temporary table, then one INSERT ... SELECT per batch that computes the vectors with the product's own
SQL expression, so every row is written once. Neither bulk path sends signals, writes history rows or emits webhook
events: a demo import is not an editorial action.
The reference article goes through `article_save` like an editor's.
"""

from __future__ import annotations

import io
import random
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.core.files.base import ContentFile
from django.db import connection, transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.text import slugify
from PIL import Image as PILImage
from PIL import ImageDraw, ImageFilter

from cms.core.caching import content_generation_bump

from ..models import Article, ArticleAuthor, Author, Image, Section, Tag
from ..services import article_save, body_split, search_vector_refresh
from ..services.articles import SEARCH_VECTOR_EXPRESSION
from ..services.images import image_save
from .generator import AUTHORS, SECTIONS, TAGS, DemoArticle, demo_article
from .reference import HERO_ALT, HERO_CAPTION, reference_article_load

REFERENCE_AUTHOR = "Aisha Rahimi"
RELATED_COUNT = 4
BATCH_SIZE = 2000
HISTORY_LIMIT = 5000  # below this, generated articles also get their first revision (cheap); above, skipped
COPY_THRESHOLD = 5000  # above this, on PostgreSQL, generated articles are loaded by `demo_articles_copy`
COPY_BATCH_SIZE = 5000
COPY_WORKERS = 2  # batches loaded side by side, each in its own connection (see demo_articles_copy)
SPREAD_HOURS = 3 * 365 * 24  # large seeds spread publication times over three years


@dataclass
class DemoSummary:
    sections: int = 0
    tags: int = 0
    authors: int = 0
    images: int = 0
    articles_created: int = 0
    articles_total: int = 0
    articles_published: int = 0
    reference_slug: str = ""
    by_access_level: dict = field(default_factory=dict)


@dataclass
class DemoTaxonomy:
    """What the demo articles are filed under and signed by, by name (`images`: a hero picture per section)."""

    sections: dict[str, Section]
    tags: dict[str, Tag]
    authors: dict[str, Author]
    images: dict[str, Image] = field(default_factory=dict)


def demo_taxonomy_ensure() -> DemoTaxonomy:
    sections = {}
    for ordering, (name, description) in enumerate(SECTIONS):
        sections[name], _ = Section.objects.get_or_create(
            slug=slugify(name), defaults={"name": name, "description": description, "ordering": ordering * 10}
        )
    tags = {name: Tag.objects.get_or_create(slug=slugify(name), defaults={"name": name})[0] for name in TAGS}
    authors = {
        name: Author.objects.get_or_create(slug=slugify(name), defaults={"name": name, "bio": bio})[0]
        for name, bio in AUTHORS
    }
    return DemoTaxonomy(sections=sections, tags=tags, authors=authors)


def _picture(*, seed: str, width: int = 1600, height: int = 900) -> bytes:
    """A deterministic landscape (sky, ridgelines, sun) as JPEG: demo pictures are made, never downloaded."""
    rng = random.Random(seed)
    top = (rng.randint(60, 140), rng.randint(90, 160), rng.randint(150, 220))
    bottom = (rng.randint(200, 250), rng.randint(170, 220), rng.randint(120, 180))
    mask = PILImage.linear_gradient("L").resize((width, height))  # 0 at the top, 255 at the bottom
    picture = PILImage.composite(
        PILImage.new("RGB", (width, height), bottom), PILImage.new("RGB", (width, height), top), mask
    )
    draw = ImageDraw.Draw(picture)
    sun_x, sun_y, r = rng.randint(200, width - 200), rng.randint(120, height // 3), rng.randint(40, 80)
    draw.ellipse([sun_x - r, sun_y - r, sun_x + r, sun_y + r], fill=(255, 236, 190))
    for layer in range(4):
        base = height * (0.45 + layer * 0.13)
        shade = 110 - layer * 25
        colour = (shade + rng.randint(-10, 10), shade - 10 + rng.randint(-10, 10), shade - 30)
        points, x = [(0, height)], 0
        while x <= width:
            points.append((x, base - rng.randint(0, 180 - layer * 30)))
            x += rng.randint(60, 160)
        points += [(width, base), (width, height)]
        draw.polygon(points, fill=colour)
    picture = picture.filter(ImageFilter.BoxBlur(1))
    buffer = io.BytesIO()
    picture.save(buffer, format="JPEG", quality=85)
    return buffer.getvalue()


def demo_image_ensure(*, title: str, credit: str, alt: str, caption: str = "") -> Image:
    image = Image.objects.filter(title=title).order_by("pk").first()
    if image is not None:
        return image
    image = Image(title=title, credit=credit, alt=alt, caption=caption)
    image.file = ContentFile(_picture(seed=title), name=f"{slugify(title)}.jpg")  # dimensions read on assignment
    return image_save(image=image)


def demo_reference_article_ensure(*, taxonomy: DemoTaxonomy) -> Article:
    ref = reference_article_load()
    article = Article.objects.filter(slug=ref.slug).first()
    if article is not None:
        return article
    section = (
        taxonomy.sections.get(ref.section)
        or Section.objects.get_or_create(slug=slugify(ref.section), defaults={"name": ref.section})[0]
    )
    hero = demo_image_ensure(
        title="Northern Afghanistan (reference hero)", credit=ref.credit, alt=HERO_ALT, caption=HERO_CAPTION
    )
    article = Article(
        title=ref.title,
        slug=ref.slug,
        dek=ref.dek,
        body=ref.body_html(),
        status=Article.Status.PUBLISHED,
        published_at=timezone.now() - timedelta(hours=1),
        section=section,
        hero_image=hero,
        source_name=ref.source_name,
        source_url=ref.source_url,
        access_level=Article.AccessLevel.METERED,
        seo_title=ref.title,
        seo_description=ref.dek[:320],
    )
    with transaction.atomic():
        article_save(article=article, user=None)  # the system publishes: no role check
        ArticleAuthor.objects.get_or_create(
            article=article, author=taxonomy.authors[REFERENCE_AUTHOR], defaults={"order": 0}
        )
        article.tags.add(*(taxonomy.tags[name] for name in ref.tags if name in taxonomy.tags))
    return article


def demo_related_ensure(*, article: Article) -> None:
    """Hand-picked "More from Coalition SOF" for the reference article (only if an editor has not picked any)."""
    if article.related_articles.exists():
        return
    picks = (
        Article.objects.published()
        .filter(section_id=article.section_id)
        .exclude(pk=article.pk)
        .order_by("-published_at")[:RELATED_COUNT]
    )
    article.related_articles.set(list(picks))


def _articles_build(*, numbers: range, context: dict) -> list[tuple[DemoArticle, Article]]:
    """Pure Python (no queries): runs in a helper thread while the previous batch is being inserted."""
    built = []
    for number in numbers:
        d = demo_article(number)
        body, preview = body_split(d.body)  # generated from fixed templates: already clean HTML
        published = d.status == Article.Status.PUBLISHED
        article = Article(
            title=d.title,
            slug=d.slug,
            dek=d.dek,
            body=body,
            body_preview=preview,
            status=d.status,
            published_at=context["now"] - timedelta(hours=2 + number * context["hours_per_article"])
            if published
            else None,
            section=context["sections"][d.section],
            hero_image=context["images"].get(d.section),
            access_level=d.access_level,
            seo_description=d.dek[:320],
        )
        built.append((d, article))
    return built


def _build_context(*, count: int, taxonomy: DemoTaxonomy, now) -> dict:
    """What building articles 1..count needs (`_articles_build`): their dates spread back from `now`, at most five
    hours apart; their sections and hero images."""
    return {
        "now": now or timezone.now(),
        "hours_per_article": min(5.0, SPREAD_HOURS / max(count, 1)),
        "sections": taxonomy.sections,
        "images": taxonomy.images,
    }


def _batches(count: int, batch_size: int) -> list[range]:
    """The numbers 1..count in consecutive ranges of `batch_size`."""
    return [range(start, min(start + batch_size, count + 1)) for start in range(1, count + 1, batch_size)]


def demo_articles_ensure(
    *,
    count: int,
    taxonomy: DemoTaxonomy,
    batch_size: int | None = None,
    progress: Callable[[int], None] | None = None,
    now: datetime | None = None,
) -> int:
    """Bulk-insert the generated articles 1..count that do not exist yet. Returns how many were created.

    Batches are built in a helper thread (pure Python) while the main thread inserts the previous batch, so the
    database and the interpreter work at the same time; each batch's full-text vectors are computed in the same
    transaction (`search_vector_refresh(article_ids=...)`), also while the next batch is being built.
    More than COPY_THRESHOLD articles on PostgreSQL go through `demo_articles_copy` (same articles, faster).
    """
    if count > COPY_THRESHOLD and connection.vendor == "postgresql":
        return demo_articles_copy(
            count=count,
            taxonomy=taxonomy,
            batch_size=batch_size or COPY_BATCH_SIZE,
            progress=progress,
            now=now,
        )
    batch_size = batch_size or BATCH_SIZE
    context = _build_context(count=count, taxonomy=taxonomy, now=now)
    tag_through = Article.tags.through
    batches = _batches(count, batch_size)
    created = 0
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="seed-build") as pool:
        pending = pool.submit(_articles_build, numbers=batches[0], context=context) if batches else None
        for index, numbers in enumerate(batches):
            built = pending.result()
            if index + 1 < len(batches):
                pending = pool.submit(_articles_build, numbers=batches[index + 1], context=context)
            existing = set(Article.objects.filter(slug__in=[d.slug for d, _ in built]).values_list("slug", flat=True))
            new = [(d, a) for d, a in built if d.slug not in existing]
            if new:
                with transaction.atomic():
                    articles = Article.objects.bulk_create([a for _, a in new], batch_size=batch_size)
                    ids = {a.slug: a.pk for a in articles}
                    if None in ids.values():  # a backend that does not return ids from a bulk insert
                        ids = dict(Article.objects.filter(slug__in=list(ids)).values_list("slug", "id"))
                    ArticleAuthor.objects.bulk_create(
                        [
                            ArticleAuthor(article_id=ids[d.slug], author=taxonomy.authors[name], order=order)
                            for d, _ in new
                            for order, name in enumerate(d.authors)
                        ],
                        batch_size=batch_size * 2,
                        ignore_conflicts=True,
                    )
                    tag_through.objects.bulk_create(
                        [
                            tag_through(article_id=ids[d.slug], tag_id=taxonomy.tags[name].pk)
                            for d, _ in new
                            for name in d.tags
                        ],
                        batch_size=batch_size * 3,
                        ignore_conflicts=True,
                    )
                    search_vector_refresh(article_ids=list(ids.values()))  # while the next batch is built
                    if count <= HISTORY_LIMIT:
                        for article in articles:
                            article.pk = ids[article.slug]
                        Article.history.bulk_history_create(articles, default_change_reason="seed_demo")
                created += len(new)
            if progress:
                progress(len(numbers))
    return created


def _copy_value(value) -> str:
    """One value in PostgreSQL's COPY text format (str, int, bool, datetime or None)."""
    if value is None:
        return "\\N"
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value).replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def _article_ids_allocate(cursor, count: int) -> list[int]:
    """`count` fresh article ids from the table's own sequence."""
    cursor.execute(
        "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)", [Article._meta.db_table, count]
    )
    return [row[0] for row in cursor.fetchall()]


def _copy_from(cursor, *, table: str, columns: list[str], rows: list[str]) -> None:
    quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
    sql = f"COPY {connection.ops.quote_name(table)} ({quoted}) FROM STDIN"
    cursor.copy_expert(sql, io.StringIO("".join(rows)), size=1 << 20)


def _copy_batch_load(*, numbers: range, context: dict) -> int:
    """Load one batch in the calling thread's own connection and transaction; returns how many were created.

    The articles are the ones `_articles_build` makes for the other path; each column's value is what Django's own
    INSERT would send (`Field.pre_save`, which also stamps `created_at`/`updated_at`), written as COPY text.
    """
    built = _articles_build(numbers=numbers, context=context)
    existing = set(Article.objects.filter(slug__in=[d.slug for d, _ in built]).values_list("slug", flat=True))
    new = [(d, article) for d, article in built if d.slug not in existing]
    if not new:
        return 0
    fields, author_ids, tag_ids = context["copy_fields"], context["author_ids"], context["tag_ids"]
    staging = connection.ops.quote_name("seed_demo_article")
    with transaction.atomic(), connection.cursor() as cursor:
        rows, bylines, tag_rows = [], [], []
        for (d, article), pk in zip(new, _article_ids_allocate(cursor, len(new)), strict=True):
            article.pk = pk
            rows.append("\t".join(_copy_value(field.pre_save(article, True)) for field in fields) + "\n")
            bylines.extend(f"{pk}\t{author_ids[name]}\t{order}\n" for order, name in enumerate(d.authors))
            tag_rows.extend(f"{pk}\t{tag_ids[name]}\n" for name in d.tags)
        cursor.execute(f"CREATE TEMP TABLE {staging} (LIKE {context['article_table']} INCLUDING DEFAULTS)")
        _copy_from(cursor, table="seed_demo_article", columns=[f.column for f in fields], rows=rows)
        cursor.execute(context["insert_sql"])
        cursor.execute(f"DROP TABLE {staging}")
        _copy_from(cursor, table=ArticleAuthor._meta.db_table, columns=context["byline_columns"], rows=bylines)
        _copy_from(cursor, table=Article.tags.through._meta.db_table, columns=context["tag_columns"], rows=tag_rows)
    return len(new)


def _copy_batch_load_in_thread(*, numbers: range, context: dict) -> int:
    """`_copy_batch_load` in a helper thread: its own connection, closed afterwards (threads are pooled)."""
    try:
        return _copy_batch_load(numbers=numbers, context=context)
    finally:
        connection.close()


def demo_articles_copy(
    *,
    count: int,
    taxonomy: DemoTaxonomy,
    batch_size: int = COPY_BATCH_SIZE,
    progress: Callable[[int], None] | None = None,
    now: datetime | None = None,
    workers: int = COPY_WORKERS,
) -> int:
    """PostgreSQL only: the same articles as `demo_articles_ensure`, loaded fast enough for 1,000,000 of them.

    Per batch, in one transaction: COPY the rows into a temporary table, then one INSERT ... SELECT into the article
    table that computes the full-text vectors with the product's own expression (`SEARCH_VECTOR_EXPRESSION`), so
    each row and its eleven index entries are written once (not inserted, then updated); then COPY the byline and
    tag rows straight into their tables. Computing the vectors is most of the database's work, so `workers`
    threads (each with its own connection) load batches side by side: on 2 cores one builds articles in Python
    while the other's database backend computes vectors. `workers=1` loads in the caller's connection and
    transaction. No signals, history rows or webhook events (a demo import is not an editorial action); the
    caller bumps the public cache once.
    """
    if connection.vendor != "postgresql":
        raise RuntimeError("demo_articles_copy needs PostgreSQL.")
    fields = [f for f in Article._meta.concrete_fields if f.column != "search_vector"]
    quoted = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    article_table = connection.ops.quote_name(Article._meta.db_table)
    tag_through = Article.tags.through
    context = {
        **_build_context(count=count, taxonomy=taxonomy, now=now),
        "copy_fields": fields,
        "author_ids": {name: author.pk for name, author in taxonomy.authors.items()},
        "tag_ids": {name: tag.pk for name, tag in taxonomy.tags.items()},
        "article_table": article_table,
        # table and column names only (no input); the vectors are computed from the staged title, dek and body
        "insert_sql": f"INSERT INTO {article_table} ({quoted}, search_vector) SELECT {quoted}, "  # noqa: S608
        + SEARCH_VECTOR_EXPRESSION
        + " FROM seed_demo_article",
        "byline_columns": [ArticleAuthor._meta.get_field(name).column for name in ("article", "author", "order")],
        "tag_columns": [tag_through._meta.get_field(name).column for name in ("article", "tag")],
    }
    batches = _batches(count, batch_size)
    created = 0
    if workers <= 1:
        for numbers in batches:
            created += _copy_batch_load(numbers=numbers, context=context)
            if progress:
                progress(len(numbers))
        return created
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="seed-copy")
    try:
        futures = {pool.submit(_copy_batch_load_in_thread, numbers=n, context=context): len(n) for n in batches}
        for future in as_completed(futures):
            created += future.result()
            if progress:
                progress(futures[future])
    finally:  # on an error or Ctrl-C, batches not started yet are dropped (committed batches stay: re-run to finish)
        pool.shutdown(wait=True, cancel_futures=True)
    return created


def demo_content_ensure(
    *, articles: int = 60, progress: Callable[[int], None] | None = None, with_images: bool = True
) -> DemoSummary:
    """Everything the demo newsroom needs (no accounts: see the seed_demo command). Idempotent."""
    taxonomy = demo_taxonomy_ensure()
    if with_images:
        for name, _ in SECTIONS:
            taxonomy.images[name] = demo_image_ensure(
                title=f"{name} (section picture)",
                credit="Photo courtesy Wikipedia",
                alt=f"A landscape illustrating {name} coverage",
            )
    reference = demo_reference_article_ensure(taxonomy=taxonomy)
    created = demo_articles_ensure(count=articles, taxonomy=taxonomy, progress=progress)
    demo_related_ensure(article=reference)
    search_vector_refresh()
    if created:  # bulk inserts send no post_save: purge the cached public pages once
        content_generation_bump()
    summary = DemoSummary(
        sections=Section.objects.count(),
        tags=Tag.objects.count(),
        authors=Author.objects.count(),
        images=Image.objects.count(),
        articles_created=created,
        reference_slug=reference.slug,
    )
    # one pass over the table for every article count (at 1,000,000 articles each count is a full scan)
    published = Count("id", filter=Q(status=Article.Status.PUBLISHED, published_at__isnull=False))
    counted = {
        row["access_level"]: row
        for row in Article.objects.order_by().values("access_level").annotate(n=Count("id"), published=published)
    }
    for level in Article.AccessLevel.values:
        summary.by_access_level[level] = counted.get(level, {}).get("n", 0)
    summary.articles_total = sum(row["n"] for row in counted.values())
    summary.articles_published = sum(row["published"] for row in counted.values())
    return summary
