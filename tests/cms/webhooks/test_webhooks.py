import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from articles.models import Article
from articles.services import article_publish, article_unpublish
from articles.services.events import article_changed
from cms.webhooks.models import WebhookDelivery, WebhookEndpoint
from cms.webhooks.services import WEBHOOK_MAX_ATTEMPTS, webhook_backoff
from cms.webhooks.tasks import webhook_deliver_task
from tests.articles.factories import ArticleFactory

pytestmark = pytest.mark.django_db

SECRET = "s3cret-for-tests"


class Receiver:
    """A real HTTP endpoint on 127.0.0.1 that records requests and answers with the next queued status."""

    def __init__(self, statuses):
        self.statuses = list(statuses)
        self.requests: list[dict] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append({"headers": dict(self.headers), "body": body})
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver_factory():
    started = []

    def make(statuses=()):
        receiver = Receiver(statuses).__enter__()
        started.append(receiver)
        return receiver

    yield make
    for receiver in started:
        receiver.__exit__()


def test_publish_delivers_a_signed_event(receiver_factory, django_capture_on_commit_callbacks):
    # given
    receiver = receiver_factory()
    endpoint = WebhookEndpoint.objects.create(url=receiver.url, secret=SECRET)
    article = ArticleFactory(status=Article.Status.DRAFT, published_at=None)

    # when
    with django_capture_on_commit_callbacks(execute=True):
        article = article_publish(article=article)

    # then
    assert len(receiver.requests) == 1
    request = receiver.requests[0]
    header = request["headers"]["X-Masthead-Signature"]
    # verified as docs/rest-api.md tells receivers to
    expected = "sha256=" + hmac.new(SECRET.encode(), request["body"], hashlib.sha256).hexdigest()
    assert hmac.compare_digest(header, expected)
    assert header != "sha256=" + hmac.new(b"wrong", request["body"], hashlib.sha256).hexdigest()
    assert request["headers"]["X-Masthead-Event"] == "article.published"
    payload = json.loads(request["body"])
    assert payload["event"] == "article.published"
    assert payload["article_id"] == article.pk and payload["slug"] == article.slug
    assert payload["version"] == article.version
    assert payload["url"].endswith(f"/api/v1/articles/{article.slug}/")
    assert "body" not in payload and b"SECRET-AFTER-BOUNDARY" not in request["body"]
    delivery = WebhookDelivery.objects.get(endpoint=endpoint)
    assert request["headers"]["X-Masthead-Delivery"] == str(delivery.pk)
    assert delivery.status == "delivered" and delivery.attempts == 1 and delivery.response_code == 200
    assert delivery.delivered_at is not None


def test_endpoint_gets_only_the_events_it_wants(receiver_factory, django_capture_on_commit_callbacks):
    receiver = receiver_factory()
    WebhookEndpoint.objects.create(url=receiver.url, secret=SECRET, events=["article.unpublished"])
    WebhookEndpoint.objects.create(url=receiver.url, secret=SECRET, active=False)
    article = ArticleFactory(status=Article.Status.DRAFT, published_at=None)
    with django_capture_on_commit_callbacks(execute=True):
        article = article_publish(article=article)
    assert receiver.requests == []
    with django_capture_on_commit_callbacks(execute=True):
        article_unpublish(article=article)
    assert [r["headers"]["X-Masthead-Event"] for r in receiver.requests] == ["article.unpublished"]


def test_retries_after_a_server_error_then_delivers(receiver_factory, django_capture_on_commit_callbacks):
    receiver = receiver_factory(statuses=[500, 503])
    endpoint = WebhookEndpoint.objects.create(url=receiver.url, secret=SECRET)
    article = ArticleFactory()
    with django_capture_on_commit_callbacks(execute=True):
        article_changed.send(sender=Article, article_id=article.pk, event="article.updated", version=article.version)
    delivery = WebhookDelivery.objects.get(endpoint=endpoint)
    assert len(receiver.requests) == 3
    assert delivery.status == "delivered" and delivery.attempts == 3 and delivery.response_code == 200
    assert len({r["headers"]["X-Masthead-Delivery"] for r in receiver.requests}) == 1


def test_gives_up_after_bounded_retries_without_raising(receiver_factory, django_capture_on_commit_callbacks):
    receiver = receiver_factory(statuses=[500] * 20)
    endpoint = WebhookEndpoint.objects.create(url=receiver.url, secret=SECRET)
    article = ArticleFactory()
    with django_capture_on_commit_callbacks(execute=True):
        article_changed.send(sender=Article, article_id=article.pk, event="article.updated", version=article.version)
    delivery = WebhookDelivery.objects.get(endpoint=endpoint)
    assert delivery.status == "failed"
    assert delivery.attempts == WEBHOOK_MAX_ATTEMPTS == len(receiver.requests)
    assert delivery.response_code == 500


def test_unreachable_endpoint_is_retried_and_logged(django_capture_on_commit_callbacks):
    WebhookEndpoint.objects.create(url="http://127.0.0.1:9/nothing-listens", secret=SECRET)
    article = ArticleFactory()
    with django_capture_on_commit_callbacks(execute=True):
        article_changed.send(sender=Article, article_id=article.pk, event="article.updated", version=article.version)
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "failed" and delivery.response_code is None and delivery.error


def test_deliveries_are_idempotent(receiver_factory, django_capture_on_commit_callbacks):
    receiver = receiver_factory()
    WebhookEndpoint.objects.create(url=receiver.url, secret=SECRET)
    article = ArticleFactory()
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            article_changed.send(sender=Article, article_id=article.pk, event="article.updated", version=3)
    delivery = WebhookDelivery.objects.get()
    # running the task again on a delivered delivery sends nothing
    assert webhook_deliver_task.delay(delivery.pk).get() == "delivered"
    assert len(receiver.requests) == 1


