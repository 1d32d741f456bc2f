"""Group subscriptions: an organisation buys seats (a subscription whose quantity is the seats), its admins invite
members, set an email domain and IP networks. Every join (an accepted invitation, a domain join, staff) locks the
group row (SELECT ... FOR UPDATE) and counts its members under that lock, so concurrent joins never exceed the seats.
The group's subscription moves through the same state machine as a reader's (`subscriptions.py`); its emails go to
the group's admins, and its lapse tells every member (`group_subscription_email`).
"""

from __future__ import annotations

import ipaddress
import re
from datetime import date, datetime, timedelta
from typing import TypedDict, Unpack

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from cms.core.email import email_enqueue
from cms.core.exceptions import ApplicationError, Conflict, NotFound, PermissionDenied

from ..models import Group, GroupInvitation, GroupMembership, GroupNetwork, GroupNetworkUsage, Plan, Subscription
from ..selectors import plan_display, subscription_entitlement
from .errors import PaywallErrorCode

INVITATION_SALT = "masthead.paywall.group-invitation"
_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
_MIN_PREFIX = {4: 8, 6: 32}  # no network wider than a /8 (IPv4) or a /32 (IPv6): an institution, not the internet


def _pk(value, what: str) -> int:
    """An id from a client (a path segment or a GraphQL ID): NotFound unless it is a positive integer."""
    text = str(value)
    if not (text.isascii() and text.isdigit()) or not 0 < int(text) < 2**63:
        raise NotFound(f"No such {what}.")
    return int(text)


# --- buying and staff --------------------------------------------------------------------------------------------


def _group_plan_get(plan_code: str) -> Plan:
    plan = Plan.objects.filter(code=plan_code, active=True, per_seat=True).first()
    if plan is None:
        raise ApplicationError("Unknown group plan.", code=PaywallErrorCode.PLAN_UNKNOWN, field="plan")
    return plan


def _seats_check(seats) -> int:
    if not isinstance(seats, int) or isinstance(seats, bool) or not 1 <= seats <= settings.GROUP_MAX_SEATS:
        raise ApplicationError(
            f"Give between 1 and {settings.GROUP_MAX_SEATS} seats.", code=PaywallErrorCode.INVALID, field="seats"
        )
    return seats


def group_create(*, name: str, plan: Plan, seats: int, admins=(), domain: str = "") -> Group:
    """A group without a subscription yet (its members do not read until one is live)."""
    name = (name or "").strip()
    if not name or len(name) > 200:
        raise ApplicationError("Give the group a name (200 characters at most).", code="invalid", field="name")
    if not plan.per_seat:
        raise ApplicationError("This plan is not sold per seat.", code=PaywallErrorCode.PLAN_UNKNOWN, field="plan")
    group = Group.objects.create(name=name, plan=plan, seats=_seats_check(seats), domain=group_domain_clean(domain))
    group.admins.add(*admins)
    return group


def group_checkout_create(*, user, plan_code: str, seats: int, name: str) -> tuple[Group, str]:
    """The buyer becomes the new group's admin (without a seat) and gets the provider's checkout URL for a
    subscription of `seats` seats. The group reads once the provider confirms the payment."""
    from ..billing import provider_get

    plan = _group_plan_get(plan_code)
    with transaction.atomic():
        group = group_create(name=name, plan=plan, seats=seats, admins=[user])
    return group, provider_get().checkout_session_create(user=user, plan=plan, group=group)


class GroupActivation(TypedDict, total=False):
    """How a group's subscription starts: who says so (`source`, `actor`), the provider's ids, the paid period
    (default: one plan interval from now), a staff comp (`is_comp`) and the seats paid for (`seats`)."""

    actor: object
    provider: str
    provider_customer_id: str
    provider_subscription_id: str
    period_start: datetime | None
    period_end: datetime | None
    is_comp: bool
    seats: int | None


