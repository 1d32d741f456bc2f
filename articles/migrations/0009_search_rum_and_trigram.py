"""Search indexes (docs/search.md): a RUM index for full-text search where the extension is installed (it returns
the matches newest first), pg_trgm for suggestions. PostgreSQL only; nothing on SQLite.

- `rum` is optional (Debian `postgresql-15-rum`; some managed services offer it): created when available, else
  skipped, and search keeps the GIN method. Installing it later and migrating again (`migrate articles 0008` then
  `migrate`) adds the index.
- `pg_trgm` ships with PostgreSQL (contrib) and every managed service: required.

Not atomic: on a live database the indexes are built CONCURRENTLY (writes go on during the build); an interrupted
build leaves an invalid index, which the next run drops and builds again. Reversing drops the indexes and keeps the
extensions (other objects may use them).
"""

from django.db import DatabaseError, migrations, transaction

PUBLISHED = "status = 'published' AND published_at IS NOT NULL"
RUM_INDEXES = (
    # the matches newest first from the index (`ORDER BY published_at <=| ...`: the attached column)
    (
        "article_search_rum",
        "articles_article USING rum (search_vector rum_tsvector_addon_ops, published_at) "
        f"WITH (attach = 'published_at', to = 'search_vector') WHERE {PUBLISHED}",
    ),
)
TRIGRAM_INDEXES = (
    ("section_name_trgm", "articles_section USING gin (name gin_trgm_ops)"),
    ("tag_name_trgm", "articles_tag USING gin (name gin_trgm_ops)"),
    ("author_name_trgm", "articles_author USING gin (name gin_trgm_ops)"),
)


def _scalar(schema_editor, sql: str, params=()) -> object:
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return row[0] if row else None


def _index_create(schema_editor, name: str, definition: str) -> None:
    connection = schema_editor.connection
    concurrently = "" if connection.in_atomic_block else "CONCURRENTLY "
    valid = _scalar(
        schema_editor,
        "SELECT i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname = %s",
        [name],
    )
    if valid is False:  # left by an interrupted concurrent build
        schema_editor.execute(f"DROP INDEX {concurrently}IF EXISTS {name}")
    schema_editor.execute(f"CREATE INDEX {concurrently}IF NOT EXISTS {name} ON {definition}")


def rum_available(schema_editor) -> bool:
    """Whether the server offers the `rum` extension (installed or installable)."""
    return bool(_scalar(schema_editor, "SELECT 1 FROM pg_available_extensions WHERE name = 'rum'"))


def _rum_create_extension(schema_editor) -> bool:
    """Create `rum` if the server offers it; False when it does not or when this role may not create it."""
    if not rum_available(schema_editor):
        return False
    try:
        with transaction.atomic(using=schema_editor.connection.alias):
            schema_editor.execute("CREATE EXTENSION IF NOT EXISTS rum")
    except DatabaseError:
        return False
    return True


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, definition in TRIGRAM_INDEXES:
        _index_create(schema_editor, name, definition)
    if _rum_create_extension(schema_editor):
        for name, definition in RUM_INDEXES:
            _index_create(schema_editor, name, definition)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    concurrently = "" if schema_editor.connection.in_atomic_block else "CONCURRENTLY "
    for name, _ in (*TRIGRAM_INDEXES, *RUM_INDEXES):
        schema_editor.execute(f"DROP INDEX {concurrently}IF EXISTS {name}")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("articles", "0008_page")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
