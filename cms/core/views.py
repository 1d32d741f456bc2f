"""Health endpoints, for three different askers:

- `GET /livez` (liveness, e.g. a Kubernetes livenessProbe): the process answers; touches nothing. Restart on failure.
- `GET /readyz` (readiness, the load balancer's check): 503 only when the database is unreachable, since nothing
  can be served without it. A Redis outage is reported (`"status": "degraded"`) but answers 200: reads keep working
  without the cache (cms.core.cache.TolerantRedisCache) and the meter lives in PostgreSQL, so pulling every app
  server out of the balancer for it would turn a degraded service into an outage.
- `GET /healthz` (monitoring and alerting): database, cache and broker; 200 when all are up, 503 otherwise. It also
  says which full-text search method this process uses (`"search": {"method": "rum" | "gin"}`, articles/search.py).
"""

from __future__ import annotations

import time

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET


def _check(fn) -> dict:
    started = time.perf_counter()
    try:
        detail = fn()
    except Exception as exc:  # a health check reports, it never raises
        return {"ok": False, "error": exc.__class__.__name__}
    return {"ok": True, "ms": round((time.perf_counter() - started) * 1000, 1), **(detail or {})}


def _database():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {"vendor": connection.vendor}


def _cache():
    cache.set("healthz", "1", 5)
    if cache.get("healthz") != "1":
        raise RuntimeError("cache read-back failed")
    return {"backend": settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1]}


def _broker():
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return {"mode": "eager"}
    from cms.celery import app

    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=1)
    return {"mode": "broker"}


def _search() -> dict:
    from articles.search import search_method

    try:
        return {"method": search_method()}
    except Exception as exc:  # the database check reports the outage
        return {"method": None, "error": exc.__class__.__name__}


@never_cache
@require_GET
def healthz(request):
    checks = {"database": _check(_database), "cache": _check(_cache), "broker": _check(_broker)}
    ok = all(c["ok"] for c in checks.values())
    body = {"status": "ok" if ok else "degraded", "checks": checks, "search": _search()}
    return JsonResponse(body, status=200 if ok else 503)


@never_cache
@require_GET
def livez(request):
    return JsonResponse({"status": "ok"})


@never_cache
@require_GET
def readyz(request):
    checks = {"database": _check(_database), "cache": _check(_cache), "broker": _check(_broker)}
    if not checks["database"]["ok"]:
        return JsonResponse({"status": "unavailable", "checks": checks}, status=503)
    ok = all(c["ok"] for c in checks.values())
    return JsonResponse({"status": "ok" if ok else "degraded", "checks": checks})
