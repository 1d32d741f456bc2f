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
    """Under CI a missing service is a failure, never a skip: the services must be configured."""
    if IN_CI:
        db = settings.DATABASES["default"]["ENGINE"]
        if "postgresql" not in db or not settings.REDIS_URL:
            raise pytest.UsageError("CI=true requires DATABASE_URL (PostgreSQL) and REDIS_URL to be set.")


@pytest.fixture(autouse=True)
def _clean_cache():
    cache.clear()
    yield
    cache.clear()


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


@pytest.fixture
def subscriber(db):
    from tests.paywall.factories import SubscriptionFactory

    user = UserFactory(email="subscriber@example.com", email_verified_at=timezone.now())
    SubscriptionFactory(user=user, status="active", current_period_end=timezone.now() + timedelta(days=7))
    return user


@pytest.fixture
def trial_reader(db):
    from tests.paywall.factories import SubscriptionFactory

    user = UserFactory(email="trial@example.com", email_verified_at=timezone.now())
    SubscriptionFactory(
        user=user,
        status="trialing",
        is_trial=True,
        trial_end=timezone.now() + timedelta(days=14),
        current_period_end=timezone.now() + timedelta(days=14),
    )
    return user


@pytest.fixture
def lapsed_subscriber(db):
    from tests.paywall.factories import SubscriptionFactory

    user = UserFactory(email="lapsed@example.com", email_verified_at=timezone.now())
    SubscriptionFactory(
        user=user,
        status="expired",
        current_period_end=timezone.now() - timedelta(days=1),
        ended_at=timezone.now() - timedelta(days=1),
    )
    return user


@pytest.fixture
def editor(db):
    user = UserFactory(email="editor@example.com", is_staff=True, email_verified_at=timezone.now())
    user.groups.add(Group.objects.get(name="Editor"))
    return user


@pytest.fixture
def contributor(db):
    user = UserFactory(email="contributor@example.com", is_staff=True, email_verified_at=timezone.now())
    user.groups.add(Group.objects.get(name="Contributor"))
    return user
