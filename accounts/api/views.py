"""Accounts REST API: /api/v1/auth/* and /api/v1/me/. Thin: validate input, call a service, shape output."""

from __future__ import annotations

from django.contrib.auth import login as session_login
from django.contrib.auth import logout as session_logout
from django.middleware.csrf import get_token
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, status
from rest_framework.authentication import CSRFCheck, SessionAuthentication
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from accounts import services
from accounts.backends import ApiKeyAuthentication
from accounts.messages import (
    EMAIL_VERIFIED,
    REGISTER_ACCEPTED,
    RESET_ACCEPTED,
    RESET_CONFIRMED,
    VERIFICATION_SENT,
)
from accounts.paywall import (
    account_registered,
    anonymous_reads_merge,
    email_verified,
    meter_summary,
    subscription_summary,
)
from accounts.throttling import (
    LoginRateThrottle,
    PasswordResetRateThrottle,
    RegisterRateThrottle,
    client_ip,
)
from cms.api.serializers import error_response_doc as _error

from . import serializers as s


def me_payload(user) -> dict:
    data = {
        "id": user.pk,
        "uuid": user.uuid,
        "email": user.email,
        "pending_email": user.pending_email,
        "display_name": user.display_name,
        "is_verified": user.is_verified,
        "email_verified_at": user.email_verified_at,
        "newsletter": user.newsletter,
        "notify_replies": user.notify_replies,
        "is_staff": user.is_staff,
        "date_joined": user.date_joined,
        "subscription": subscription_summary(user=user),
        "meter": meter_summary(user=user),
    }
    return s.MeOutputSerializer(data).data


def _enforce_csrf(request) -> None:
    """The same check SessionAuthentication runs: a request that asks for a session cookie must carry the token."""

    def _noop(_request):  # pragma: no cover - never called
        return None

    check = CSRFCheck(_noop)
    check.process_request(request)
    reason = check.process_view(request, None, (), {})
    if reason:
        raise exceptions.PermissionDenied(f"CSRF Failed: {reason}")


def _private(response: Response) -> Response:
    response["Cache-Control"] = "private, no-store"
    return response


def _valid(serializer_class, request) -> dict:
    """The request body validated by `serializer_class` (a 400 otherwise)."""
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _accepted(detail: str) -> Response:
    return _private(Response({"detail": detail}, status=status.HTTP_202_ACCEPTED))


# An operation a server-side frontend may relay for its readers (with its X-Api-Key, which never authenticates as a
# reader): limits apply to the reader's address, not the frontend's. (A comment: a docstring would become every
# subclass's OpenAPI description.)
class RelayedApi(APIView):
    authentication_classes = [ApiKeyAuthentication]


class CsrfTokenApi(APIView):
    """Sets the `csrftoken` cookie (and returns the token) for browser frontends using cookie sessions."""

    authentication_classes: list = []

    @extend_schema(responses={200: dict})
    def get(self, request):
        return _private(Response({"csrf_token": get_token(request._request)}))


class RegisterApi(RelayedApi):
    throttle_classes = [*api_settings.DEFAULT_THROTTLE_CLASSES, RegisterRateThrottle]

    @extend_schema(request=s.RegisterInputSerializer, responses={202: s.AcceptedSerializer})
    def post(self, request):
        data = _valid(s.RegisterInputSerializer, request)
        user = services.user_register(**data)
        if user is not None:
            account_registered(request=request, user=user)
        return _accepted(REGISTER_ACCEPTED)


class EmailVerifyApi(APIView):
    authentication_classes: list = []

    @extend_schema(request=s.TokenInputSerializer, responses={200: s.AcceptedSerializer})
    def post(self, request):
        data = _valid(s.TokenInputSerializer, request)
        email_verified(user=services.user_email_verify(token=data["token"]))
        return _private(Response({"detail": EMAIL_VERIFIED}))


class EmailVerifyResendApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={202: s.AcceptedSerializer})
    def post(self, request):
        services.email_verification_resend(user=request.user)
        return _accepted(VERIFICATION_SENT)


