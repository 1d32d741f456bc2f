"""Django's PostgreSQL backend with a connection health check that costs no round trip.

With `CONN_HEALTH_CHECKS`, Django checks a reused connection at the start of every request with `SELECT 1`: a
round trip to the server as long as the meter's own statement, on every request (issue 19's profile). The check
exists to notice connections the server has closed (a restart, `idle_session_timeout`, `pg_terminate_backend`)
before a request fails on one. A server that closes a connection sends its last message and the end of the stream,
so the socket of such a connection has something to read; the socket of a healthy idle connection, between
requests, has nothing (Masthead never LISTENs, so no notification is pending). `is_usable` asks the socket that
without waiting: readable, closed, or in an unknown state means unusable, and Django opens a new connection.
What it cannot see (a peer gone without a word, e.g. a network cut) the `SELECT 1` could not see either before its
own timeout. Tests: tests/core/test_db_health_check.py and the restart test in tests/integration.
"""

from __future__ import annotations

import select

from django.db.backends.postgresql import base


class DatabaseWrapper(base.DatabaseWrapper):
    def is_usable(self) -> bool:
        connection = self.connection
        if connection is None or connection.closed:
            return False
        try:
            readable, _, _ = select.select([connection.fileno()], [], [], 0)
        except (OSError, ValueError, base.Database.Error):
            return False
        return not readable
