"""Allowance windows in the publisher's zone: day, week (Monday 00:00), calendar month and rolling N days; DST
changes; a window changed in the middle of a period counts the reads its days hold (never a fresh allowance); the
rolling window's `resets_at`; the meter API's `period`; raw rows kept as long as the longest window."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from paywall.models import MeterRead, MeterWindow
from paywall.readers import Reader, reader_token_issue
from paywall.selectors import Rules
from paywall.services import access_decide, meter_periods_close, meter_policy_update, meter_state
from paywall.services.policies import window_for
from tests.articles.factories import ArticleFactory

pytestmark = pytest.mark.django_db

NY = ZoneInfo("America/New_York")


@pytest.fixture(autouse=True)
def _new_york(settings):
    settings.TIME_ZONE = "America/New_York"


def _ny(*args) -> datetime:
    return datetime(*args, tzinfo=NY)


def _window(kind: str, now: datetime, rolling_days: int = 30):
    return window_for(rules=Rules(window=kind, rolling_days=rolling_days), now=now)


@pytest.mark.parametrize(
    "now, first_day, resets_at",
    [
        (_ny(2026, 12, 6, 23, 59), date(2026, 11, 30), _ny(2026, 12, 7)),  # Sunday night: still last week
        (_ny(2026, 12, 7, 0, 0), date(2026, 12, 7), _ny(2026, 12, 14)),  # Monday 00:00 local: a new week
        # 04:30 UTC on Monday is still Sunday in New York
        (datetime(2026, 12, 7, 4, 30, tzinfo=UTC), date(2026, 11, 30), _ny(2026, 12, 7)),
    ],
)
def test_week_boundaries_are_local_mondays(now, first_day, resets_at):
    window = _window(MeterWindow.WEEK, now)
    assert (window.first_day, window.ends_at) == (first_day, resets_at)


@pytest.mark.parametrize(
    "now, first_day, resets_at",
    [
        (_ny(2026, 1, 31, 23, 59), date(2026, 1, 1), _ny(2026, 2, 1)),
        (_ny(2026, 2, 1, 0, 0), date(2026, 2, 1), _ny(2026, 3, 1)),
        (datetime(2027, 1, 1, 3, 0, tzinfo=UTC), date(2026, 12, 1), _ny(2027, 1, 1)),  # 22:00 on Dec 31 locally
        (_ny(2028, 2, 29, 12), date(2028, 2, 1), _ny(2028, 3, 1)),
    ],
)
def test_month_boundaries_are_local_calendar_months(now, first_day, resets_at):
    window = _window(MeterWindow.MONTH, now)
    assert (window.first_day, window.ends_at) == (first_day, resets_at)


def test_daylight_saving_changes_keep_local_midnight():
    # March 8, 2026: clocks go forward; the day lasts 23 hours and ends at 00:00 EDT (04:00 UTC)
    march = _window(MeterWindow.DAY, _ny(2026, 3, 8, 1, 30))
    assert march.ends_at.astimezone(UTC) == datetime(2026, 3, 9, 4, tzinfo=UTC)
    assert march.ends_at.astimezone(UTC) - _ny(2026, 3, 8).astimezone(UTC) == timedelta(hours=23)
    week = _window(MeterWindow.WEEK, _ny(2026, 3, 8, 12))
    assert week.first_day == date(2026, 3, 2)
    assert week.ends_at.astimezone(UTC) == datetime(2026, 3, 9, 4, tzinfo=UTC)
    # November 1, 2026: clocks go back; the day lasts 25 hours and ends at 00:00 EST (05:00 UTC)
    november = _window(MeterWindow.DAY, datetime(2026, 11, 1, 5, 30, tzinfo=UTC))  # 01:30 EDT, the first one
    assert november.day == date(2026, 11, 1)
    assert november.ends_at.astimezone(UTC) == datetime(2026, 11, 2, 5, tzinfo=UTC)
    assert november.ends_at.astimezone(UTC) - _ny(2026, 11, 1).astimezone(UTC) == timedelta(hours=25)
    month = _window(MeterWindow.MONTH, datetime(2026, 11, 2, 4, 30, tzinfo=UTC))  # 23:30 EST on Nov 1
    assert month.first_day == date(2026, 11, 1)


def test_reads_across_a_dst_change_count_in_one_week():
    meter_policy_update(window=MeterWindow.WEEK, anonymous_limit=2)
    reader = Reader(anon_id=reader_token_issue()[0])
    a, b, c = ArticleFactory.create_batch(3)
    assert access_decide(reader=reader, article=a, record=True, now=_ny(2026, 3, 7, 23, 30)).granted
    assert access_decide(reader=reader, article=b, record=True, now=_ny(2026, 3, 8, 3, 30)).granted  # after the jump
    refused = access_decide(reader=reader, article=c, record=True, now=_ny(2026, 3, 8, 23, 59))
    assert (refused.granted, refused.reason, refused.period) == (False, "meter_exhausted", date(2026, 3, 2))
    assert refused.resets_at == _ny(2026, 3, 9) and refused.resets_at.utcoffset() == timedelta(hours=-4)
    assert access_decide(reader=reader, article=c, record=True, now=_ny(2026, 3, 9, 0, 0)).granted  # a new week


def test_a_window_change_mid_period_counts_the_reads_of_its_days_never_a_fresh_allowance():
    # given a weekly allowance of 3, used up over Monday and Tuesday
    meter_policy_update(window=MeterWindow.WEEK, anonymous_limit=3)
    reader = Reader(anon_id=reader_token_issue()[0])
    articles = ArticleFactory.create_batch(6)
    monday, tuesday = _ny(2026, 12, 7, 10), _ny(2026, 12, 8, 10)
    for article, now in zip(articles[:3], (monday, monday, tuesday), strict=True):
        assert access_decide(reader=reader, article=article, record=True, now=now).counted
    assert not access_decide(reader=reader, article=articles[3], record=True, now=tuesday).granted
    # when the newsroom switches to a monthly window on Tuesday: the week's reads are the month's reads
    meter_policy_update(window=MeterWindow.MONTH)
    decision = access_decide(reader=reader, article=articles[3], record=True, now=tuesday)
    assert (decision.granted, decision.reads_left, decision.period) == (False, 0, date(2026, 12, 1))
    # a rolling window of 2 days holds Monday and Tuesday: still exhausted
    meter_policy_update(window=MeterWindow.ROLLING, rolling_days=2)
    assert not access_decide(reader=reader, article=articles[3], record=True, now=tuesday).granted
    # a daily window counts Tuesday's read only: 2 left today, as a daily reader would have
    meter_policy_update(window=MeterWindow.DAY, rolling_days=30)
    decision = access_decide(reader=reader, article=articles[3], record=True, now=tuesday)
    assert (decision.granted, decision.reads_left) == (True, 1)
    # and an article read on Monday counts again only as a read of today's window
    assert access_decide(reader=reader, article=articles[0], record=True, now=tuesday).reads_left == 0
    # back to the week: five distinct articles read this week, nothing fresh
    meter_policy_update(window=MeterWindow.WEEK)
    decision = access_decide(reader=reader, article=articles[5], record=True, now=tuesday)
    assert (decision.granted, decision.reads_left) == (False, 0)
    assert access_decide(reader=reader, article=articles[0], record=True, now=tuesday).reason == "already_read"


def test_rolling_resets_at_is_when_the_oldest_counted_read_leaves_the_window():
    meter_policy_update(window=MeterWindow.ROLLING, rolling_days=7, anonymous_limit=2)
    reader = Reader(anon_id=reader_token_issue()[0])
    a, b, c = ArticleFactory.create_batch(3)
    first = access_decide(reader=reader, article=a, record=True, now=_ny(2026, 12, 1, 9))
    assert first.resets_at == _ny(2026, 12, 8)  # the Dec 1 read leaves the 7-day window at Dec 8 00:00
    access_decide(reader=reader, article=b, record=True, now=_ny(2026, 12, 3, 9))
    refused = access_decide(reader=reader, article=c, record=True, now=_ny(2026, 12, 7, 23))
    assert (refused.granted, refused.period, refused.resets_at) == (False, date(2026, 12, 1), _ny(2026, 12, 8))
    granted = access_decide(reader=reader, article=c, record=True, now=_ny(2026, 12, 8, 0, 1))
    assert granted.granted and granted.period == date(2026, 12, 2)
    assert granted.resets_at == _ny(2026, 12, 10)  # now the Dec 3 read is the oldest
    state = meter_state(reader=reader, now=_ny(2026, 12, 8, 12))
    assert (state["used"], state["period"], state["resets_at"]) == (2, date(2026, 12, 2), _ny(2026, 12, 10))


def test_the_meter_api_period_and_resets_at_follow_the_window(api_client):
    meter_policy_update(window=MeterWindow.MONTH, anonymous_limit=8)
    response = api_client.get("/api/v1/meter/")
    assert response.status_code == 200
    body = response.json()
    today = datetime.now(NY).date()
    assert body["period"] == today.replace(day=1).isoformat()
    assert body["limit"] == 8
    following = (today.replace(day=1) + timedelta(days=32)).replace(day=1)
    assert datetime.fromisoformat(body["resets_at"]) == _ny(following.year, following.month, 1)


def test_the_daily_close_keeps_raw_rows_as_long_as_the_longest_window(settings):
    settings.PAYWALL_METER_RETENTION_DAYS = 1
    meter_policy_update(window=MeterWindow.MONTH)
    now = _ny(2026, 12, 31, 12)
    article = ArticleFactory()
    for days_ago in (2, 30, 40):
        MeterRead.objects.create(
            reader_key=f"a:{days_ago}", period=date(2026, 12, 31) - timedelta(days_ago), article=article
        )
    meter_periods_close(now=now)
    kept = sorted(MeterRead.objects.values_list("reader_key", flat=True))
    assert kept == ["a:2", "a:30"]  # 31 days kept for a monthly window, though retention says 1