def group_subscription_activate(*, group: Group, source: str, **activation: Unpack[GroupActivation]) -> Subscription:
    """The group's subscription starts (its checkout completed, or staff comp it). Idempotent per provider
    subscription id; a group with a live subscription already is a 409. `seats`: the quantity paid for."""
    from .subscriptions import _add_interval, event_write

    now = timezone.now()
    actor, seats, is_comp = activation.get("actor"), activation.get("seats"), activation.get("is_comp", False)
    provider = activation.get("provider", "dev")
    provider_subscription_id = activation.get("provider_subscription_id", "")
    period_start = activation.get("period_start") or now
    period_end = activation.get("period_end")
    with transaction.atomic():
        group = Group.objects.select_for_update().select_related("plan").get(pk=group.pk)
        if provider_subscription_id:
            existing = Subscription.objects.filter(
                provider=provider, provider_subscription_id=provider_subscription_id
            ).first()
            if existing is not None:
                return existing
        if Subscription.objects.live().filter(group=group).exists():
            raise Conflict("This group already has a subscription.", code=PaywallErrorCode.ALREADY_SUBSCRIBED)
        if seats is not None and seats != group.seats:
            group.seats = _seats_check(seats)
            group.save(update_fields=["seats", "updated_at"])
        sub = Subscription.objects.create(
            group=group,
            plan=group.plan,
            status=Subscription.Status.ACTIVE,
            is_comp=is_comp,
            current_period_start=period_start,
            current_period_end=period_end or _add_interval(period_start, group.plan.interval),
            provider=provider,
            provider_customer_id=activation.get("provider_customer_id", ""),
            provider_subscription_id=provider_subscription_id,
        )
        event_write(subscription=sub, from_status="", source=source, actor=actor, note=f"group of {group.seats}")
    if not is_comp:
        group_subscription_email(subscription=sub, template="payment_receipt", key=f"sub:{sub.pk}:receipt:first")
    return sub


def group_subscription_comp(*, group: Group, actor, days: int = 365) -> Subscription:
    """Staff: a complimentary subscription for the group, `days` long."""
    if actor is None or not actor.is_staff:
        raise PermissionDenied("Only staff can give a group a subscription.")
    now = timezone.now()
    return group_subscription_activate(
        group=group, source="staff", actor=actor, provider="comp", is_comp=True, period_end=now + timedelta(days=days)
    )


# --- emails ------------------------------------------------------------------------------------------------------


def _group_email(*, user, group: Group, template: str, key: str, **context) -> None:
    email_enqueue(
        to=user.email,
        template=f"paywall_group_{template}" if not template.startswith("paywall_") else template,
        context={"name": user.display_name or user.email, "group_name": group.name, **context},
        key=f"paywall:group:{group.pk}:{key}:u{user.pk}",
    )


def group_subscription_email(*, subscription: Subscription, template: str, key: str, extra: dict | None = None):
    """A group subscription's emails: its admins get the subscription's own (receipt, payment failed, canceled);
    when it ends (expired, or canceled at once), every member and admin is told their access through the group
    ended, except members whose personal subscription still gives them access (they keep its state and emails)."""
    group = Group.objects.get(pk=subscription.group_id)
    plan = subscription.plan
    context = {
        "plan_name": plan.name if plan else "",
        "price": plan_display(plan) if plan else "",
        "amount": plan_display(plan) if plan else "",
        "seats": group.seats,
        "period_end": timezone.localtime(subscription.current_period_end).strftime("%B %-d, %Y")
        if subscription.current_period_end
        else "",
        "manage_url": f"{settings.PUBLIC_BASE_URL}{settings.PAYWALL_SUBSCRIBE_URL}",
        **(extra or {}),
    }
    admins = list(group.admins.all())
    if subscription.status in Subscription.LIVE_STATUSES:
        for admin in admins:
            _group_email(user=admin, group=group, template=f"paywall_{template}", key=key, **context)
        return
    now = timezone.now()
    members = [m.user for m in GroupMembership.objects.filter(group=group).select_related("user")]
    told = {u.pk: u for u in [*admins, *members] if not _personally_entitled(u, now)}
    for user in told.values():
        _group_email(user=user, group=group, template="lapsed", key=f"lapsed:{subscription.pk}", **context)


def _personally_entitled(user, now: datetime) -> bool:
    latest = Subscription.objects.filter(user=user).order_by("-created_at", "-id").first()
    return subscription_entitlement(subscription=latest, now=now) is not None


# --- seats -------------------------------------------------------------------------------------------------------


def _invitation_url(invitation: GroupInvitation) -> str:
    token = signing.dumps({"i": invitation.pk}, salt=INVITATION_SALT)
    return f"{settings.PUBLIC_BASE_URL}{settings.GROUP_INVITATION_URL}?token={token}"


