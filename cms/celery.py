"""The Celery app. Periodic jobs are declared in settings (CELERY_BEAT_SCHEDULE), i.e. in code."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cms.settings.base")

app = Celery("cms")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(["cms.core", "accounts", "articles", "comments", "cms.webhooks", "paywall"])
