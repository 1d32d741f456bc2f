"""Model instances from one hand-written statement, converted as the ORM converts them: the loader of the reads
that nearly every request makes (the signed-in user, the reader's entitlements, an article detail's rebuild).

`Manager.raw()` works out on every execution which column feeds which field, and builds a compiler to find the
converters; on these reads that bookkeeping cost more CPU than the round trip itself (0.32-0.44 ms against
0.17-0.24 ms per one-row statement, in process on PostgreSQL; docs/caching.md, "The snapshot's rebuild").
`rows_load` works it out once per (model, columns, database) and then, per row, only applies the backend's and the
fields' converters (SQLite's datetimes, JSON, ...) and calls `Model.from_db`, Django's documented hook for making
an instance from database values. One path on every backend; the statements stay portable SQL whose identifiers
come from model metadata (`model_columns`), quoted.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

from django.db import connection, connections, router
from django.db.models import Model

Fields = frozenset[str] | None  # names of the concrete fields loaded (None: every one); the others stay deferred


def _selected(model: type[Model], fields: Fields) -> tuple:
    """The concrete fields loaded, in the model's field order (the order `Model.from_db` expects)."""
    return tuple(f for f in model._meta.concrete_fields if fields is None or f.name in fields)


def model_columns(model: type[Model], *, table: str = "", fields: Fields = None) -> str:
    """The select list `rows_load` expects: the columns of `fields` (default: every concrete field), in the
    model's field order, quoted, each prefixed with `table.` when given."""
    prefix = f"{table}." if table else ""
    return ", ".join(prefix + connection.ops.quote_name(f.column) for f in _selected(model, fields))


@functools.cache
def _plan(model: type[Model], fields: Fields, alias: str) -> tuple[list[str], list[tuple]]:
    """(the attnames loaded, per column (expression, converters)): what the ORM's compiler would work out. Kept per
    process and shared by threads: the backend's converters are methods of the first thread's connection
    operations, and they read only settings through it (the time zone), never its database session; each call
    passes the calling thread's own connection."""
    connection = connections[alias]
    fields = _selected(model, fields)
    plan = []
    for field in fields:
        column = field.get_col(model._meta.db_table)
        converters = connection.ops.get_db_converters(column) + field.get_db_converters(connection)
        plan.append((column, tuple(converters)))
    return [f.attname for f in fields], plan


def _instance(model: type[Model], fields: Fields, alias: str, connection, values: Sequence):
    names, plan = _plan(model, fields, alias)
    values = list(values)
    for index, (column, converters) in enumerate(plan):
        for converter in converters:
            values[index] = converter(values[index], column, connection)
    return model.from_db(alias, names, values)


def rows_load(
    model: type[Model],
    sql: str,
    params: Sequence,
    *,
    fields: Fields = None,
    joined: Sequence[tuple[str, type[Model]]] = (),
    extra: Sequence[str] = (),
) -> list:
    """The instances of `model` that `sql` returns, in its order. Its select list is `model_columns(model,
    fields=fields)`; then, for each (name, related model) in `joined`, `model_columns(related model)` (a LEFT JOIN's
    columns: the related instance, or None when its primary key is NULL, is set through the forward relation
    `name`, as `select_related` would); then one column per name in `extra`, set on each instance as an attribute
    of that name (as the database gives it). Read from the database the router gives reads of `model` (a replica
    when one is configured), as the ORM would."""
    alias = router.db_for_read(model)
    connection = connections[alias]
    width = len(_plan(model, fields, alias)[1])
    spans = []
    for name, related in joined:
        count = len(_plan(related, None, alias)[1])
        spans.append((name, related, width, width + count))
        width += count
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    instances = []
    for row in rows:
        instance = _instance(model, fields, alias, connection, row[: spans[0][2] if spans else width])
        for name, related, start, end in spans:
            pk_index = start + related._meta.concrete_fields.index(related._meta.pk)
            value = None if row[pk_index] is None else _instance(related, None, alias, connection, row[start:end])
            setattr(instance, name, value)
        for name, value in zip(extra, row[width:], strict=True):
            setattr(instance, name, value)
        instances.append(instance)
    return instances
