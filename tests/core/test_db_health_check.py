"""The PostgreSQL connection health check costs no round trip and still notices a connection the server closed
(cms/core/db/postgresql/base.py)."""

from __future__ import annotations

import time

import pytest
from django.db import connection, connections

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's backend (CI runs it)")


def _request_starts() -> None:
    """What Django does for a reused connection when a request starts (`close_old_connections`), then the first
    statement of the request."""
    connection.close_if_unusable_or_obsolete()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def _last_statement_of(pid: int) -> str:
    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT query FROM pg_stat_activity WHERE pid = %s", [pid])
            return cursor.fetchone()[0]
    finally:
        other.close()


@pytest.mark.django_db(transaction=True)
def test_a_healthy_connection_is_usable_without_a_statement():
    pid = _request_starts()

    assert connection.is_usable() is True
    assert _last_statement_of(pid) == "SELECT pg_backend_pid()"  # the server saw no SELECT 1
    assert _request_starts() == pid  # the same connection, reused


@pytest.mark.django_db(transaction=True)
def test_a_connection_the_server_closed_is_replaced_before_the_request_uses_it(settings):
    assert settings.DATABASES["default"]["CONN_HEALTH_CHECKS"] is True
    pid = _request_starts()
    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    finally:
        other.close()
    deadline = time.monotonic() + 5
    while connection.is_usable() and time.monotonic() < deadline:  # the server's last message is on its way
        time.sleep(0.01)
    assert connection.is_usable() is False

    new_pid = _request_starts()  # no error: Django opened a new connection first

    assert new_pid != pid
