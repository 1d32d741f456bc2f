"""Per-request batching for graphene-django 3's synchronous execution.

graphql-core 3 executes sync resolvers depth-first and does not understand `promise.Promise` (graphene 2's
DataLoader), and `aiodataloader` needs async execution, which graphene-django 3's view does not run. So a loader
here batches by *announcement*: the resolver that produces a list of parents (a connection page, a `related`
list) calls `Loader(info).prime_keys(keys)` for the children it may be asked for; the first `load(key)` then
fetches every announced key not yet loaded in ONE query, and the rest are served from the per-request cache.
A key that was never announced is loaded on its own (still correct, just not batched).

Loaders are created once per request and stored on the context (the Django request):

    class TagsByArticleIdLoader(DataLoader[int, list[Tag]]):
        default = []
        def batch_load(self, keys):
            ...return {article_id: [tags...]}

    TagsByArticleIdLoader(info).prime_keys(ids)    # in the list resolver
    TagsByArticleIdLoader(info).load(article.pk)   # in ArticleType.resolve_tags
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")

_LOADERS_ATTR = "_mh_dataloaders"


class DataLoader(Generic[K, V]):
    """Subclass and implement `batch_load(keys) -> {key: value}`; missing keys get `default`."""

    default: Any = None

    def __new__(cls, info_or_context):
        context = getattr(info_or_context, "context", info_or_context)
        loaders = getattr(context, _LOADERS_ATTR, None)
        if loaders is None:
            loaders = {}
            setattr(context, _LOADERS_ATTR, loaders)
        loader = loaders.get(cls)
        if loader is None:
            loader = super().__new__(cls)
            loader.context = context
            loader._cache = {}
            loader._pending = {}
            loader.batches = 0
            loaders[cls] = loader
        return loader

    def __init__(self, info_or_context):  # state is set once, in __new__
        pass

    def batch_load(self, keys: list[K]) -> dict[K, V]:  # pragma: no cover - abstract
        raise NotImplementedError

    def prime_keys(self, keys: Iterable[K]) -> None:
        """Announce keys that will probably be loaded; nothing is fetched until the first `load`."""
        for key in keys:
            if key is not None and key not in self._cache:
                self._pending[key] = None

    def prime(self, key: K, value: V) -> None:
        """Store an already known value (e.g. from a select_related join)."""
        self._cache[key] = value
        self._pending.pop(key, None)

    def load(self, key: K) -> V:
        if key is None:
            return self._default()
        if key not in self._cache:
            self._pending[key] = None
            self._dispatch()
        return self._cache[key]

    def load_many(self, keys: Iterable[K]) -> list[V]:
        keys = list(keys)
        self.prime_keys(keys)
        return [self.load(key) for key in keys]

    def _default(self):
        default = self.default
        return list(default) if isinstance(default, list) else default

    def _dispatch(self) -> None:
        keys = list(self._pending)
        self._pending.clear()
        self.batches += 1
        found = self.batch_load(keys)
        for key in keys:
            self._cache[key] = found[key] if key in found else self._default()
