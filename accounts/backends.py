"""Authentication for server-side frontends: `X-Api-Key: mh_<prefix>_<secret>`.

A key identifies a frontend, never a reader: `request.user` stays anonymous and `request.auth` is the `ApiKey`, so
the paywall treats the request as the (anonymous) reader behind its X-Reader-Token. Keys get the `apikey` rate
(`accounts.throttling.ApiKeyRateThrottle`) instead of the anon/user rates. A present but unknown or revoked key is
refused with 401 rather than silently downgraded.
"""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from rest_framework import authentication, exceptions

HEADER = "X-Api-Key"


class ApiKeyAuthentication(authentication.BaseAuthentication):
    def authenticate(self, request):
        raw = request.headers.get(HEADER)
        if not raw:
            return None
        from .selectors import api_key_get_active  # imported late: DRF loads this class while apps may be loading
        from .services import api_key_touch

        key = api_key_get_active(raw=raw.strip())
        if key is None:
            raise exceptions.AuthenticationFailed("Invalid or revoked API key.", code="invalid_api_key")
        api_key_touch(key=key)
        return AnonymousUser(), key

    def authenticate_header(self, request):
        return HEADER
