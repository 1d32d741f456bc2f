"""The REST side of keyset pagination (cms.core.pagination): the `next`/`previous` links."""

from __future__ import annotations

from urllib.parse import urlencode


def page_link(request, *, cursor: str | None) -> str | None:
    """The absolute URL of the same request with `cursor` replaced (None when there is no such page)."""
    if cursor is None:
        return None
    params = request.GET.copy()
    params["cursor"] = cursor
    return request.build_absolute_uri(request.path) + "?" + urlencode(sorted(params.lists()), doseq=True)