class LoginApi(RelayedApi):
    throttle_classes = [*api_settings.DEFAULT_THROTTLE_CLASSES, LoginRateThrottle]

    @extend_schema(
        request=s.LoginInputSerializer,
        responses={
            200: s.LoginOutputSerializer,
            401: _error("`invalid_credentials`: wrong email or password (or a bad X-Api-Key)."),
            403: _error("`session: true` without the CSRF token from `auth/csrf/`."),
            429: _error("`login_locked` (too many failures, `retry_after` seconds) or `throttled`."),
        },
    )
    def post(self, request):
        data = _valid(s.LoginInputSerializer, request)
        want_session = data["session"]
        if want_session:
            _enforce_csrf(request._request)
        try:
            user = services.user_authenticate(
                email=data["email"],
                password=data["password"],
                ip=client_ip(request),
                request=request._request,
            )
        except services.LoginLocked as exc:
            raise exceptions.Throttled(wait=exc.retry_after, detail=exc.message, code=exc.code) from exc
        anonymous_reads_merge(request=request, user=user)
        pair = services.token_pair_issue(user=user)
        if want_session:
            session_login(request._request, user)
        return _private(Response({"access": pair.access, "refresh": pair.refresh, "user": me_payload(user)}))


class TokenRefreshApi(RelayedApi):
    throttle_classes = [*api_settings.DEFAULT_THROTTLE_CLASSES, LoginRateThrottle]

    @extend_schema(
        request=s.RefreshInputSerializer,
        responses={200: s.TokenPairSerializer, 401: _error("`token_invalid`: invalid, expired or revoked.")},
    )
    def post(self, request):
        data = _valid(s.RefreshInputSerializer, request)
        pair = services.token_refresh(refresh=data["refresh"])
        return _private(Response({"access": pair.access, "refresh": pair.refresh}))


class LogoutApi(APIView):
    """Blacklists the refresh token (if given) and ends the cookie session (if any; CSRF token required).

    No Bearer authentication: an expired access token must not stop a client from revoking its refresh token.
    """

    authentication_classes = [SessionAuthentication]

    @extend_schema(
        request=s.LogoutInputSerializer,
        responses={204: None, 401: _error("`token_invalid`: the refresh token is invalid or expired.")},
    )
    def post(self, request):
        data = _valid(s.LogoutInputSerializer, request)
        if data.get("refresh"):
            services.token_revoke(refresh=data["refresh"])
        session_logout(request._request)
        return _private(Response(status=status.HTTP_204_NO_CONTENT))


class PasswordResetApi(RelayedApi):
    throttle_classes = [*api_settings.DEFAULT_THROTTLE_CLASSES, PasswordResetRateThrottle]

    @extend_schema(request=s.PasswordResetInputSerializer, responses={202: s.AcceptedSerializer})
    def post(self, request):
        data = _valid(s.PasswordResetInputSerializer, request)
        services.password_reset_request(email=data["email"])
        return _accepted(RESET_ACCEPTED)


class PasswordResetConfirmApi(RelayedApi):
    throttle_classes = [*api_settings.DEFAULT_THROTTLE_CLASSES, PasswordResetRateThrottle]

    @extend_schema(request=s.PasswordResetConfirmInputSerializer, responses={200: s.AcceptedSerializer})
    def post(self, request):
        data = _valid(s.PasswordResetConfirmInputSerializer, request)
        services.password_reset_confirm(**data)
        return _private(Response({"detail": RESET_CONFIRMED}))


class MeApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: s.MeOutputSerializer})
    def get(self, request):
        return _private(Response(me_payload(request.user)))

    @extend_schema(request=s.MeUpdateInputSerializer, responses={200: s.MeOutputSerializer})
    def patch(self, request):
        data = _valid(s.MeUpdateInputSerializer, request)
        user = services.user_profile_update(user=request.user, **data)
        return _private(Response(me_payload(user)))

    @extend_schema(
        request=s.MeDeleteInputSerializer,
        responses={204: None, 409: _error("`subscription_live`: cancel the subscription before closing the account.")},
    )
    def delete(self, request):
        data = _valid(s.MeDeleteInputSerializer, request)
        services.user_delete(user=request.user, password=data["password"])
        session_logout(request._request)
        return _private(Response(status=status.HTTP_204_NO_CONTENT))
