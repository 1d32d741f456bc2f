"""Gift links in the paywall's services: who may give and how many, what a token opens (its article only, for
distinct recipients up to the maximum, never counted), every way a token fails, and the limits under concurrency
(real PostgreSQL, real threads)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from cms.core.exceptions import PermissionDenied
from paywall.models import FunnelEvent, GiftLink, GiftRedemption, MeterRead
from paywall.readers import Reader, reader_token_issue
from paywall.services import GiftLimitReached, access_decide, gift_link_create, gift_link_revoke
from paywall.services.funnel import funnel_buffer_flush, funnel_event_record, funnel_rollup
from paywall.services.gifts import gift_token_issue, gift_token_read
from tests.accounts.factories import UserFactory
from tests.articles.factories import ArticleFactory
from tests.paywall.gifts import at_once, gift_of

pytestmark = pytest.mark.django_db


def _anonymous() -> Reader:
    return Reader(anon_id=reader_token_issue()[0])


def _read(reader, article, token, *, record=True):
    return access_decide(reader=reader, article=article, record=record, gift_token=token)


def _outcome(decision) -> tuple:
    return decision.granted, decision.reason, decision.counted, decision.gift_status, decision.paywall_code


# --- who may give, and how many ------------------------------------------------------------------------------------


def test_a_subscriber_gets_ten_links_a_calendar_month_then_a_429_until_the_next(subscriber, settings):
    settings.TIME_ZONE = "America/New_York"
    article = ArticleFactory(access_level="premium")
    mid_month = timezone.make_aware(datetime(2026, 11, 20, 12))
    for _ in range(10):
        gift_link_create(user=subscriber, article=article, now=mid_month)
    with pytest.raises(GiftLimitReached) as refused:
        gift_link_create(user=subscriber, article=article, now=mid_month)
    assert refused.value.status_code == 429 and refused.value.code == "gift_limit_reached"
    renews_at = timezone.make_aware(datetime(2026, 12, 1))
    assert refused.value.renews_at == renews_at
    assert refused.value.retry_after == int((renews_at - mid_month).total_seconds())
    # the next local month gives ten more
    assert gift_link_create(user=subscriber, article=article, now=renews_at + timedelta(minutes=1))


@pytest.mark.parametrize("who", ["registered", "lapsed_subscriber"])
def test_a_reader_without_a_live_subscription_may_not_give(request, who):
    user = UserFactory() if who == "registered" else request.getfixturevalue(who)
    with pytest.raises(PermissionDenied) as refused:
        gift_link_create(user=user, article=ArticleFactory())
    assert refused.value.code == "gift_not_allowed"


@pytest.mark.parametrize("allowed", [True, False])
def test_a_trial_gives_only_when_the_setting_says_so(trial_reader, settings, allowed):
    settings.GIFT_LINKS_FOR_TRIAL = allowed
    if allowed:
        assert gift_link_create(user=trial_reader, article=ArticleFactory()).giver_id == trial_reader.pk
    else:
        with pytest.raises(PermissionDenied):
            gift_link_create(user=trial_reader, article=ArticleFactory())


def test_a_link_takes_its_limits_from_the_settings(subscriber, settings):
    settings.GIFT_LINK_DAYS, settings.GIFT_LINK_REDEMPTIONS = 3, 7
    now = timezone.now()
    link = gift_link_create(user=subscriber, article=ArticleFactory(), now=now)
    assert (link.expires_at, link.redemptions_max, link.redemptions) == (now + timedelta(days=3), 7, 0)


# --- what a token opens ----------------------------------------------------------------------------------------------


def test_a_gift_opens_its_article_in_full_uncounted_and_once_per_recipient(subscriber):
    article = ArticleFactory(access_level="premium")
    link, token = gift_of(article, subscriber)
    reader = _anonymous()
    for _ in range(3):
        decision = _read(reader, article, token)
        assert (decision.granted, decision.reason, decision.gift_link_id, decision.gift_status) == (
            True,
            "gift",
            link.pk,
            None,
        )
    link.refresh_from_db()
    assert link.redemptions == 1 and GiftRedemption.objects.filter(link=link).count() == 1
    assert not MeterRead.objects.exists()  # not counted against the meter
    assert _read(reader, ArticleFactory(), None).reads_left == 2  # the allowance is untouched


def test_a_gift_never_opens_another_article(subscriber):
    gifted, other = ArticleFactory(access_level="premium"), ArticleFactory(access_level="premium")
    _, token = gift_of(gifted, subscriber)
    decision = _read(_anonymous(), other, token)
    assert (decision.granted, decision.reason, decision.gift_status) == (False, "premium", "invalid")
    assert decision.paywall_code == "premium"


@pytest.mark.parametrize(
    ("change", "status"),
    [
        ({"expires_at": timezone.now() - timedelta(seconds=1)}, "expired"),
        ({"revoked_at": timezone.now()}, "revoked"),
        ({"redemptions": 2, "redemptions_max": 2}, "exhausted"),
    ],
    ids=["expired", "revoked", "exhausted"],
)
def test_a_link_that_no_longer_works_leaves_the_normal_decision(subscriber, change, status):
    article = ArticleFactory(access_level="premium")
    _, token = gift_of(article, subscriber, **change)
    assert _outcome(_read(_anonymous(), article, token)) == (False, "premium", False, status, "premium")


def test_a_metered_article_with_a_dead_link_still_counts_as_the_meter_says(subscriber):
    article = ArticleFactory(access_level="metered")
    _, token = gift_of(article, subscriber, revoked_at=timezone.now())
    assert _outcome(_read(_anonymous(), article, token)) == (True, "metered", True, "revoked", None)


@pytest.mark.parametrize(
    "mangle",
    [
        lambda token: token[:-2] + ("AA" if not token.endswith("AA") else "BB"),  # altered signature
        lambda token: "guess" + token.partition(":")[1] + token.partition(":")[2],  # another id, same signature
        lambda token: gift_token_issue("not-a-link"),  # well signed, no such link
        lambda token: "x" * 5000,
        lambda token: "\x00:abc",
        lambda token: "",
    ],
    ids=["tampered", "swapped-id", "unknown-id", "too-long", "nul", "empty"],
)
def test_a_forged_token_is_invalid_never_an_error(subscriber, mangle):
    article = ArticleFactory(access_level="premium")
    _, token = gift_of(article, subscriber)
    decision = _read(_anonymous(), article, mangle(token))
    assert (decision.granted, decision.gift_status) == (False, "invalid")


def test_a_token_is_signed_with_the_secret_key(subscriber, settings):
    _, token = gift_of(ArticleFactory(), subscriber)
    assert gift_token_read(token) is not None
    settings.SECRET_KEY = "another-secret-key-" + "x" * 40
    assert gift_token_read(token) is None


def test_revoking_ends_the_link_even_for_recipients_who_opened_it(subscriber):
    article = ArticleFactory(access_level="premium")
    link, token = gift_of(article, subscriber)
    reader = _anonymous()
    assert _read(reader, article, token).reason == "gift"
    gift_link_revoke(link_id=link.pk, user=subscriber)
    again = _read(reader, article, token)
    assert (again.granted, again.gift_status) == (False, "revoked")


def test_only_the_giver_or_staff_revokes_and_revoking_twice_keeps_the_first_time(subscriber):
    link, _ = gift_of(ArticleFactory(), subscriber)
    from cms.core.exceptions import NotFound

    with pytest.raises(NotFound):
        gift_link_revoke(link_id=link.pk, user=UserFactory())
    first = gift_link_revoke(link_id=link.pk, user=subscriber).revoked_at
    assert gift_link_revoke(link_id=link.pk).revoked_at == first  # staff (no user), idempotent


def test_a_look_without_counting_only_lets_in_a_recipient_who_already_redeemed(subscriber):
    article = ArticleFactory(access_level="premium")
    link, token = gift_of(article, subscriber)
    reader = _anonymous()
    look = _read(reader, article, token, record=False)  # HEAD: no redemption written, and nothing went wrong
    assert (look.granted, look.gift_status) == (False, None)
    assert GiftLink.objects.get(pk=link.pk).redemptions == 0
    assert _read(reader, article, token).reason == "gift"
    assert _read(reader, article, token, record=False).reason == "gift"


def test_free_staff_and_authors_keep_their_reason_and_use_no_redemption(subscriber, editor):
    free = ArticleFactory(access_level="free")
    link, token = gift_of(free, subscriber)
    assert _read(_anonymous(), free, token).reason == "free"
    premium = ArticleFactory(access_level="premium")
    _, premium_token = gift_of(premium, subscriber)
    assert _read(Reader(user=editor), premium, premium_token).reason == "staff"
    assert _read(Reader(user=subscriber), premium, premium_token).reason == "subscriber"  # the giver's own link
    assert GiftRedemption.objects.count() == 0


# --- the funnel --------------------------------------------------------------------------------------------------


def test_a_gift_read_and_the_recipients_registration_carry_the_giver_link_as_source(subscriber, editor):
    article = ArticleFactory(access_level="premium")
    link, token = gift_of(article, subscriber)
    reader = _anonymous()
    _read(reader, article, token)
    funnel_buffer_flush()
    gift_event = FunnelEvent.objects.get(kind="gift")
    assert (gift_event.reader, gift_event.gift_link_id, gift_event.article_id, gift_event.utm_source) == (
        reader.key,
        link.pk,
        article.pk,
        "gift",
    )
    # the recipient registers (their events move to the account) within the attribution window
    user = UserFactory()
    from paywall.services.funnel import funnel_reader_merge, funnel_registration_record

    funnel_reader_merge(anon_id=reader.anon_id, user=user)
    registered = funnel_registration_record(user=user, anon_id=reader.anon_id)
    assert (registered.gift_link_id, registered.article_id, registered.utm_source) == (link.pk, article.pk, "gift")
    funnel_event_record(kind="paid", reader_key=f"u:{user.pk}", attribute=True)
    funnel_rollup()
    from paywall.models import FunnelDaily

    row = FunnelDaily.objects.get(dimension="source", key="gift")
    assert (row.readers, row.registered, row.paid) == (1, 1, 1)
    # and the revenue desk's API shows the source
    from django.test import Client

    staff = Client()
    staff.force_login(editor)
    rows = staff.get("/api/v1/analytics/funnel/", {"group_by": "source"}).json()["rows"]
    (gift_row,) = [r for r in rows if r["key"] == "gift"]
    assert (gift_row["readers"], gift_row["registered"], gift_row["paid"]) == (1, 1, 1)


# --- limits under concurrency ------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_twenty_creations_at_once_never_exceed_the_monthly_allowance(subscriber):
    article = ArticleFactory()
    results = at_once([lambda: gift_link_create(user=subscriber, article=article)] * 20)
    assert sum(isinstance(r, GiftLink) for r in results) == 10
    assert sum(isinstance(r, GiftLimitReached) for r in results) == 10
    assert GiftLink.objects.filter(giver=subscriber).count() == 10


@pytest.mark.django_db(transaction=True)
def test_twenty_recipients_at_once_never_exceed_a_links_redemptions(subscriber):
    article = ArticleFactory(access_level="premium")
    link, token = gift_of(article, subscriber, redemptions_max=5)
    readers = [_anonymous() for _ in range(20)]
    results = at_once([lambda r=r: _read(r, article, token) for r in readers])
    assert sorted(d.gift_status or d.reason for d in results) == ["exhausted"] * 15 + ["gift"] * 5
    link.refresh_from_db()
    assert link.redemptions == 5 and GiftRedemption.objects.filter(link=link).count() == 5


@pytest.mark.django_db(transaction=True)
def test_one_recipient_opening_a_link_ten_times_at_once_uses_one_redemption(subscriber):
    article = ArticleFactory(access_level="premium")
    link, token = gift_of(article, subscriber)
    reader = _anonymous()
    results = at_once([lambda: _read(reader, article, token)] * 10)
    assert [d.reason for d in results] == ["gift"] * 10
    link.refresh_from_db()
    assert link.redemptions == 1


def test_a_recipient_who_signs_in_keeps_the_links_they_opened_without_another_redemption(subscriber):
    from paywall.services.gifts import gift_redemptions_merge

    article = ArticleFactory(access_level="premium")
    link, token = gift_of(article, subscriber)
    anonymous = _anonymous()
    assert _read(anonymous, article, token).reason == "gift"
    user = UserFactory()
    assert gift_redemptions_merge(anon_id=anonymous.anon_id, user=user) == 1
    assert _read(Reader(user=user), article, token).reason == "gift"
    link.refresh_from_db()
    assert link.redemptions == 1 and GiftRedemption.objects.get(link=link).reader_key == f"u:{user.pk}"
