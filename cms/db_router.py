"""Primary/replica routing, active only when `DATABASE_REPLICA_URL` is set (see cms/settings/base.py).

What goes to the replica: reads of published content (the `articles` app: articles, sections, tags, authors,
images) made while serving a safe (GET/HEAD) request to the public API (`/api/`, `/graphql/`). Content tolerates
a second of replication lag; nothing else does, so everything else reads the primary:
- the meter, subscriptions and accounts (a reader who just subscribed must be entitled on the next request);
- every write, and every read inside a transaction or a `select_for_update` (Django routes those as writes);
- the admin, webhooks, Celery tasks and management commands (no request is flagged).

`ReplicaReadsMiddleware` flags the request in a context variable; the router only reads it.
"""

from __future__ import annotations

from contextvars import ContextVar

from django.db import connections

REPLICA_ALIAS = "replica"
REPLICA_APPS = frozenset({"articles"})
REPLICA_PATH_PREFIXES = ("/api/", "/graphql")
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

_replica_reads: ContextVar[bool] = ContextVar("replica_reads", default=False)


class replica_reads:  # noqa: N801 (used like a function: `with replica_reads():`)
    """Context manager: route content reads to the replica in this block (the middleware uses it per request)."""

    def __enter__(self):
        self._token = _replica_reads.set(True)
        return self

    def __exit__(self, *exc):
        _replica_reads.reset(self._token)
        return False


class ReplicaReadsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method in SAFE_METHODS and request.path.startswith(REPLICA_PATH_PREFIXES):
            with replica_reads():
                return self.get_response(request)
        return self.get_response(request)


class PrimaryReplicaRouter:
    def db_for_read(self, model, **hints):
        if (
            _replica_reads.get()
            and model._meta.app_label in REPLICA_APPS
            and REPLICA_ALIAS in connections.settings
            and not connections["default"].in_atomic_block
        ):
            return REPLICA_ALIAS
        return "default"

    def db_for_write(self, model, **hints):
        return "default"

    def allow_relation(self, obj1, obj2, **hints):
        return True  # the replica holds the same rows as the primary

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == "default"
