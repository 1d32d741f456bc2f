"""Shared fixtures: api_client, graphql_client, and the cast of readers (reader, subscriber, editor, ...)."""

from __future__ import annotations

import json
import os
import shutil
from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.utils import timezone
from rest_framework.test import APIClient

from tests.accounts.factories import UserFactory

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def pytest_collection_modifyitems(config, items):
    """Under CI a missing service is a failure, never a skip: the services must be configured.

    Every transactional test restores the data of the data migrations (groups, plans, content types) with a
    serialized rollback. Mixing both kinds breaks in an order-dependent way: a transactional test's flush without
    it re-creates the content types under new ids, and the next serialized test then fails to load its copy
    ("duplicate key ... django_content_type"). With it on every one, no flush re-creates them."""
    if IN_CI:
        db = settings.DATABASES["default"]["ENGINE"]
        if "postgresql" not in db or not settings.REDIS_URL:
            raise pytest.UsageError("CI=true requires DATABASE_URL (PostgreSQL) and REDIS_URL to be set.")
    for item in items:
        _serialized_rollback_if_transactional(item)


_TRANSACTIONAL_FIXTURES = {"transactional_db", "live_server"}


def _serialized_rollback_if_transactional(item) -> None:
    marker = item.get_closest_marker("django_db")
    kwargs = dict(marker.kwargs) if marker else {}
    fixtures = set(getattr(item, "fixturenames", ()))
    if not (kwargs.get("transaction") or fixtures & _TRANSACTIONAL_FIXTURES) or kwargs.get("serialized_rollback"):
        return
    item.add_marker(pytest.mark.django_db(**{**kwargs, "transaction": True, "serialized_rollback": True}), append=False)


@pytest.fixture(autouse=True)
def _clean_cache():
    from paywall.selectors import meter_limits_forget
    from paywall.services.funnel_buffer import funnel_buffer_discard

    cache.clear()
    meter_limits_forget()
    yield
    cache.clear()
    meter_limits_forget()
    funnel_buffer_discard()  # events a test buffered and did not write never reach the next one


@pytest.fixture(autouse=True, scope="session")
def _stray_database_sessions_ended(request, django_db_setup, django_db_blocker):
    """End the sessions some test left open on the test database before pytest-django drops it (otherwise:
    "database ... is being accessed by other users" and a test database left behind), and name them, so the test
    that leaks can be found: a thread that used the ORM and did not call `connections.close_all()`, or a server
    process still running."""
    yield
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid, application_name, state, left(query, 120), pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        stray = cursor.fetchall()
    if stray:
        reporter = request.config.pluginmanager.get_plugin("terminalreporter")
        for pid, application, state, query, _ in stray:
            line = f"stray database session ended at teardown: pid {pid} {application!r} {state}: {query}"
            reporter.write_line(line) if reporter else print(line)


@pytest.fixture(autouse=True, scope="session")
def _media_root():
    os.makedirs(settings.MEDIA_ROOT, exist_ok=True)
    yield
    shutil.rmtree(settings.MEDIA_ROOT, ignore_errors=True)


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


class GraphQLClient:
    """Posts GraphQL operations to /graphql/ over HTTP (through Django's test client) and decodes the answer."""

    def __init__(self, client: APIClient):
        self.client = client

    def __call__(self, query: str, variables: dict | None = None, headers: dict | None = None, **extra):
        response = self.client.post(
            "/graphql/",
            data=json.dumps({"query": query, "variables": variables or {}}),
            content_type="application/json",
            headers=headers or {},
            **extra,
        )
        response.json_body = response.json() if response.content else None
        return response

    def force_authenticate(self, user=None):
        if user is None:
            self.client.logout()
        else:
            self.client.force_login(user)


@pytest.fixture
def graphql_client(api_client) -> GraphQLClient:
    return GraphQLClient(api_client)


@pytest.fixture
def reader(db):
    return UserFactory(email="reader@example.com", email_verified_at=timezone.now())


@pytest.fixture
def unverified_reader(db):
    return UserFactory(email="unverified@example.com", email_verified_at=None)


def _subscribed_reader(email: str, **subscription):
    """A verified reader with one subscription of the given state."""
    from tests.paywall.factories import SubscriptionFactory

    user = UserFactory(email=email, email_verified_at=timezone.now())
    SubscriptionFactory(user=user, **subscription)
    return user


@pytest.fixture
def subscriber(db):
    return _subscribed_reader(
        "subscriber@example.com", status="active", current_period_end=timezone.now() + timedelta(days=7)
    )


@pytest.fixture
def trial_reader(db):
    in_two_weeks = timezone.now() + timedelta(days=14)
    return _subscribed_reader(
        "trial@example.com", status="trialing", is_trial=True, trial_end=in_two_weeks, current_period_end=in_two_weeks
    )