def group_invitation_create(*, group: Group, actor, email: str) -> GroupInvitation:
    """Invite `email` (the signed link goes through the outbox). Inviting a pending address again returns its
    invitation and sends nothing more; inviting a member is a 409."""
    User = get_user_model()
    email = User.objects.normalize_email((email or "").strip()).lower()
    if GroupMembership.objects.filter(group=group, user__email__iexact=email).exists():
        raise Conflict(f"{email} is already a member.", code="already_member", field="email")
    try:
        with transaction.atomic():
            invitation = GroupInvitation.objects.create(group=group, email=email, invited_by=actor)
    except IntegrityError:
        return GroupInvitation.objects.get(group=group, email=email, accepted_at=None, revoked_at=None)
    email_enqueue(
        to=email,
        template="paywall_group_invitation",
        context={
            "group_name": group.name,
            "inviter": getattr(actor, "display_name", "") or getattr(actor, "email", ""),
            "accept_url": _invitation_url(invitation),
            "days": settings.GROUP_INVITATION_DAYS,
        },
        key=f"paywall:group:{group.pk}:invitation:{invitation.pk}",
    )
    return invitation


def group_invitation_revoke(*, group: Group, invitation_id) -> None:
    """Withdraw a pending invitation (idempotent; its link stops working)."""
    invitation_id = _pk(invitation_id, "invitation")
    updated = GroupInvitation.objects.filter(group=group, pk=invitation_id, accepted_at=None, revoked_at=None).update(
        revoked_at=timezone.now()
    )
    if not updated and not GroupInvitation.objects.filter(group=group, pk=invitation_id).exists():
        raise NotFound("No such invitation.")


def _invitation_read(token: str) -> GroupInvitation:
    invalid = ApplicationError(
        "This invitation link is invalid or has expired.", code=PaywallErrorCode.INVITATION_INVALID, field="token"
    )
    try:
        data = signing.loads(token or "", salt=INVITATION_SALT, max_age=settings.GROUP_INVITATION_DAYS * 86400)
        invitation = GroupInvitation.objects.select_related("group").get(pk=int(data["i"]))
    except (signing.BadSignature, KeyError, TypeError, ValueError, GroupInvitation.DoesNotExist):
        raise invalid from None
    if invitation.revoked_at is not None:
        raise invalid
    return invitation


def group_invitation_accept(*, user, token: str) -> GroupMembership:
    """The invited reader, signed in (or just registered) with the invited address, takes a seat. Accepting twice
    is the same seat; a full group is a 409 `seat_limit`."""
    invitation = _invitation_read(token)
    if (user.email or "").lower() != invitation.email.lower():
        raise PermissionDenied(
            f"This invitation is for {invitation.email}: sign in with that address.",
            code=PaywallErrorCode.INVITATION_OTHER_ADDRESS,
        )
    with transaction.atomic():
        membership = _membership_add(group=invitation.group, user=user, source=GroupMembership.Source.INVITATION)
        GroupInvitation.objects.filter(pk=invitation.pk, accepted_at=None).update(
            accepted_at=timezone.now(), accepted_by=user
        )
    return membership


def group_member_add(*, group: Group, actor, user) -> GroupMembership:
    """Staff (the admin) give a reader a seat, e.g. a group admin who wants to read too."""
    return _membership_add(group=group, user=user, source=GroupMembership.Source.STAFF)


def _membership_add(*, group: Group, user, source: str) -> GroupMembership:
    """Take a seat. Locking: the group row FOR UPDATE, then the members are counted, so no two concurrent joins can
    both take the last seat. Idempotent: a member keeps their seat. The group must be live."""
    now = timezone.now()
    with transaction.atomic():
        group = Group.objects.select_for_update().get(pk=group.pk)
        existing = GroupMembership.objects.filter(group=group, user=user).first()
        if existing is not None:
            return existing
        live = Subscription.objects.live().filter(group=group).first()
        if subscription_entitlement(subscription=live, now=now) is None:
            raise Conflict("This group's subscription is not active.", code=PaywallErrorCode.GROUP_NOT_LIVE)
        used = GroupMembership.objects.filter(group=group).count()
        if used >= group.seats:
            raise Conflict(f"All {group.seats} seats of {group.name} are taken.", code=PaywallErrorCode.SEAT_LIMIT)
        membership = GroupMembership.objects.create(group=group, user=user, source=source)
    _group_email(user=user, group=group, template="joined", key=f"joined:{membership.pk}")
    if used + 1 == group.seats:
        for admin in group.admins.all():
            _group_email(user=admin, group=group, template="seat_limit", key=f"full:{membership.pk}", seats=group.seats)
    return membership


