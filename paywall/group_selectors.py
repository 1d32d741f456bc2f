"""Reads of group subscriptions for their admins: the groups one administers, seats, invitations, network usage.
The paywall's own per-request reads (membership, networks) are in `selectors.py` (`reader_entitlements_get`,
`group_network_for`)."""

from __future__ import annotations

from datetime import date

from django.db.models import Count, Prefetch, Sum
from django.utils import timezone

from cms.core.exceptions import NotFound, PermissionDenied

from .models import Group, GroupInvitation, GroupMembership, GroupNetworkUsage, Subscription
from .selectors import subscription_entitlement


def _groups():
    live = Prefetch("subscriptions", queryset=Subscription.objects.live(), to_attr="live_subscriptions")
    return (
        Group.objects.select_related("plan")
        .annotate(seats_used=Count("memberships", distinct=True))
        .prefetch_related(live, "networks")
    )


def group_list_for_admin(*, user):
    """The groups `user` administers (all of them for staff), with `seats_used`, the live subscription and the
    networks: three queries whatever their number."""
    qs = _groups()
    return qs if user.is_staff else qs.filter(admins=user)


def group_get_for_admin(*, user, group_id) -> Group:
    """One group for its admin (or staff): NotFound for an unknown id, PermissionDenied for anyone else."""
    group = _groups().filter(pk=group_id).first() if str(group_id).isdigit() else None
    if group is None:
        raise NotFound("No such group.")
    if not (user.is_staff or group.admins.filter(pk=user.pk).exists()):
        raise PermissionDenied("Only the group's admins can manage it.")
    return group


def group_subscription(group: Group) -> Subscription | None:
    """The group's live subscription (prefetched by the selectors above), or None."""
    live = getattr(group, "live_subscriptions", None)
    if live is None:
        live = list(Subscription.objects.live().filter(group=group))
    return live[0] if live else None


def group_is_live(group: Group) -> bool:
    """Whether the group's members read now (its subscription is live and within its period or grace)."""
    return subscription_entitlement(subscription=group_subscription(group), now=timezone.now()) is not None


def group_members(*, group: Group):
    return GroupMembership.objects.filter(group=group).select_related("user").order_by("created_at", "id")


def group_invitations_pending(*, group: Group):
    return GroupInvitation.objects.filter(group=group, accepted_at__isnull=True, revoked_at__isnull=True)


def group_usage(*, group: Group, first_day: date, last_day: date) -> dict:
    """Reads opened by the group's networks per local day (an aggregate: nothing per reader)."""
    rows = GroupNetworkUsage.objects.filter(group=group, day__gte=first_day, day__lte=last_day).order_by("day")
    days = [{"day": row.day, "reads": row.reads} for row in rows]
    total = GroupNetworkUsage.objects.filter(group=group).aggregate(total=Sum("reads"))["total"] or 0
    return {
        "from": first_day,
        "to": last_day,
        "network_reads": sum(d["reads"] for d in days),
        "network_reads_all_time": total,
        "days": days,
    }
