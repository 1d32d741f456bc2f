"""Authentication: readers' JWTs (`JWTAuthentication`) and server-side frontends' API keys (`ApiKeyAuthentication`).

`JWTAuthentication` is simplejwt's, with every check it makes (signature, expiry, token type, the user active, the
password not changed since the token when so configured); only the user row is fetched by `selectors.user_get_by_id`
(the accounts app's one read of a user by id, which answers None without a query for an id that cannot exist).

API keys: `X-Api-Key: mh_<prefix>_<secret>`.

A key identifies a frontend, never a reader: `request.user` stays anonymous and `request.auth` is the `ApiKey`, so
the paywall treats the request as the (anonymous) reader behind its X-Reader-Token. Keys get the `apikey` rate
(`accounts.throttling.ApiKeyRateThrottle`) instead of the anon/user rates. A present but unknown or revoked key is
refused with 401 rather than silently downgraded.
"""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from rest_framework import authentication, exceptions
from rest_framework_simplejwt import authentication as jwt_authentication

from .selectors import user_get_by_id

HEADER = "X-Api-Key"


class _UsersById:
    """Stands in for the user model inside simplejwt's `get_user`, which calls `user_model.objects.get(id=...)`
    and catches `user_model.DoesNotExist`: the library keeps its checks, we supply the lookup."""

    def __init__(self, model):
        self._model = model
        self.DoesNotExist = model.DoesNotExist
        self.objects = self

    def get(self, **lookup):
        if len(lookup) != 1 or next(iter(lookup)) not in ("id", "pk"):
            return self._model.objects.get(**lookup)
        user = user_get_by_id(user_id=next(iter(lookup.values())))
        if user is None:
            raise self._model.DoesNotExist
        return user


class JWTAuthentication(jwt_authentication.JWTAuthentication):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.user_model = _UsersById(self.user_model)


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
