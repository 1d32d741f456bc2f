"""GraphQL for group admins: the same services and shapes as REST, errors as `{field, code, message}`, and every
mutation refused to a reader who is not the group's admin."""

from __future__ import annotations

import pytest
from rest_framework_simplejwt.tokens import RefreshToken

pytestmark = pytest.mark.django_db

GROUP_FIELDS = (
    "id name seats seatsUsed domain status live networks { cidr } members { email source } usage { networkReads }"
)


def _as(graphql_client, user):
    token = RefreshToken.for_user(user).access_token

    def run(query: str, variables: dict | None = None) -> dict:
        response = graphql_client(query, variables or {}, headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 200, response.content
        payload = response.json()
        assert "errors" not in payload, payload
        return payload["data"]

    return run


def test_the_admin_manages_the_group_through_graphql(graphql_client, live_group, group_member):
    run = _as(graphql_client, live_group.admins.get())
    (group,) = run(f"{{ myGroups {{ {GROUP_FIELDS} }} }}")["myGroups"]
    assert (group["seats"], group["seatsUsed"], group["live"], group["members"]) == (
        5,
        1,
        True,
        [{"email": "member@example.org", "source": "domain"}],
    )
    # then each change, in turn (the member's id is `$u`)
    for call, payload, expected in ADMIN_STEPS:
        member = "$u" in call
        query = f"mutation($g: ID!{', $u: ID!' * member}) {{ {call} {{ {payload} }} }}"
        data = run(query, {"g": group["id"], **({"u": str(group_member.pk)} if member else {})})
        assert list(data.values())[0] == expected, call


# (mutation, payload asked, payload expected), run in order by the admin
ADMIN_STEPS = [
    (
        'addGroupNetwork(groupId: $g, cidr: "203.0.113.9/24")',
        "network { cidr } errors { field }",
        {"network": {"cidr": "203.0.113.0/24"}, "errors": []},
    ),
    (
        'addGroupNetwork(groupId: $g, cidr: "nope")',
        "network { cidr } errors { field }",
        {"network": None, "errors": [{"field": "cidr"}]},
    ),
    (
        'inviteGroupMember(groupId: $g, email: "x@example.com")',
        "invitation { email } errors { code }",
        {"invitation": {"email": "x@example.com"}, "errors": []},
    ),
    (
        "removeGroupMember(groupId: $g, userId: $u)",
        "group { seatsUsed } errors { code }",
        {"group": {"seatsUsed": 0}, "errors": []},
    ),
    ('setGroupDomain(groupId: $g, domain: "Example.NET")', "group { domain }", {"group": {"domain": "example.net"}}),
]


MUTATIONS = [
    'addGroupNetwork(groupId: $g, cidr: "203.0.113.0/24")',
    'removeGroupNetwork(groupId: $g, networkId: "1")',
    'inviteGroupMember(groupId: $g, email: "x@example.com")',
    'revokeGroupInvitation(groupId: $g, invitationId: "1")',
    'removeGroupMember(groupId: $g, userId: "1")',
    'setGroupDomain(groupId: $g, domain: "evil.example")',
]


@pytest.mark.parametrize("mutation", MUTATIONS, ids=[m.split("(")[0] for m in MUTATIONS])
def test_no_mutation_for_someone_else(graphql_client, live_group, reader, mutation):
    query = f"mutation($g: ID!) {{ {mutation} {{ errors {{ code }} }} }}"
    data = _as(graphql_client, reader)(query, {"g": str(live_group.pk)})
    assert list(data.values())[0]["errors"] == [{"code": "permission_denied"}]
    anonymous = graphql_client(query, {"g": str(live_group.pk)}).json()["data"]
    assert list(anonymous.values())[0]["errors"][0]["code"] in {"unauthenticated", "not_authenticated"}
    assert _as(graphql_client, reader)("{ myGroups { id } }")["myGroups"] == []


def test_checkout_join_and_accept_through_graphql(graphql_client, reader, live_group):
    run = _as(graphql_client, reader)
    bought = run(
        'mutation { groupCheckout(plan: "team", seats: 2, name: "Desk") { group { seats status } checkoutUrl } }'
    )
    assert bought["groupCheckout"]["group"] == {"seats": 2, "status": "none"}
    assert "/billing/dev/checkout/" in bought["groupCheckout"]["checkoutUrl"]
    refused = run("mutation { joinGroup { member { email } errors { code } } }")["joinGroup"]
    assert refused == {"member": None, "errors": [{"code": "no_group"}]}
    bad = run('mutation { acceptGroupInvitation(token: "forged") { errors { field code } } }')
    assert bad["acceptGroupInvitation"]["errors"] == [{"field": "token", "code": "invitation_invalid"}]
