"""The nightly close of the meter distribution (run by the meter reset job, after the periods close)."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from ..models import MeterPeriod, MeterUsageStat
from ..selectors import period_for
from .selectors import meter_usage_rows


def meter_usage_close(*, now: datetime | None = None) -> dict:
    """Store the meter distribution of every period before today that still has raw rows (`MeterUsageStat`).

    Idempotent: each period's figures are recomputed from its raw rows and replace the stored ones in one
    transaction, so running it twice, late, or on two beat instances writes the same figures; a period whose raw
    rows are already purged keeps what was stored."""
    now = now or timezone.now()
    today, _ = period_for(now)
    rows = list(meter_usage_rows(periods=MeterPeriod.objects.filter(period__lt=today)))
    periods = {row["period"] for row in rows}
    with transaction.atomic():
        MeterUsageStat.objects.filter(period__in=periods).delete()
        MeterUsageStat.objects.bulk_create([MeterUsageStat(**row) for row in rows], batch_size=1000)
    return {"usage_periods": len(periods), "usage_rows": len(rows)}
