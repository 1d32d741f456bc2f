"""GraphQL for group admins and members: `myGroups`, `group(id)` (with `members`, `invitations`, `usage`), and the
mutations `groupCheckout`, `inviteGroupMember`, `revokeGroupInvitation`, `acceptGroupInvitation`,
`removeGroupMember`, `joinGroup`, `setGroupDomain`, `addGroupNetwork`, `removeGroupNetwork`. Each calls the service
(`paywall.services.groups`) and returns the presenters' shapes, like REST; the types are built from the shapes'
field declarations (`paywall.group_presenters.SHAPES`)."""

from __future__ import annotations

import keyword
from datetime import timedelta

import graphene
from django.utils import timezone

from cms.graphql.mutations import ServiceMutation
from paywall.group_presenters import SHAPES, group_shape, invitation_shape, member_shape, network_shape
from paywall.group_selectors import (
    group_get_for_admin,
    group_invitations_pending,
    group_list_for_admin,
    group_members,
    group_usage,
)
from paywall.services import groups as services

_KINDS = {
    "int": graphene.Int,
    "str": graphene.String,
    "bool": graphene.Boolean,
    "datetime": graphene.DateTime,
    "date": graphene.Date,
}


def _field(kind: str, **options):
    if kind.startswith("["):
        return graphene.List(graphene.NonNull(TYPES[kind[1:-1]]), required=True, **options)
    return _KINDS[kind.rstrip("?")](required=not kind.endswith("?"), **options)


def _resolve_members(shape, info):
    return [member_shape(m) for m in group_members(group=shape["_group"])]


def _resolve_invitations(shape, info):
    return [invitation_shape(i) for i in group_invitations_pending(group=shape["_group"])]


def _resolve_usage(shape, info, days):
    last = timezone.localdate()
    return group_usage(
        group=shape["_group"], first_day=last - timedelta(days=max(1, min(days, 366)) - 1), last_day=last
    )


def _attr(field: str, kind: str) -> tuple[str, object]:
    """(attribute, graphene field); a Python keyword (`from`) is the attribute `from_`, named and read as `from`."""
    if keyword.iskeyword(field):
        return f"{field}_", _field(kind, name=field, source=field)
    return field, _field(kind)


TYPES: dict[str, type[graphene.ObjectType]] = {}
_EXTRA = {  # what a group's admin can ask of it beyond its shape
    "Group": lambda: {
        "members": graphene.List(graphene.NonNull(TYPES["GroupMember"]), required=True),
        "invitations": graphene.List(graphene.NonNull(TYPES["GroupInvitation"]), required=True),
        "usage": graphene.Field(TYPES["GroupUsage"], required=True, days=graphene.Int(default_value=30)),
        "resolve_members": staticmethod(_resolve_members),
        "resolve_invitations": staticmethod(_resolve_invitations),
        "resolve_usage": staticmethod(_resolve_usage),
    }
}
for _name in ("GroupNetwork", "GroupMember", "GroupInvitation", "GroupUsageDay", "GroupUsage", "Group"):
    _attrs = dict(_attr(field, kind) for field, kind in SHAPES[_name].items())
    _attrs.update(_EXTRA.get(_name, dict)())
    TYPES[_name] = type(f"{_name}Type", (graphene.ObjectType,), {**_attrs, "Meta": type("Meta", (), {"name": _name})})
GroupType = TYPES["Group"]


def _shape(group) -> dict:
    return {**group_shape(group), "_group": group}


def _admin_group(info, group_id):
    return group_get_for_admin(user=info.context.user, group_id=group_id)


class GroupQueries(graphene.ObjectType):
    my_groups = graphene.List(
        graphene.NonNull(GroupType), required=True, description="The groups the signed-in reader administers."
    )
    group = graphene.Field(GroupType, id=graphene.ID(required=True), description="A group you administer.")

    @staticmethod
    def resolve_my_groups(root, info):
        user = info.context.user
        if not user.is_authenticated:
            return []
        return [_shape(g) for g in group_list_for_admin(user=user)]

    @staticmethod
    def resolve_group(root, info, id):
        if not info.context.user.is_authenticated:
            return None
        return _shape(_admin_group(info, id))