def test_backoff_is_exponential():
    assert [webhook_backoff(n) for n in range(5)] == [30, 60, 120, 240, 480]


def test_worker_schedules_a_retry_with_backoff_on_server_error(receiver_factory, monkeypatch):
    # given: a delivery, run the way a worker runs it (not eager)
    from celery.exceptions import Retry

    receiver = receiver_factory(statuses=[500])
    endpoint = WebhookEndpoint.objects.create(url=receiver.url, secret=SECRET)
    article = ArticleFactory()
    delivery = WebhookDelivery.objects.create(
        endpoint=endpoint, event="article.updated", article_id=article.pk, version=1, payload={"x": 1}
    )
    scheduled = {}

    def fake_retry(*, exc, countdown):
        scheduled.update(exc=exc, countdown=countdown)
        return Retry("retry", exc)

    monkeypatch.setattr(webhook_deliver_task, "retry", fake_retry)

    # when / then
    with pytest.raises(Retry):
        webhook_deliver_task.run(delivery.pk)
    assert scheduled["countdown"] == 30
    delivery.refresh_from_db()
    assert delivery.status == "pending" and delivery.attempts == 1 and delivery.response_code == 500


def _pending_delivery(url: str) -> WebhookDelivery:
    endpoint = WebhookEndpoint.objects.create(url=url, secret=SECRET)
    article = ArticleFactory()
    return WebhookDelivery.objects.create(
        endpoint=endpoint, event="article.updated", article_id=article.pk, version=1, payload={"id": article.pk}
    )


def test_a_delivery_in_flight_is_not_sent_again(receiver_factory):
    """A second execution while an attempt holds the claim (a redelivered task) sends nothing; once the claim has
    expired (the worker died mid-send) the delivery is sent again: at least once, never twice at the same time."""
    from datetime import timedelta

    from django.utils import timezone

    from cms.webhooks.services import IN_FLIGHT, webhook_deliver

    receiver = receiver_factory()
    delivery = _pending_delivery(receiver.url)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(sending_until=timezone.now() + timedelta(seconds=20))

    assert webhook_deliver(delivery_id=delivery.pk) == IN_FLIGHT
    assert receiver.requests == []

    WebhookDelivery.objects.filter(pk=delivery.pk).update(sending_until=timezone.now() - timedelta(seconds=1))
    assert webhook_deliver(delivery_id=delivery.pk) == WebhookDelivery.Status.DELIVERED
    assert len(receiver.requests) == 1
    delivery.refresh_from_db()
    assert (delivery.attempts, delivery.sending_until) == (1, None)


@pytest.mark.django_db(transaction=True)
def test_concurrent_executions_of_one_delivery_send_it_once():
    """Two workers run the same delivery at once (real threads, real connections, a slow real receiver)."""
    import time

    from django.db import connection, connections

    from cms.webhooks.services import IN_FLIGHT, webhook_deliver

    if connection.vendor != "postgresql":
        pytest.skip("thread concurrency is exercised on PostgreSQL (CI)")

    class SlowReceiver(Receiver):
        def __init__(self):
            super().__init__([])
            handler = self.server.RequestHandlerClass
            original = handler.do_POST

            def slow_post(handler_self):
                time.sleep(0.5)
                original(handler_self)

            handler.do_POST = slow_post

    with SlowReceiver() as receiver:
        delivery = _pending_delivery(receiver.url)
        barrier, results = threading.Barrier(2), []

        def attempt():
            try:
                barrier.wait(timeout=10)
                results.append(webhook_deliver(delivery_id=delivery.pk))
            finally:
                connections.close_all()

        threads = [threading.Thread(target=attempt) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)

    assert sorted(results) == sorted([WebhookDelivery.Status.DELIVERED, IN_FLIGHT])
    assert len(receiver.requests) == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.sending_until) == ("delivered", 1, None)


def test_the_sweep_resends_a_lost_delivery_and_leaves_live_ones_alone(
    receiver_factory, django_capture_on_commit_callbacks
):
    """A delivery whose task was lost is sent once by the beat's sweep; one waiting for its next retry, one being
    sent and a finished one are left alone; one pending for days is given up."""
    from datetime import timedelta

    from django.utils import timezone

    from cms.webhooks.tasks import webhook_sweep_task

    receiver = receiver_factory()
    endpoint = WebhookEndpoint.objects.create(url=receiver.url, secret=SECRET)
    now = timezone.now()

    def delivery(version, *, age, **fields):
        article = ArticleFactory()
        made = WebhookDelivery.objects.create(
            endpoint=endpoint, event="article.updated", article_id=article.pk, version=version, payload={"v": version}
        )
        WebhookDelivery.objects.filter(pk=made.pk).update(created_at=now - age, updated_at=now - age, **fields)
        return made.pk

    lost = delivery(1, age=timedelta(minutes=30))
    waiting = delivery(2, age=timedelta(minutes=5))
    sending = delivery(3, age=timedelta(minutes=30), sending_until=now + timedelta(seconds=20))
    done = delivery(4, age=timedelta(minutes=30), status=WebhookDelivery.Status.DELIVERED)
    ancient = delivery(5, age=timedelta(days=2))

    with django_capture_on_commit_callbacks(execute=True):
        assert webhook_sweep_task.delay().get() == {"requeued": 1, "expired": 1}

    assert [json.loads(r["body"]) for r in receiver.requests] == [{"v": 1}]
    statuses = dict(WebhookDelivery.objects.values_list("pk", "status"))
    assert statuses == {lost: "delivered", waiting: "pending", sending: "pending", done: "delivered", ancient: "failed"}
