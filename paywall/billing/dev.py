"""The dev provider: checkout is a local confirmation page (`/billing/dev/checkout/<signed token>/`), so the whole
journey works with no external account. The token is signed (Django signing, own salt, 1 day max age) and carries
the user id, the plan code and a nonce: it cannot be forged or pointed at another reader, and confirming it twice
activates one subscription (the nonce is the provider subscription id).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.urls import reverse

from paywall.models import Group, Plan

from .base import WebhookRejected

SALT = "masthead.paywall.dev-checkout"
MAX_AGE = 24 * 3600


@dataclass(frozen=True)
class DevCheckout:
    user: object
    plan: Plan
    nonce: str
    group: Group | None = None

    @property
    def provider_subscription_id(self) -> str:
        return f"dev_{self.nonce}"


def dev_checkout_token(*, user, plan, group=None) -> str:
    data = {"u": user.pk, "p": plan.code, "n": secrets.token_hex(8)}
    if group is not None:
        data["g"] = group.pk
    return signing.dumps(data, salt=SALT, compress=True)


def dev_checkout_read(token: str) -> DevCheckout:
    try:
        data = signing.loads(token, salt=SALT, max_age=MAX_AGE)
        user = get_user_model().objects.get(pk=data["u"], is_active=True)
        plan = Plan.objects.get(code=data["p"], active=True)
        nonce = str(data["n"])
        group = Group.objects.get(pk=int(data["g"])) if "g" in data else None
    except (signing.BadSignature, KeyError, TypeError, ValueError, Plan.DoesNotExist, Group.DoesNotExist) as exc:
        raise WebhookRejected("This checkout link is invalid or has expired.") from exc
    except get_user_model().DoesNotExist as exc:
        raise WebhookRejected("This checkout link is invalid or has expired.") from exc
    return DevCheckout(user=user, plan=plan, nonce=nonce, group=group)


class DevProvider:
    name = "dev"

    def checkout_session_create(self, *, user, plan, group=None) -> str:
        token = dev_checkout_token(user=user, plan=plan, group=group)
        path = reverse("paywall:dev-checkout", kwargs={"token": token})
        return f"{settings.PUBLIC_BASE_URL}{path}"

    def webhook_parse(self, request) -> DevCheckout:
        """The dev "webhook" is the confirmation form's POST: the token in the URL is the proof."""
        return dev_checkout_read(request.resolver_match.kwargs.get("token", ""))

    def subscription_cancel_at_period_end(self, *, subscription, cancel: bool) -> None:
        return None

    def subscription_cancel_now(self, *, subscription, refund: bool) -> bool:
        return refund  # nothing was charged for real: a refund is a no-op that always succeeds
