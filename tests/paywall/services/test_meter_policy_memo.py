"""The per-process copy of the meter limits: a change made here applies at once; one made by another process
(seen here only through the shared cache and the database) applies within LOCAL_POLICY_SECONDS."""

import pytest
from django.core.cache import cache

from paywall import selectors
from paywall.models import MeterPolicy
from paywall.services import meter_policy_update

pytestmark = pytest.mark.django_db


def test_an_update_in_this_process_applies_at_once():
    meter_policy_update(anonymous_limit=2, registered_limit=4)
    assert selectors.meter_limits() == (2, 4)
    meter_policy_update(anonymous_limit=7, registered_limit=9)
    assert selectors.meter_limits() == (7, 9)


def test_an_update_by_another_process_applies_within_the_memo_window(monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr(selectors.time, "monotonic", lambda: clock[0])
    meter_policy_update(anonymous_limit=2, registered_limit=4)
    assert selectors.meter_limits() == (2, 4)
    # another process changes the policy: the row and the shared cache, not this process's memory
    MeterPolicy.objects.filter(pk=1).update(anonymous_limit=1)
    cache.delete(selectors.POLICY_CACHE_KEY)
    assert selectors.meter_limits() == (2, 4)  # still the local copy
    clock[0] += selectors.LOCAL_POLICY_SECONDS + 0.01
    assert selectors.meter_limits() == (1, 4)


def test_a_settings_change_drops_the_local_copy_but_does_not_touch_the_cache(settings):
    selectors.meter_limits()
    assert selectors._local_policy
    settings.PAYWALL_ANONYMOUS_DAILY_LIMIT = 11  # e.g. CACHES itself may be the setting that changed
    assert not selectors._local_policy
