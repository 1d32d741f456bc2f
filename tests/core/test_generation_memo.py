"""`generation_memo`: a process-local value valid for the content generation the current request read."""

from __future__ import annotations

import pytest
from django.http import HttpResponse
from django.test import RequestFactory

from cms.core import caching
from cms.core.caching import ContentGenerationScope, content_generation_bump, generation_get, generation_memo

pytestmark = pytest.mark.django_db


def _request(view):
    """Run `view` inside the middleware's request scope, as Django would."""
    return ContentGenerationScope(lambda request: view())(RequestFactory().get("/"))


def _counting_build(calls: list):
    def build():
        calls.append(1)
        return len(calls)

    return build


def _read_then_memo(build):
    def view():
        generation_get("some-page")  # the request's snapshot or page read
        return HttpResponse(str([generation_memo("memo-test", build) for _ in range(3)]))

    return view


def test_one_build_per_generation_across_requests():
    calls = []
    view = _read_then_memo(_counting_build(calls))

    assert _request(view).content == b"[1, 1, 1]"
    assert _request(view).content == b"[1, 1, 1]"  # the same generation: the process's value
    content_generation_bump()
    assert _request(view).content == b"[2, 2, 2]"  # a content (or policy, plan) change: rebuilt once


def test_nothing_is_kept_outside_a_request_that_read_the_generation():
    calls = []
    build = _counting_build(calls)

    assert [generation_memo("memo-test", build) for _ in range(2)] == [1, 2]  # a task, a shell
    generation_get("some-page")  # outside a request: not remembered either
    assert generation_memo("memo-test", build) == 3
    assert _request(lambda: HttpResponse(str(generation_memo("memo-test", build)))).content == b"4"


def test_a_kept_value_is_rebuilt_after_memo_seconds(monkeypatch):
    calls = []
    view = _read_then_memo(_counting_build(calls))
    clock = [1000.0]
    monkeypatch.setattr(caching.time, "monotonic", lambda: clock[0])

    assert _request(view).content == b"[1, 1, 1]"
    clock[0] += caching.MEMO_SECONDS + 1
    assert _request(view).content == b"[2, 2, 2]"
