"""Settings for the Celery worker and producer started by the integration tests: the base settings with a short
broker visibility timeout, so a message held by a SIGKILLed worker is redelivered in seconds, not in an hour."""

from cms.settings.base import *  # noqa: F403

CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": 4,
    "unacked_restore_interval": 1,
    "unacked_restore_throttle": 1,
}
