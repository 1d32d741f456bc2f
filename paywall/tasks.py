from celery import shared_task

from .services import meter_periods_close


@shared_task(name="paywall.meter_reset", acks_late=True, max_retries=5, retry_backoff=True)
def meter_reset_task() -> dict:
    """Close finished meter periods and purge old raw rows. Idempotent: see `meter_periods_close`."""
    return meter_periods_close()
