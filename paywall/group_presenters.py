"""The shapes of group subscriptions for their admins, one per object, used by REST and GraphQL alike. Each shape's
fields are declared once (`SHAPES`: name -> kind, `?` for nullable); REST builds its serializers and GraphQL its
types from them."""

from __future__ import annotations

from .group_selectors import group_is_live, group_subscription
from .models import Group, GroupInvitation, GroupMembership, GroupNetwork
from .selectors import plan_display

SHAPES: dict[str, dict[str, str]] = {
    "GroupNetwork": {"id": "int", "cidr": "str", "label": "str"},
    "Group": {
        "id": "int",
        "name": "str",
        "plan": "str",
        "price": "str",
        "seats": "int",
        "seats_used": "int",
        "domain": "str",
        "status": "str",
        "live": "bool",
        "current_period_end": "datetime?",
        "cancel_at_period_end": "bool",
        "networks": "[GroupNetwork]",
    },
    "GroupMember": {"user_id": "int", "email": "str", "display_name": "str", "source": "str", "joined_at": "datetime"},
    "GroupInvitation": {"id": "int", "email": "str", "created_at": "datetime"},
    "GroupUsageDay": {"day": "date", "reads": "int"},
    "GroupUsage": {
        "from": "date",
        "to": "date",
        "network_reads": "int",
        "network_reads_all_time": "int",
        "days": "[GroupUsageDay]",
    },
}


def network_shape(network: GroupNetwork) -> dict:
    return {"id": network.pk, "cidr": network.cidr, "label": network.label}


def group_shape(group: Group) -> dict:
    """`status`: the live subscription's state, or "none" before the checkout is paid and after it lapsed."""
    sub = group_subscription(group)
    seats_used = getattr(group, "seats_used", None)
    if seats_used is None:
        seats_used = group.memberships.count()
    return {
        "id": group.pk,
        "name": group.name,
        "plan": group.plan.code,
        "price": plan_display(group.plan),
        "seats": group.seats,
        "seats_used": seats_used,
        "domain": group.domain,
        "status": sub.status if sub is not None else "none",
        "live": group_is_live(group),
        "current_period_end": sub.current_period_end if sub is not None else None,
        "cancel_at_period_end": bool(sub and sub.cancel_at_period_end),
        "networks": [network_shape(n) for n in group.networks.all()],
    }


def member_shape(membership: GroupMembership) -> dict:
    user = membership.user
    return {
        "user_id": user.pk,
        "email": user.email,
        "display_name": user.display_name,
        "source": membership.source,
        "joined_at": membership.created_at,
    }


def invitation_shape(invitation: GroupInvitation) -> dict:
    return {"id": invitation.pk, "email": invitation.email, "created_at": invitation.created_at}
