"""Caches of the /graphql/ endpoint, both safe for a multi-process deployment.

1. Validated documents (per process): parsing and validating a query (graphql-core's rules plus depth, aliases,
   `first` and introspection limits) costs milliseconds and depends only on the query text and the limit settings,
   so a successfully validated document is kept in an LRU keyed by both. Clients send the same few queries.

2. Public query responses (the Django cache, per content generation): a query whose root fields are all content
   (`PUBLIC_ROOT_FIELDS`), sent by a request that carries no identity (`request_identified`: no bearer token, no
   session cookie) and whose execution never resolved the reader (`request_reader` marks the request, e.g. for
   `body` or `access`, which depend on the reader token), is the same for every such request, like a REST list. Its
   JSON answer is stored under a hash of (query, variables, operation name, limits) and the content generation, so
   any content change purges it at once (cms.core.caching). Requests with an identity are neither served from it nor
   stored in it, so a resolver that reads `request.user` can never leak one reader's answer to another. A marked,
   failed or non-200 answer is never stored. Entries also expire after `RESPONSE_TIMEOUT` seconds, which bounds
   staleness of counters that change without a content event (`commentCount`). Throttling and the request checks
   still run for every request; only execution is skipped.
"""

from __future__ import annotations

import hashlib
import json
from collections import OrderedDict
from threading import Lock

from django.conf import settings
from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    StringValueNode,
    VariableNode,
)

from cms.core.caching import generation_get, generation_set

PUBLIC_ROOT_FIELDS = frozenset({"article", "articles", "author", "authors", "section", "sections", "tags", "ping"})
RESPONSE_TIMEOUT = 60
DOCUMENTS_MAX = 512
_READER_MARK = "_mh_graphql_reader_dependent"


def _limits_key() -> tuple:
    return (settings.GRAPHQL_MAX_DEPTH, settings.GRAPHQL_MAX_ALIASES, settings.GRAPHQL_MAX_FIRST, settings.DEBUG)


class _DocumentCache:
    def __init__(self, size: int):
        self.size = size
        self._items: OrderedDict = OrderedDict()
        self._lock = Lock()

    def get(self, query: str) -> DocumentNode | None:
        key = (query, _limits_key())
        with self._lock:
            document = self._items.get(key)
            if document is not None:
                self._items.move_to_end(key)
            return document

    def put(self, query: str, document: DocumentNode) -> None:
        key = (query, _limits_key())
        with self._lock:
            self._items[key] = document
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


validated_documents = _DocumentCache(DOCUMENTS_MAX)


# --- public responses -------------------------------------------------------------------------------------------


def reader_dependency_mark(request) -> None:
    setattr(request, _READER_MARK, True)


def reader_dependent(request) -> bool:
    return getattr(request, _READER_MARK, False)


def request_identified(request) -> bool:
    """Whether the request says who is asking (a bearer token, or a session cookie that may carry a signed-in
    user): such requests never use the public answer cache. Reads no session and no user."""
    return bool(getattr(request, "_mh_bearer", False)) or settings.SESSION_COOKIE_NAME in request.COOKIES


def response_key(query: str, variables: dict | None, operation_name: str | None, *, base: str) -> str:
    """`base`: the start of the answer's absolute URLs (cms.core.links.site_base), which may follow the host."""
    raw = json.dumps([query, variables, operation_name, _limits_key(), base], sort_keys=True, separators=(",", ":"))
    return "graphql:public:" + hashlib.sha256(raw.encode("utf-8", "surrogateescape")).hexdigest()


def is_public_operation(document: DocumentNode, operation_name: str | None) -> bool:
    """A query (not a mutation) whose root selections are all plain fields in PUBLIC_ROOT_FIELDS."""
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if operation_name is not None:
        operations = [o for o in operations if o.name and o.name.value == operation_name]
    if len(operations) != 1 or operations[0].operation != OperationType.QUERY:
        return False
    selections = operations[0].selection_set.selections
    return all(isinstance(s, FieldNode) and s.name.value in PUBLIC_ROOT_FIELDS for s in selections)


# (root field, argument) pairs that run a full-text search: such an operation, when its answer is not cached, also
# counts against the REST API's `search` rate (accounts.throttling.SearchRateThrottle), in the same bucket.
SEARCH_ARGUMENTS = frozenset({("articles", "search")})


def is_search_operation(document: DocumentNode, operation_name: str | None, variables: dict | None) -> bool:
    """Whether the operation selects a root field of SEARCH_ARGUMENTS with a non-blank search (a literal or a
    variable), directly or through fragments."""
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if operation_name is not None:
        operations = [o for o in operations if o.name and o.name.value == operation_name]
    if len(operations) != 1:
        return False
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}

    def root_fields(selection_set, seen: frozenset):
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                yield selection
            elif isinstance(selection, InlineFragmentNode):
                yield from root_fields(selection.selection_set, seen)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                if name in fragments and name not in seen:
                    yield from root_fields(fragments[name].selection_set, seen | {name})

    for field in root_fields(operations[0].selection_set, frozenset()):
        for argument in field.arguments or ():
            if (field.name.value, argument.name.value) not in SEARCH_ARGUMENTS:
                continue
            value = argument.value
            if isinstance(value, VariableNode):
                value = (variables or {}).get(value.name.value)
            elif isinstance(value, StringValueNode):
                value = value.value
            if isinstance(value, str) and value.strip():
                return True
    return False


def response_get(key: str) -> tuple[int, bytes | None]:
    return generation_get(key)


def response_put(key: str, generation: int, content: bytes) -> None:
    generation_set(key, generation, content, timeout=RESPONSE_TIMEOUT)
