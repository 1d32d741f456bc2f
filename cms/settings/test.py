"""Test settings: the base module with faster hashing, eager Celery and in-memory email.

DATABASE_URL / REDIS_URL still come from the environment, so CI runs the same suite on PostgreSQL and Redis.
"""

from .base import *  # noqa: F403
from .base import BASE_DIR, REST_FRAMEWORK, env

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
MEDIA_ROOT = env.path("TEST_MEDIA_ROOT", default=str(BASE_DIR / "var" / "test-media"))
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}
