"""The detail path's funnel events (a counted read, a paywall shown), buffered in this process and written in
batches, so that recording costs the hottest request next to nothing: the warm counted detail stays one database
round trip (the meter) and two Redis round trips (docs/caching.md); a write of up to ANALYTICS_BUFFER_SIZE events is
one INSERT.

The buffer holds each event's field values (`funnel.funnel_detail_record`), not a `FunnelEvent`: a model instance per
read and `bulk_create`'s per-object work cost 110-125 µs per event against 43 µs for these values and one multi-row
INSERT (in process, recording and writing included; bench/RESULTS.md, "fifth session").

A batch is written when the buffer holds ANALYTICS_BUFFER_SIZE events, when its oldest event is older than
ANALYTICS_BUFFER_SECONDS (checked when a request ends, and by a timer thread for a process that falls idle), before
a conversion is attributed (`funnel_buffer_flush`), and when the process exits. What it costs: a process killed
hard (SIGKILL, out of memory) loses the events of its last ANALYTICS_BUFFER_SECONDS; the meter itself is unaffected.
ANALYTICS_BUFFER_SIZE = 1 writes every event at once. ANALYTICS_BUFFER_SECONDS = None (the test settings) turns the
time-based writes off: only size, an explicit flush and exit write.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import time

from django.conf import settings
from django.db import DatabaseError, connections, router, transaction
from django.db.models import CharField, ForeignKey

from ..models import FunnelEvent

logger = logging.getLogger(__name__)


class _Buffer:
    def __init__(self):
        self.lock = threading.Lock()
        self.events: list[dict] = []
        self.oldest = 0.0
        self.pid = os.getpid()
        self.timer: threading.Timer | None = None

    def take(self) -> list[dict]:
        """The buffered events, leaving the buffer empty. Call with the lock held."""
        if self.pid != os.getpid():  # a forked child starts empty (its parent writes its own)
            self.pid, self.events, self.timer = os.getpid(), [], None
        batch, self.events = self.events, []
        return batch


_buffer = _Buffer()


def _write(batch: list[dict]) -> int:
    if not batch:
        return 0
    try:
        _insert(batch)
    except DatabaseError:
        logger.exception("funnel: %d buffered events could not be written", len(batch))
        return 0
    return len(batch)


def _insert(batch: list[dict]) -> None:
    """INSERT the events' values, a multi-row statement per the backend's batch size, all or none."""
    alias = router.db_for_write(FunnelEvent)
    connection = connections[alias]
    fields = [field for field in FunnelEvent._meta.concrete_fields if not field.primary_key]
    # the text and id columns take the str / int / None the record holds as they are; the day and the timestamp go
    # through the field's own preparation (SQLite stores a naive UTC text, PostgreSQL takes the aware datetime)
    prepare = [_prepare(field, connection) for field in fields]
    table = connection.ops.quote_name(FunnelEvent._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(field.column) for field in fields)
    row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    size = max(1, connection.ops.bulk_batch_size(fields, batch))
    with transaction.atomic(using=alias, savepoint=False), connection.cursor() as cursor:
        for start in range(0, len(batch), size):
            chunk = batch[start : start + size]
            params = [
                values[field.attname] if how is None else how(values[field.attname])
                for values in chunk
                for field, how in zip(fields, prepare, strict=True)
            ]
            # identifiers from the model's metadata, every value a parameter
            cursor.execute(f"INSERT INTO {table} ({columns}) VALUES {', '.join([row] * len(chunk))}", params)  # noqa: S608


def _prepare(field, connection):
    if isinstance(field, (CharField, ForeignKey)):
        return None
    return lambda value: field.get_db_prep_save(value, connection)


def funnel_buffer_add(event: dict) -> None:
    """Buffer one event's field values (by attribute name, every field but the id); write the batch when it is full
    (in this thread)."""
    seconds = settings.ANALYTICS_BUFFER_SECONDS
    with _buffer.lock:
        if _buffer.pid != os.getpid():
            _buffer.take()
        if not _buffer.events:
            _buffer.oldest = time.monotonic()
        _buffer.events.append(event)
        batch = _buffer.take() if len(_buffer.events) >= settings.ANALYTICS_BUFFER_SIZE else []
        if not batch and seconds is not None and _buffer.timer is None:
            _buffer.timer = threading.Timer(seconds, _flush_from_timer)
            _buffer.timer.daemon = True
            _buffer.timer.start()
    _write(batch)


def funnel_buffer_flush(*, older_than: float | None = None) -> int:
    """Write this process's buffered events now (all, or only if the oldest is older than `older_than` seconds).
    Returns the number written."""
    with _buffer.lock:
        if not _buffer.events or (older_than is not None and time.monotonic() - _buffer.oldest < older_than):
            return 0
        batch = _buffer.take()
    return _write(batch)


def funnel_buffer_discard() -> None:
    """Forget the buffered events (tests, between cases)."""
    with _buffer.lock:
        _buffer.take()


def _flush_from_timer() -> None:
    with _buffer.lock:
        _buffer.timer = None
    try:
        funnel_buffer_flush()
    finally:
        connections.close_all()  # this thread's own connections


def funnel_buffer_on_request_finished(**_kwargs) -> None:
    """Connected to `request_finished`: write a batch whose oldest event is older than ANALYTICS_BUFFER_SECONDS."""
    seconds = settings.ANALYTICS_BUFFER_SECONDS
    if seconds is not None and _buffer.events:
        funnel_buffer_flush(older_than=seconds)


atexit.register(funnel_buffer_flush)
