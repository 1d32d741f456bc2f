"""Shared fixtures for the Ghost Content API tests: a live Content API key and a GET helper that sends it."""

from __future__ import annotations

import pytest

from cms.ghost.keys import content_api_key_create


@pytest.fixture
def ghost_key(db) -> str:
    return content_api_key_create(name="Test frontend")[1]


@pytest.fixture
def ghost_get(api_client, ghost_key):
    """ghost_get(path, prefix="content", headers=None, **params) -> response (streamed bodies read in full)."""

    def get(path: str, *, prefix: str = "content", headers: dict | None = None, method: str = "get", **params):
        params.setdefault("key", ghost_key)
        if params["key"] is None:
            params.pop("key")
        response = getattr(api_client, method)(f"/ghost/api/{prefix}/{path}", params, headers=headers or {})
        if getattr(response, "streaming", False):
            response.body = b"".join(response.streaming_content)
        else:
            response.body = response.content
        return response

    return get
