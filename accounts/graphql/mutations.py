"""Accounts mutations: each calls the same service as REST and maps its errors to `errors: [Error!]!`.

GraphQL never creates a cookie session: `login` returns a JWT pair; send `Authorization: Bearer <access>`.
"""

from __future__ import annotations

from dataclasses import asdict

import graphene
from django.contrib.auth import logout as session_logout

from accounts import services
from accounts.messages import REGISTER_ACCEPTED, RESET_ACCEPTED
from accounts.paywall import account_registered, anonymous_reads_merge, email_verified
from accounts.throttling import LoginRateThrottle, PasswordResetRateThrottle, RegisterRateThrottle, client_ip
from cms.graphql.mutations import ServiceMutation, mutation_errors, require_user
from cms.graphql.types import ErrorType

from .types import AccountType


class CredentialsArguments:
    """What signing up and signing in both take."""

    email = graphene.String(required=True)
    password = graphene.String(required=True)


class Register(ServiceMutation):
    """Always answers the same (accepted) for a new or an existing address; errors only for invalid input."""

    throttle_classes = (RegisterRateThrottle,)

    class Arguments(CredentialsArguments):
        display_name = graphene.String()

    accepted = graphene.Boolean()
    message = graphene.String()

    @classmethod
    def perform(cls, root, info, *, email, password, display_name=""):
        user = services.user_register(email=email, password=password, display_name=display_name or "")
        if user is not None:
            account_registered(request=info.context, user=user)
        return {"accepted": True, "message": REGISTER_ACCEPTED}


class VerifyEmail(ServiceMutation):
    class Arguments:
        token = graphene.String(required=True)

    verified = graphene.Boolean()

    @classmethod
    def perform(cls, root, info, *, token):
        email_verified(user=services.user_email_verify(token=token))
        return {"verified": True}


class ResendVerificationEmail(ServiceMutation):
    login_required = True

    accepted = graphene.Boolean()

    @classmethod
    def perform(cls, root, info):
        services.email_verification_resend(user=info.context.user)
        return {"accepted": True}


class _TokenPairMutation(ServiceMutation):
    """Answers a JWT pair (`access`, `refresh`)."""

    access = graphene.String()
    refresh = graphene.String()

    class Meta:
        abstract = True


class Login(_TokenPairMutation):
    throttle_classes = (LoginRateThrottle,)
    Arguments = CredentialsArguments

    user = graphene.Field(AccountType)
    retry_after = graphene.Int(description="Seconds to wait when sign-in is locked (code 'login_locked').")

    @classmethod
    def perform(cls, root, info, *, email, password):
        try:
            user = services.user_authenticate(email=email, password=password, ip=client_ip(info.context))
        except services.LoginLocked as exc:
            return cls(errors=[ErrorType(**e) for e in mutation_errors(exc)], retry_after=exc.retry_after)
        anonymous_reads_merge(request=info.context, user=user)
        pair = services.token_pair_issue(user=user)
        return {**asdict(pair), "user": user}


class RefreshToken(_TokenPairMutation):
    class Arguments:
        refresh = graphene.String(required=True)

    @classmethod
    def perform(cls, root, info, *, refresh):
        return asdict(services.token_refresh(refresh=refresh))


class Logout(ServiceMutation):
    Arguments = RefreshToken.Arguments  # the refresh token to revoke

    ok = graphene.Boolean()

    @classmethod
    def perform(cls, root, info, *, refresh):
        services.token_revoke(refresh=refresh)
        if getattr(info.context, "session", None) is not None and not getattr(info.context, "_mh_bearer", False):
            session_logout(info.context)
        return {"ok": True}


class RequestPasswordReset(ServiceMutation):
    """Always answers the same (accepted), whether or not an account uses the address."""

    throttle_classes = (PasswordResetRateThrottle,)

    class Arguments:
        email = graphene.String(required=True)

    accepted = graphene.Boolean()
    message = graphene.String()

    @classmethod
    def perform(cls, root, info, *, email):
        services.password_reset_request(email=email)
        return {"accepted": True, "message": RESET_ACCEPTED}


class ResetPassword(ServiceMutation):
    throttle_classes = (PasswordResetRateThrottle,)

    class Arguments:
        uid = graphene.String(required=True)
        token = graphene.String(required=True)
        new_password = graphene.String(required=True)

    ok = graphene.Boolean()

    @classmethod
    def perform(cls, root, info, *, uid, token, new_password):
        services.password_reset_confirm(uid=uid, token=token, new_password=new_password)
        return {"ok": True}


class UpdateProfile(ServiceMutation):
    """Only these arguments exist: staff status, subscription and meter cannot be written."""

    class Arguments:
        display_name = graphene.String()
        email = graphene.String(description="A new address is verified before use; needs currentPassword.")
        current_password = graphene.String()
        newsletter = graphene.Boolean()
        notify_replies = graphene.Boolean()

    user = graphene.Field(AccountType)

    login_required = True

    @classmethod
    def perform(cls, root, info, **arguments):
        user = services.user_profile_update(user=require_user(info), **arguments)
        return {"user": user}


class DeleteAccount(ServiceMutation):
    class Arguments:
        password = graphene.String(required=True)

    ok = graphene.Boolean()

    login_required = True

    @classmethod
    def perform(cls, root, info, *, password):
        services.user_delete(user=require_user(info), password=password)
        return {"ok": True}


class AccountsMutations(graphene.ObjectType):
    register = Register.Field()
    verify_email = VerifyEmail.Field()
    resend_verification_email = ResendVerificationEmail.Field()
    login = Login.Field()
    refresh_token = RefreshToken.Field()
    logout = Logout.Field()
    request_password_reset = RequestPasswordReset.Field()
    reset_password = ResetPassword.Field()
    update_profile = UpdateProfile.Field()
    delete_account = DeleteAccount.Field()