def group_member_remove(*, group: Group, user_id) -> None:
    """Free a member's seat (their access through the group ends at once). Idempotent."""
    GroupMembership.objects.filter(group=group, user_id=_pk(user_id, "member")).delete()


# --- domain ------------------------------------------------------------------------------------------------------


def group_domain_clean(domain: str) -> str:
    """A lower-case domain without `@` ("" for none), or a 400 naming `domain`."""
    domain = (domain or "").strip().lower().lstrip("@")
    if domain and not _DOMAIN.match(domain):
        raise ApplicationError("Give a domain such as example.com.", code="invalid", field="domain")
    return domain


def group_domain_set(*, group: Group, domain: str) -> Group:
    """Set (or clear, with "") the email domain whose verified readers may join."""
    group.domain = group_domain_clean(domain)
    group.save(update_fields=["domain", "updated_at"])
    return group


def group_join(*, user) -> GroupMembership:
    """A reader with a verified address at a live group's domain takes a seat (`POST /api/v1/groups/join/`).
    Unverified: 403 `email_unverified`; no group for the domain: 404 `no_group`; every such group full: 409."""
    if getattr(user, "email_verified_at", None) is None:
        raise PermissionDenied("Verify your email address first.", code=PaywallErrorCode.EMAIL_UNVERIFIED)
    domain = (user.email or "").rpartition("@")[2].lower()
    groups = list(Group.objects.filter(domain=domain).exclude(domain="").order_by("pk")) if domain else []
    member = GroupMembership.objects.filter(user=user, group__in=groups).first()
    if member is not None:
        return member
    refusal: ApplicationError = NotFound("No group subscription for your address's domain.", code="no_group")
    for group in groups:
        try:
            return _membership_add(group=group, user=user, source=GroupMembership.Source.DOMAIN)
        except Conflict as exc:
            refusal = exc
    raise refusal


def group_domain_join_on_verify(*, user) -> GroupMembership | None:
    """Called when a reader verifies an address: join the domain's group if one has a seat; never raises."""
    try:
        return group_join(user=user)
    except ApplicationError:
        return None


# --- networks ----------------------------------------------------------------------------------------------------


def group_network_add(*, group: Group, cidr: str, label: str = "") -> GroupNetwork:
    """Add an IP range (CIDR, IPv4 or IPv6; a single address is a /32 or /128). Adding it again returns it."""
    found, _ = GroupNetwork.objects.get_or_create(
        group=group, cidr=group_network_clean(cidr), defaults={"label": (label or "")[:100]}
    )
    return found


def group_network_clean(cidr: str) -> str:
    """The canonical form of a network (`192.0.2.7/24` -> `192.0.2.0/24`), or a 400 naming `cidr`."""
    try:
        network = ipaddress.ip_network((cidr or "").strip(), strict=False)
    except ValueError:
        raise ApplicationError("Give a network such as 192.0.2.0/24 or 2001:db8::/48.", field="cidr") from None
    if network.prefixlen < _MIN_PREFIX[network.version]:
        raise ApplicationError(
            f"A network may be at most a /{_MIN_PREFIX[network.version]}.", code="network_too_wide", field="cidr"
        )
    return str(network)


def group_network_remove(*, group: Group, network_id) -> None:
    if not GroupNetwork.objects.filter(group=group, pk=_pk(network_id, "network")).delete()[0]:
        raise NotFound("No such network.")


def group_network_read_record(*, group_id: int, day: date) -> None:
    """Count one article read opened by the group's networks (an aggregate per local day, nothing per reader):
    an UPDATE of the day's row, or its INSERT (a concurrent first insert falls back to the update)."""
    rows = GroupNetworkUsage.objects.filter(group_id=group_id, day=day)
    if rows.update(reads=F("reads") + 1):
        return
    try:
        with transaction.atomic():
            GroupNetworkUsage.objects.create(group_id=group_id, day=day, reads=1)
    except IntegrityError:
        rows.update(reads=F("reads") + 1)