def _mutation(type_name: str, perform, payload: dict, description: str = "", /, **arguments) -> type[ServiceMutation]:
    """A signed-in mutation: `perform(info, **arguments) -> payload dict`, errors mapped by ServiceMutation."""
    attrs = {
        "Arguments": type("Arguments", (), arguments),
        "login_required": True,
        "perform": classmethod(lambda cls, root, info, **kwargs: perform(info, **kwargs)),
        "__doc__": description or None,
        **payload,
    }
    return type(type_name, (ServiceMutation,), attrs)


def _group_mutation(type_name: str, service, /, *, returns: tuple | None = None, actor: bool = False, **arguments):
    """`service(group=<a group the signed-in reader administers>, **arguments)` (and `actor=` the reader when
    `actor`); the payload is the group, plus `returns = (field, type, shape)` of what the service returned."""

    def perform(info, *, group_id, **kwargs):
        group = _admin_group(info, group_id)
        result = service(group=group, **kwargs, **({"actor": info.context.user} if actor else {}))
        payload = {"group": _shape(_admin_group(info, group_id))}
        if returns is not None:
            payload[returns[0]] = returns[2](result)
        return payload

    payload = {"group": graphene.Field(GroupType)}
    if returns is not None:
        payload[returns[0]] = graphene.Field(TYPES[returns[1]])
    return _mutation(type_name, perform, payload, group_id=graphene.ID(required=True), **arguments)


def _checkout(info, *, plan, seats, name):
    group, url = services.group_checkout_create(user=info.context.user, plan_code=plan, seats=seats, name=name)
    return {"group": _shape(_admin_group(info, group.pk)), "checkout_url": url}


_MEMBER = {"member": graphene.Field(TYPES["GroupMember"])}
MUTATIONS = {
    "group_checkout": _mutation(
        "GroupCheckout",
        _checkout,
        {"group": graphene.Field(GroupType), "checkout_url": graphene.String()},
        "Buy a group subscription of `seats` seats: the buyer becomes its admin (without a seat).",
        plan=graphene.String(required=True, description="A group plan's code, e.g. 'team'."),
        seats=graphene.Int(required=True),
        name=graphene.String(required=True),
    ),
    "invite_group_member": _group_mutation(
        "InviteGroupMember",
        services.group_invitation_create,
        returns=("invitation", "GroupInvitation", invitation_shape),
        actor=True,
        email=graphene.String(required=True),
    ),
    "revoke_group_invitation": _group_mutation(
        "RevokeGroupInvitation", services.group_invitation_revoke, invitation_id=graphene.ID(required=True)
    ),
    "remove_group_member": _group_mutation(
        "RemoveGroupMember", services.group_member_remove, user_id=graphene.ID(required=True)
    ),
    "set_group_domain": _group_mutation(
        "SetGroupDomain", services.group_domain_set, domain=graphene.String(required=True)
    ),
    "add_group_network": _group_mutation(
        "AddGroupNetwork",
        services.group_network_add,
        returns=("network", "GroupNetwork", network_shape),
        cidr=graphene.String(required=True),
        label=graphene.String(default_value=""),
    ),
    "remove_group_network": _group_mutation(
        "RemoveGroupNetwork", services.group_network_remove, network_id=graphene.ID(required=True)
    ),
    "accept_group_invitation": _mutation(
        "AcceptGroupInvitation",
        lambda info, *, token: {
            "member": member_shape(services.group_invitation_accept(user=info.context.user, token=token))
        },
        _MEMBER,
        token=graphene.String(required=True),
    ),
    "join_group": _mutation(
        "JoinGroup",
        lambda info: {"member": member_shape(services.group_join(user=info.context.user))},
        _MEMBER,
        "A reader with a verified address at a group's domain takes a seat.",
    ),
}
GroupMutations = type("GroupMutations", (graphene.ObjectType,), {k: m.Field() for k, m in MUTATIONS.items()})
