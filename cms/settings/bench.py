"""Benchmark settings: production settings (DEBUG=0 from the environment) plus the floor URL, with throttles lifted
so one load generator on loopback is not rate-limited. Never used in production; see bench/run and docs/bench.md."""

from .base import *  # noqa: F403
from .base import REST_FRAMEWORK

ROOT_URLCONF = "bench.urls"
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]
SECURE_SSL_REDIRECT = False
REST_FRAMEWORK = {
    **REST_FRAMEWORK,
    "DEFAULT_THROTTLE_RATES": {name: "100000000/min" for name in REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]},
}
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}