@pytest.fixture
def lapsed_subscriber(db):
    yesterday = timezone.now() - timedelta(days=1)
    return _subscribed_reader("lapsed@example.com", status="expired", current_period_end=yesterday, ended_at=yesterday)


@pytest.fixture
def app_store_subscriber(db):
    """Bought in the App Store: the paywall does not care where."""
    in_a_week = timezone.now() + timedelta(days=7)
    return _subscribed_reader(
        "ios@example.com",
        status="active",
        provider="app_store",
        provider_subscription_id="1",
        current_period_end=in_a_week,
    )


@pytest.fixture
def play_grace_subscriber(db):
    """A Google Play renewal failed an hour ago: the store's grace period (past_due, access continues)."""
    an_hour_ago = timezone.now() - timedelta(hours=1)
    return _subscribed_reader(
        "android@example.com",
        status="past_due",
        provider="google_play",
        current_period_end=an_hour_ago,
        past_due_since=an_hour_ago,
    )


@pytest.fixture
def store_refunded_subscriber(db):
    """An App Store purchase refunded today: access ended at once."""
    now = timezone.now()
    return _subscribed_reader(
        "refunded@example.com",
        status="expired",
        provider="app_store",
        current_period_end=now + timedelta(days=6),
        ended_at=now,
    )


@pytest.fixture
def editor(db):
    user = UserFactory(email="editor@example.com", is_staff=True, email_verified_at=timezone.now())
    user.groups.add(Group.objects.get(name="Editor"))
    return user


GROUP_NETWORKS = ("192.0.2.0/24", "2001:db8:42::/48")  # documentation ranges (RFC 5737, RFC 3849)


@pytest.fixture
def live_group(db):
    """A group of 5 seats on the per-seat "team" plan with a live subscription, admin `groupadmin@example.com` (who
    holds no seat), domain `example.org` and an IPv4 and an IPv6 network."""
    from paywall.models import Plan
    from paywall.services import groups

    admin = UserFactory(email="groupadmin@example.com", email_verified_at=timezone.now())
    group = groups.group_create(
        name="Example Library", plan=Plan.objects.get(code="team"), seats=5, admins=[admin], domain="example.org"
    )
    groups.group_subscription_activate(group=group, source="test", provider="dev", provider_subscription_id="dev_g1")
    for cidr in GROUP_NETWORKS:
        groups.group_network_add(group=group, cidr=cidr)
    return group


@pytest.fixture
def group_member(live_group):
    """A reader with a seat in `live_group` and no subscription of their own."""
    from paywall.services import groups

    user = UserFactory(email="member@example.org", email_verified_at=timezone.now())
    groups.group_join(user=user)
    return user


@pytest.fixture
def contributor(db):
    user = UserFactory(email="contributor@example.com", is_staff=True, email_verified_at=timezone.now())
    user.groups.add(Group.objects.get(name="Contributor"))
    return user


class _CollectingSMTPHandler:
    """aiosmtpd handler keeping every delivered message (parsed) in `messages`."""

    def __init__(self):
        self.messages: list = []

    async def handle_DATA(self, server, session, envelope):
        import email
        from email import policy

        message = email.message_from_bytes(envelope.original_content or envelope.content, policy=policy.default)
        message.envelope_from = envelope.mail_from
        message.envelope_to = list(envelope.rcpt_tos)
        self.messages.append(message)
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_server(settings):
    """A real SMTP server (aiosmtpd) on 127.0.0.1, with Django's SMTP backend pointed at it.

    Yields the handler: `smtp_server.messages` is the list of received `email.message.EmailMessage` objects
    (`msg["To"]`, `msg["Subject"]`, `msg.get_body(("plain",)).get_content()`, `msg.envelope_to`). Emails go through
    `email_enqueue` -> `transaction.on_commit` -> Celery (eager) -> SMTP, so run the code under test inside
    `django_capture_on_commit_callbacks(execute=True)` (or a `transactional_db` test).
    """
    import socket

    from aiosmtpd.controller import Controller

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    handler = _CollectingSMTPHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 5
    try:
        yield handler
    finally:
        controller.stop()


@pytest.fixture(params=["rum", "gin"])
def search_method(request, settings):
    """Run a search test twice: with the RUM index (installed on this machine and in CI) and with the GIN fallback
    forced (`SEARCH_METHOD=gin`, as on a PostgreSQL without the extension). The value: the method in use."""
    from articles.search import search_method as method_in_use
    from articles.search import search_method_forget

    settings.SEARCH_METHOD = "auto" if request.param == "rum" else "gin"
    search_method_forget()
    assert method_in_use() == request.param
    yield request.param
    search_method_forget()
