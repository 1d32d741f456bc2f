"""Test settings: the base module with faster hashing, eager Celery and in-memory email.

DATABASE_URL / REDIS_URL still come from the environment, so CI runs the same suite on PostgreSQL and Redis.
"""

import os
from urllib.parse import urlsplit, urlunsplit

# pytest-xdist (`make test` runs one worker per CPU): each worker gets its own test database (pytest-django's `_gw<n>`
# suffix), media folder and Redis database number (the configured one plus the worker's index, modulo Redis's 16),
# so one worker's `cache.clear()` never empties another's cache or meter.
_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
if _WORKER.startswith("gw") and os.environ.get("REDIS_URL"):
    _redis = urlsplit(os.environ["REDIS_URL"])
    _number = (int(_redis.path.strip("/") or 0) + int(_WORKER[2:])) % 16
    os.environ["REDIS_URL"] = urlunsplit(_redis._replace(path=f"/{_number}"))

from .base import *  # noqa: E402, F403
from .base import BASE_DIR, REST_FRAMEWORK, env  # noqa: E402

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
SECURE_SSL_REDIRECT = False
REST_FRAMEWORK = {
    **REST_FRAMEWORK,
    "DEFAULT_THROTTLE_RATES": {
        **REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
        "anon": "100000/min",
        "user": "100000/min",
        "search": "100000/min",
        "ghost": "100000/min",
    },
}
# No timer thread writing funnel events outside the test's transaction: tests flush (or roll up) explicitly.
ANALYTICS_BUFFER_SECONDS = None
MEDIA_ROOT = env.path("TEST_MEDIA_ROOT", default=str(BASE_DIR / "var" / f"test-media{_WORKER}"))
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}
