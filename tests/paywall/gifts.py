"""Helpers of the gift link tests: a live link of an article, and many readers at once."""

from __future__ import annotations

import threading

from django.db import connections

from paywall.models import GiftLink
from paywall.services import gift_link_create, gift_link_token


def gift_of(article, giver, **changes) -> tuple[GiftLink, str]:
    """A gift link of `article` by `giver` (a subscriber), with `changes` applied to its row; and its token."""
    link = gift_link_create(user=giver, article=article)
    if changes:
        GiftLink.objects.filter(pk=link.pk).update(**changes)
        link.refresh_from_db()
    return link, gift_link_token(link)


def at_once(calls) -> list:
    """Run the callables in threads released together; their results (or exceptions), in no particular order."""
    results: list = []
    lock = threading.Lock()
    barrier = threading.Barrier(len(calls))

    def run(call):
        try:
            barrier.wait(timeout=30)
            try:
                outcome = call()
            except Exception as exc:  # noqa: BLE001 - the test asserts on it
                outcome = exc
            with lock:
                results.append(outcome)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results
