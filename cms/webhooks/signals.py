"""Outgoing webhooks listen to the articles' domain event: `articles` never imports this app."""

from __future__ import annotations

import logging

from django.db import transaction
from django.dispatch import receiver

from articles.services.events import article_changed

from .services import webhook_deliveries_create, webhook_deliveries_enqueue

logger = logging.getLogger(__name__)


@receiver(article_changed, dispatch_uid="webhooks.article_changed")
def _on_article_changed(sender, *, article_id: int, event: str, version: int, **kwargs) -> None:
    try:
        delivery_ids = webhook_deliveries_create(article_id=article_id, event=event, version=version)
    except Exception:  # a side effect: never fail the (already committed) publish because of it
        logger.exception("Could not record webhook deliveries for article %s %s", article_id, event)
        return
    if delivery_ids:
        transaction.on_commit(lambda: webhook_deliveries_enqueue(delivery_ids))
