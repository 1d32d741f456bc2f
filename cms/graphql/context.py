"""Per-request state for resolvers. The GraphQL context is the Django request (graphene-django's default).

`request_reader(info)` is how every resolver that depends on the reader (article body/access/paywall, meter,
comments) gets it: resolved once per request, and the view then sends a newly issued anonymous token back
(X-Reader-Token + mh_reader cookie) and marks the response `Cache-Control: private, no-store`.
"""

from __future__ import annotations

from typing import Any

from paywall.readers import Reader, reader_resolve

from .caching import reader_dependency_mark

_READER_ATTR = "_mh_graphql_reader"
_STORE_ATTR = "_mh_graphql_store"


def _request_of(info_or_request):
    return getattr(info_or_request, "context", info_or_request)


def request_reader(info_or_request) -> Reader:
    """The reader behind this GraphQL request, resolved (and, if needed, issued) once per request."""
    request = _request_of(info_or_request)
    reader_dependency_mark(request)  # this answer is not the same for everyone: never cache it
    reader = getattr(request, _READER_ATTR, None)
    if reader is None:
        reader = reader_resolve(request)
        setattr(request, _READER_ATTR, reader)
    return reader


def request_reader_used(request) -> Reader | None:
    """The reader if a resolver asked for it during this request (the view attaches its token), else None."""
    return getattr(request, _READER_ATTR, None)


def request_store(info_or_request, name: str, factory=dict) -> Any:
    """A per-request cache (e.g. memoised decisions), created on first use with `factory()`."""
    request = _request_of(info_or_request)
    store = getattr(request, _STORE_ATTR, None)
    if store is None:
        store = {}
        setattr(request, _STORE_ATTR, store)
    if name not in store:
        store[name] = factory()
    return store[name]
