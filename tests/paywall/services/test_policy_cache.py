"""The meter policies are cached as one object (`policy_book`) and a saved change applies to the very next request
in every process: each save drops the shared cache, and no process keeps a copy of its own."""

import pytest
from django.core.cache import cache
from django.utils import timezone

from paywall import selectors
from paywall.models import MeterPolicy, SectionMeterRule
from paywall.services import meter_policy_update
from tests.articles.factories import SectionFactory

pytestmark = pytest.mark.django_db


def test_an_update_applies_at_once():
    meter_policy_update(anonymous_limit=2, registered_limit=4)
    assert selectors.meter_limits() == (2, 4)
    meter_policy_update(anonymous_limit=7, registered_limit=9)
    assert selectors.meter_limits() == (7, 9)


def test_a_save_by_another_process_applies_at_the_next_read():
    meter_policy_update(anonymous_limit=2, registered_limit=4)
    assert selectors.meter_limits() == (2, 4)
    # another process saves the policy: the signal there drops the shared cache; this process holds no copy
    policy = MeterPolicy.objects.get(pk=1)
    policy.anonymous_limit = 1
    policy.save()
    assert selectors.meter_limits() == (1, 4)


def test_the_policies_are_one_cache_read_and_no_query_when_cached(django_assert_num_queries):
    SectionMeterRule.objects.create(section=SectionFactory(), mode=SectionMeterRule.Mode.PREMIUM)
    selectors.policy_book()
    with django_assert_num_queries(0):
        book = selectors.policy_book()
    assert len(book.sections) == 1
    assert cache.get(selectors.POLICY_CACHE_KEY) == book
    assert book.experiment_at(timezone.now()) is None


def test_settings_are_applied_at_read_time_never_cached(settings):
    assert selectors.meter_limits() == (settings.PAYWALL_ANONYMOUS_DAILY_LIMIT, settings.PAYWALL_REGISTERED_DAILY_LIMIT)
    settings.PAYWALL_ANONYMOUS_DAILY_LIMIT = 11
    assert selectors.meter_limits()[0] == 11
