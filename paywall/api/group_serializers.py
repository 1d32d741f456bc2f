"""Input and output shapes of `/api/v1/groups/...`. The outputs are `paywall.group_presenters`' shapes, their
serializers built from its field declarations (`SHAPES`)."""

from __future__ import annotations

from rest_framework import serializers

from paywall.group_presenters import SHAPES

_KINDS = {
    "int": serializers.IntegerField,
    "str": serializers.CharField,
    "bool": serializers.BooleanField,
    "datetime": serializers.DateTimeField,
    "date": serializers.DateField,
}
OUTPUTS: dict[str, type[serializers.Serializer]] = {}
for _name, _spec in SHAPES.items():  # in order: a shape's nested shapes come before it
    _fields = {
        field: OUTPUTS[kind[1:-1]](many=True)
        if kind.startswith("[")
        else _KINDS[kind.rstrip("?")](allow_null=kind.endswith("?"))
        for field, kind in _spec.items()
    }
    OUTPUTS[_name] = type(f"{_name}OutputSerializer", (serializers.Serializer,), _fields)


def _results(name: str, item: str, **fields) -> type[serializers.Serializer]:
    return type(name, (serializers.Serializer,), {"results": OUTPUTS[item](many=True), **fields})


GroupListOutputSerializer = _results("GroupListOutputSerializer", "Group")
MemberListOutputSerializer = _results(
    "MemberListOutputSerializer", "GroupMember", seats=serializers.IntegerField(), seats_used=serializers.IntegerField()
)
InvitationListOutputSerializer = _results("InvitationListOutputSerializer", "GroupInvitation")
NetworkListOutputSerializer = _results("NetworkListOutputSerializer", "GroupNetwork")
GroupCheckoutOutputSerializer = type(
    "GroupCheckoutOutputSerializer",
    (serializers.Serializer,),
    {"group": OUTPUTS["Group"](), "checkout_url": serializers.URLField()},
)


class GroupCheckoutInputSerializer(serializers.Serializer):
    plan = serializers.SlugField(max_length=50, help_text="A group plan's code (sold per seat), e.g. 'team'.")
    seats = serializers.IntegerField(min_value=1, help_text="How many members the group may have.")
    name = serializers.CharField(max_length=200, help_text="The organisation's name.")


class InvitationInputSerializer(serializers.Serializer):
    email = serializers.EmailField()


class InvitationAcceptInputSerializer(serializers.Serializer):
    token = serializers.CharField(max_length=500)


class DomainInputSerializer(serializers.Serializer):
    domain = serializers.CharField(max_length=253, allow_blank=True, help_text='"example.com"; "" removes it.')


class NetworkInputSerializer(serializers.Serializer):
    cidr = serializers.CharField(max_length=50, help_text="192.0.2.0/24 or 2001:db8::/48")
    label = serializers.CharField(max_length=100, required=False, default="")


class UsageInputSerializer(serializers.Serializer):
    locals()["from"] = serializers.DateField(required=False, help_text="First local day; default 30 days ago.")
    to = serializers.DateField(required=False, help_text="Last local day, included; default today.")

    def validate(self, attrs):
        if attrs.get("from") and attrs.get("to") and attrs["from"] > attrs["to"]:
            raise serializers.ValidationError({"from": "`from` must not be after `to`."})
        return attrs
