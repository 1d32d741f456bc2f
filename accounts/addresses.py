"""The client's address behind trusted proxies: one rule for the throttles (`accounts.throttling`) and the
paywall's group networks (`paywall.readers`), so a forged `X-Forwarded-For` moves neither."""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from django.conf import settings


@lru_cache(maxsize=32)
def _networks(proxies: tuple[str, ...]) -> tuple:
    nets = []
    for item in proxies:
        try:
            nets.append(ipaddress.ip_network(item.strip(), strict=False))
        except ValueError:
            continue
    return tuple(nets)


def _is_trusted(addr: str) -> bool:
    try:
        ip = ipaddress.ip_address(addr)
    except ValueError:
        return False
    return any(ip in net for net in _networks(tuple(settings.TRUSTED_PROXIES)))


def _is_api_key(request) -> bool:
    from .models import ApiKey

    return isinstance(getattr(request, "auth", None), ApiKey)


def client_ip(request) -> str:
    """The client's address.

    `REMOTE_ADDR`, unless the peer is one of `TRUSTED_PROXIES`: then the right-most hop of `X-Forwarded-For` that is
    not a trusted proxy (the left part of the header is whatever the client wrote, so it is never read). A request
    authenticated by an API key comes from a server-side frontend relaying a reader: the hop before the frontend's
    own (the reader's address it put in `X-Forwarded-For`) is the client.
    """
    meta = getattr(request, "META", {})
    remote = meta.get("REMOTE_ADDR", "") or "unknown"
    keyed = _is_api_key(request)
    if not keyed and not (settings.TRUSTED_PROXIES and _is_trusted(remote)):
        return remote
    hops = [h.strip() for h in meta.get("HTTP_X_FORWARDED_FOR", "").split(",") if h.strip()]
    chain = [*hops, remote]  # nearest last
    i = len(chain) - 1
    while i > 0 and _is_trusted(chain[i]):
        i -= 1
    if keyed and i > 0:
        i -= 1
    try:
        ipaddress.ip_address(chain[i])
    except ValueError:
        return remote  # garbage in the chain: trust none of it
    return chain[i]
