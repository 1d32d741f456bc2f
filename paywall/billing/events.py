"""Provider callbacks (Stripe events, App Store notifications, Play developer notifications) recorded once by id."""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.db import IntegrityError, transaction

from cms.core.exceptions import ApplicationError
from paywall.models import ProviderEvent

logger = logging.getLogger(__name__)

DUPLICATE = "duplicate"


def provider_event_process(
    *, provider: str, event_id: str, type: str, payload: dict, dispatch: Callable[[], str]
) -> str:
    """Record the event once and run `dispatch` for it, in one transaction. Returns what happened (also stored on
    the record); "duplicate" for an id already recorded (a replay or a concurrent delivery: acknowledged, ignored).

    Locking: the INSERT of the ProviderEvent row takes the unique index entry; a concurrent duplicate waits for this
    transaction and then fails the constraint, so exactly one request processes an event id. An exception other
    than ApplicationError (the provider's API unreachable) rolls the record back, so the provider's retry runs it.
    """
    with transaction.atomic():
        try:
            with transaction.atomic():
                record = ProviderEvent.objects.create(
                    provider=provider, event_id=event_id[:255], type=type[:100], payload=payload
                )
        except IntegrityError:
            return DUPLICATE
        try:
            outcome = dispatch()
        except ApplicationError as exc:  # a rule refused it (e.g. an impossible transition): recorded, not retried
            logger.warning("%s event %s refused: %s", provider, event_id, exc.message)
            outcome = f"refused: {exc.code}: {exc.message}"
        record.outcome = outcome[:300]
        record.save(update_fields=["outcome"])
    return outcome
