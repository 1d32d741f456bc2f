"""The funnel's recording points, attribution, merge, privacy, rollup and retention (paywall.services.funnel)."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import User
from accounts.tokens import email_verify_token_make
from paywall.models import Experiment, ExperimentArm, ExperimentAssignment, FunnelDaily, FunnelEvent, MeterPolicy
from paywall.readers import Reader, Touch, reader_token_issue
from paywall.services import subscription_cancel, subscription_expire, subscription_trial_start
from paywall.services.funnel import funnel_detail_record, funnel_event_record, funnel_rollup
from paywall.services.funnel_buffer import funnel_buffer_flush
from paywall.tasks import funnel_rollup_task
from tests.accounts.helpers import PASSWORD
from tests.articles.factories import ArticleFactory
from tests.paywall.billing.test_dev_checkout import checkout_path

pytestmark = pytest.mark.django_db
K = FunnelEvent.Kind


def _anon():
    anon_id, token = reader_token_issue()
    return anon_id, {"HTTP_X_READER_TOKEN": token}


def _events(**filters):
    funnel_buffer_flush()
    return list(FunnelEvent.objects.filter(**filters).order_by("id"))


def test_a_counted_read_records_the_article_and_what_the_frontend_passed(api_client):
    article = ArticleFactory()
    anon_id, headers = _anon()
    query = "?utm_source=newsletter&utm_medium=email&utm_campaign=monday"
    response = api_client.get(
        f"/api/v1/articles/{article.slug}/{query}", HTTP_X_CLIENT_REFERRER="https://t.co/x?y=1", **headers
    )
    assert response.status_code == 200 and response.json()["access"]["reason"] == "metered"
    [event] = _events()
    assert (event.kind, event.reader, event.reader_kind, event.article_id) == (
        K.READ,
        f"a:{anon_id}",
        "anonymous",
        article.pk,
    )
    assert (event.utm_source, event.utm_medium, event.utm_campaign) == ("newsletter", "email", "monday")
    assert event.referrer_host == "t.co" and event.day == timezone.localdate()
    # a re-read the same day is not counted again, so it is no new event
    api_client.get(f"/api/v1/articles/{article.slug}/", **headers)
    assert len(_events()) == 1


def test_graphql_detail_records_through_the_same_path_with_the_referrer_parameter(graphql_client):
    article = ArticleFactory()
    anon_id, headers = _anon()
    query = '{ article(slug: "SLUG") { body access { reason } } }'.replace("SLUG", article.slug)
    graphql_client.client.post("/graphql/?referrer=news.google.com", {"query": query}, format="json", **headers)
    [event] = _events()
    assert (event.kind, event.reader, event.referrer_host) == (K.READ, f"a:{anon_id}", "news.google.com")


def test_the_wall_records_a_paywall_shown_with_its_code(api_client, settings):
    settings.PAYWALL_ANONYMOUS_DAILY_LIMIT = 1
    MeterPolicy.objects.all().delete()
    metered, other, premium = ArticleFactory(), ArticleFactory(), ArticleFactory(access_level="premium")
    _, headers = _anon()
    for article in (metered, other, premium):
        api_client.get(f"/api/v1/articles/{article.slug}/?utm_source=fb", **headers)
    events = [(e.kind, e.code, e.article_id) for e in _events()]
    assert events == [
        (K.READ, "", metered.pk),
        (K.PAYWALL, "meter_exhausted", other.pk),
        (K.PAYWALL, "premium", premium.pk),
    ]


def test_subscribers_free_articles_and_readers_without_id_record_nothing(api_client, subscriber):
    article, free = ArticleFactory(), ArticleFactory(access_level="free")
    api_client.force_authenticate(subscriber)
    api_client.get(f"/api/v1/articles/{article.slug}/")
    api_client.force_authenticate(None)
    _, headers = _anon()
    api_client.get(f"/api/v1/articles/{free.slug}/", **headers)
    assert _events() == []


def test_registration_merges_the_anonymous_reader_and_is_attributed_to_the_last_paywall(api_client, settings):
    settings.PAYWALL_ANONYMOUS_DAILY_LIMIT = 1
    first, walled, later_wall = ArticleFactory(), ArticleFactory(), ArticleFactory(access_level="premium")
    anon_id, headers = _anon()
    api_client.get(f"/api/v1/articles/{first.slug}/", **headers)
    api_client.get(f"/api/v1/articles/{walled.slug}/?utm_source=twitter", **headers)
    api_client.get(f"/api/v1/articles/{later_wall.slug}/?utm_source=newsletter", **headers)
    response = api_client.post(
        "/api/v1/auth/register/", {"email": "new@example.com", "password": PASSWORD}, format="json", **headers
    )
    assert response.status_code == 202
    user = User.objects.get(email="new@example.com")
    assert not FunnelEvent.objects.filter(reader=f"a:{anon_id}").exists()  # the anonymous id is now the account
    registered = FunnelEvent.objects.get(kind=K.REGISTERED)
    assert registered.reader == f"u:{user.pk}" and registered.reader_kind == "anonymous"
    assert (registered.article_id, registered.utm_source) == (later_wall.pk, "newsletter")  # the last touch
    funnel_rollup()
    total = FunnelDaily.objects.get(dimension="total", day=timezone.localdate())
    assert (total.readers, total.paywall_shown, total.registered) == (1, 1, 1)  # one person


def test_attribution_ignores_a_paywall_older_than_the_policy_window(reader):
    MeterPolicy.objects.update_or_create(pk=1, defaults={"attribution_days": 7})
    article = ArticleFactory()
    now = timezone.now()
    funnel_event_record(
        kind=K.PAYWALL, reader_key=f"u:{reader.pk}", article_id=article.pk, now=now - timedelta(days=8), arm=None
    )
    trial = funnel_event_record(kind=K.TRIAL, reader_key=f"u:{reader.pk}", attribute=True, now=now, arm=None)
    assert trial.article_id is None
    funnel_event_record(
        kind=K.PAYWALL, reader_key=f"u:{reader.pk}", article_id=article.pk, now=now - timedelta(days=6), arm=None
    )
    paid = funnel_event_record(kind=K.PAID, reader_key=f"u:{reader.pk}", attribute=True, now=now, arm=None)
    assert paid.article_id == article.pk


def test_email_verified_counts_once_per_account(api_client, unverified_reader):
    for _ in range(2):
        token = email_verify_token_make(user=unverified_reader, email=unverified_reader.email)
        api_client.post("/api/v1/auth/verify-email/", {"token": token}, format="json")
    assert [e.kind for e in _events()] == [K.VERIFIED]


def test_trial_first_payment_cancellation_and_expiry_are_recorded(client, reader):
    subscription_trial_start(user=reader)
    client.post(checkout_path(reader))  # the dev provider: the trial converts with a payment
    paid = reader.subscriptions.get(status="active")
    subscription_cancel(subscription=paid, notify_provider=False)
    subscription_expire(subscription=paid, source="sweep")
    kinds = [(e.kind, e.reader_kind) for e in _events(reader=f"u:{reader.pk}")]
    assert kinds == [
        (K.TRIAL, "registered"),
        (K.PAID, "trial"),  # the trial converts: it ends without an expiry
        (K.CANCELED, "subscriber"),
        (K.EXPIRED, "subscriber"),
    ]


def test_a_second_paid_subscription_is_not_a_first_payment(client, lapsed_subscriber):
    client.post(checkout_path(lapsed_subscriber))
    assert not FunnelEvent.objects.filter(kind=K.PAID).exists()


def test_deleting_an_account_unlinks_its_events_and_keeps_the_counts(reader):
    for kind in (K.READ, K.REGISTERED):
        funnel_event_record(kind=kind, reader_key=f"u:{reader.pk}", arm=None)
    funnel_rollup()
    before = FunnelDaily.objects.get(dimension="total").readers
    reader.delete()
    keys = set(FunnelEvent.objects.values_list("reader", flat=True))
    assert len(keys) == 1 and next(iter(keys)).startswith("x:")
    funnel_rollup()
    after = FunnelDaily.objects.get(dimension="total")
    assert after.readers == before == 1 and after.registered == 1


def test_rollup_is_idempotent_and_counts_distinct_readers_per_dimension():
    a1, a2 = ArticleFactory(), ArticleFactory()
    exp = Experiment.objects.create(slug="wall", name="Wall", start_at=timezone.now() - timedelta(days=1))
    arm = ExperimentArm.objects.create(experiment=exp, name="b", share=0)  # only the stored assignment below
    ExperimentAssignment.objects.create(experiment=exp, arm=arm, reader_key="u:1")
    rec = funnel_event_record
    rec(kind=K.READ, reader_key="u:1", article_id=a1.pk, touch=None)
    rec(kind=K.READ, reader_key="u:1", article_id=a2.pk)
    rec(kind=K.PAYWALL, reader_key="u:1", article_id=a2.pk, code="meter_exhausted")
    rec(kind=K.READ, reader_key="u:2", article_id=a1.pk)
    first = funnel_rollup_task()
    snapshot = sorted(FunnelDaily.objects.values_list("dimension", "key", "readers", "paywall_shown", "counted_reads"))
    second = funnel_rollup_task()
    assert first["rows"] == second["rows"]
    assert (
        sorted(FunnelDaily.objects.values_list("dimension", "key", "readers", "paywall_shown", "counted_reads"))
        == snapshot
    )
    assert snapshot == [
        ("arm", "wall/b", 1, 1, 2),
        ("article", str(a1.pk), 2, 0, 2),
        ("article", str(a2.pk), 1, 1, 1),
        ("source", "(direct)", 2, 1, 3),
        ("total", "", 2, 1, 3),
    ]


def test_rollup_purges_raw_events_after_retention_and_keeps_old_aggregates(settings):
    settings.ANALYTICS_RETENTION_DAYS = 90
    now = timezone.now()
    funnel_event_record(kind=K.READ, reader_key="a:old", now=now - timedelta(days=91), arm=None)
    funnel_event_record(kind=K.READ, reader_key="a:new", now=now - timedelta(days=89), arm=None)
    old_day = timezone.localdate(now - timedelta(days=91))
    from paywall.services.funnel import funnel_day_rollup

    funnel_day_rollup(day=old_day)
    result = funnel_rollup(now=now)
    assert result["purged"] == 1
    assert list(FunnelEvent.objects.values_list("reader", flat=True)) == ["a:new"]
    assert FunnelDaily.objects.get(dimension="total", day=old_day).readers == 1


def test_a_merge_marks_older_days_for_the_next_rollup(api_client, reader):
    anon_id, headers = _anon()
    two_days_ago = timezone.now() - timedelta(days=2)
    for key in (f"a:{anon_id}", f"u:{reader.pk}"):
        funnel_event_record(kind=K.READ, reader_key=key, now=two_days_ago, arm=None)
    from paywall.services.funnel import funnel_day_rollup

    day = timezone.localdate(two_days_ago)
    funnel_day_rollup(day=day)
    assert FunnelDaily.objects.get(dimension="total", day=day).readers == 2
    response = api_client.post(
        "/api/v1/auth/login/", {"email": reader.email, "password": PASSWORD}, format="json", **headers
    )
    assert response.status_code == 200, response.content
    funnel_rollup()
    assert FunnelDaily.objects.get(dimension="total", day=day).readers == 1


def test_existing_api_keys_keep_reading_content_and_have_no_scope():
    from accounts.services import api_key_create

    key, _ = api_key_create(name="SSR")
    assert key.scopes == [] and not key.has_scope("analytics")
    scoped, _ = api_key_create(name="Desk tools", scopes=["analytics"])
    assert scoped.has_scope("analytics")


def test_detail_events_are_buffered_and_written_in_one_batch(api_client, settings):
    settings.ANALYTICS_BUFFER_SIZE = 3
    articles = [ArticleFactory() for _ in range(3)]
    _, headers = _anon()
    api_client.get(f"/api/v1/articles/{articles[0].slug}/", **headers)
    api_client.get(f"/api/v1/articles/{articles[1].slug}/", **headers)
    assert not FunnelEvent.objects.exists()  # buffered: the detail wrote nothing but the meter
    with CaptureQueriesContext(connection) as queries:
        api_client.get(f"/api/v1/articles/{articles[2].slug}/", **headers)
    inserts = [q["sql"] for q in queries.captured_queries if q["sql"].startswith('INSERT INTO "paywall_funnelevent"')]
    assert len(inserts) == 1 and FunnelEvent.objects.count() == 3  # the third filled the batch: one INSERT


def test_a_buffered_batch_larger_than_one_statement_is_written_whole_with_every_value_as_recorded(settings):
    # given more events than one INSERT may carry on SQLite (999 parameters), each with its own time and touch
    settings.ANALYTICS_BUFFER_SIZE = 10_000
    settings.TIME_ZONE = "America/New_York"  # 02:30 UTC is the day before in New York
    late = timezone.now().replace(hour=2, minute=30, second=0, microsecond=123456)
    reader = Reader(anon_id="a" * 32, touch=Touch(utm_source="newsletter", referrer_host="t.co"))
    decision = SimpleNamespace(counted=True, granted=True, reader_kind="anonymous", policy=None)
    recorded = [
        funnel_detail_record(
            reader=reader, article=SimpleNamespace(pk=n), decision=decision, now=late + timedelta(seconds=n)
        )
        for n in range(1, 251)
    ]
    # when the buffer is written: every event, each field as the recording built it
    assert funnel_buffer_flush() == 250
    written = list(FunnelEvent.objects.order_by("article_id").values(*recorded[0]))
    assert written == recorded
    assert (
        written[0]["day"] == late.astimezone(timezone.get_current_timezone()).date() == late.date() - timedelta(days=1)
    )


def test_events_arriving_after_a_merge_are_rewritten_by_the_rollup(api_client, reader):
    anon_id, headers = _anon()
    api_client.post("/api/v1/auth/login/", {"email": reader.email, "password": PASSWORD}, format="json", **headers)
    # a read buffered by another web process before the login, written after it
    funnel_event_record(kind=K.READ, reader_key=f"a:{anon_id}", arm=None)
    funnel_event_record(kind=K.READ, reader_key=f"u:{reader.pk}", arm=None)
    funnel_rollup()
    assert set(FunnelEvent.objects.values_list("reader", flat=True)) == {f"u:{reader.pk}"}
    assert FunnelDaily.objects.get(dimension="total").readers == 1


def test_events_of_a_deleted_account_arriving_late_are_unlinked_too(reader):
    user_id = reader.pk
    reader.delete()
    funnel_event_record(kind=K.READ, reader_key=f"u:{user_id}", arm=None)  # late, from another process
    funnel_rollup()
    assert not FunnelEvent.objects.filter(reader=f"u:{user_id}").exists()
    funnel_rollup(now=timezone.now() + timedelta(days=2))  # after a day the alias itself is gone
    from paywall.models import FunnelAlias

    assert not FunnelAlias.objects.filter(from_key=f"u:{user_id}").exists()


def test_a_stripe_trial_is_not_a_payment_until_its_first_paid_period(client, reader, fake_stripe, stripe_plan):
    from tests.paywall.billing.test_stripe import checkout_completed
    from tests.paywall.conftest import signed_post, stripe_event

    remote = fake_stripe.subscription("sub_1", user_id=reader.pk, status="trialing")
    assert signed_post(client, checkout_completed(reader)).json()["outcome"] == "activated"
    assert not FunnelEvent.objects.filter(kind=K.PAID).exists()
    invoice = {"id": "in_1", "object": "invoice", "subscription": "sub_1", "customer": "cus_test_1"}
    for n in (1, 2):  # the trial ends with a payment, then a renewal
        remote.update(status="active", current_period_start=remote["current_period_end"])
        remote["current_period_end"] += 7 * 86400
        response = signed_post(client, stripe_event("invoice.paid", invoice, event_id=f"evt_paid_{n}"))
        assert response.json()["outcome"] == "renewed"
    [paid] = FunnelEvent.objects.filter(kind=K.PAID)
    assert (paid.reader, paid.reader_kind) == (f"u:{reader.pk}", "trial")


def test_events_hold_no_personal_data():
    names = {f.name for f in FunnelEvent._meta.get_fields()}
    assert not {n for n in names if any(word in n for word in ("email", "ip", "user", "name", "agent"))}


def test_hostile_attribution_values_are_refused_or_cleaned_and_never_cost_other_readers_their_events(
    api_client, graphql_client
):
    # given a NUL, a control character and an overlong value, and another reader's read in the same buffered batch
    article = ArticleFactory()
    _, other = _anon()
    api_client.get(f"/api/v1/articles/{article.slug}/", **other)
    hostile = "utm_source=news%00letter&utm_medium=e%0Amail&utm_campaign=" + "c" * 500 + "&referrer=http://t.co%00/x"
    # when REST is sent them: a 400 naming the parameter
    refused = api_client.get(f"/api/v1/articles/{article.slug}/?{hostile}", **_anon()[1])
    assert refused.status_code == 400 and refused.json()["errors"][0]["field"].startswith("utm_")
    # when GraphQL's URL carries them (no serializer there): the read is answered ...
    query = {"query": f'{{ article(slug: "{article.slug}") {{ body }} }}'}
    answered = graphql_client.client.post(f"/graphql/?{hostile}", query, format="json", **_anon()[1])
    assert answered.status_code == 200 and "errors" not in answered.json()
    # ... and both events are written, the values made storable
    events = _events(kind=K.READ)
    assert len(events) == 2
    written = events[1]
    assert (written.utm_source, written.utm_medium, len(written.utm_campaign)) == ("newsletter", "email", 100)
    assert "\x00" not in written.referrer_host


def test_a_replayed_or_redelivered_payment_webhook_is_one_first_payment(client, reader, fake_stripe, stripe_plan):
    from tests.paywall.billing.test_stripe import checkout_completed
    from tests.paywall.conftest import signed_post

    fake_stripe.subscription("sub_1", user_id=reader.pk, status="active")
    event = checkout_completed(reader)
    assert signed_post(client, event).json()["outcome"] == "activated"
    signed_post(client, event)  # the same event again (a replay)
    signed_post(client, {**event, "id": event["id"] + "_redelivered"})  # the same checkout, a new event id
    assert FunnelEvent.objects.filter(kind=K.PAID).count() == 1
