"""Group subscriptions end to end (issue 17): buying one through the dev provider, invitations by signed link, seats
under concurrent joins (real threads on PostgreSQL), domain joins that need a verified address, the lapse that ends
every member's access, a reader with a personal and a group subscription, and the admins' REST edges."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.utils import timezone
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.tokens import email_verify_token_make
from cms.core.exceptions import Conflict
from cms.core.models import OutboundEmail
from paywall.models import GroupMembership, GroupNetworkUsage, Subscription
from paywall.readers import Reader
from paywall.services import access_decide, subscription_sweep
from paywall.services import groups as services
from tests.accounts.factories import UserFactory
from tests.articles.factories import ArticleFactory
from tests.paywall.gifts import at_once

pytestmark = pytest.mark.django_db
SECRET = "SECRET-AFTER-BOUNDARY"


def _as(api_client, user):
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(user).access_token}")
    return api_client


def _premium_access(user) -> tuple[str, str]:
    decision = access_decide(reader=Reader(user=user), article=ArticleFactory(access_level="premium"), record=True)
    return decision.reason, decision.reader_kind


def _emails(template: str) -> list[OutboundEmail]:
    return list(OutboundEmail.objects.filter(template=f"paywall_group_{template}").order_by("id"))


def test_a_buyer_checks_out_seats_and_becomes_the_admin_without_a_seat(api_client, reader):
    # when a reader buys 3 seats of the team plan through the dev provider
    response = _as(api_client, reader).post(
        "/api/v1/groups/checkout/", {"plan": "team", "seats": 3, "name": "Desk"}, format="json"
    )
    assert response.status_code == 201, response.content
    group = response.json()["group"]
    assert (group["seats"], group["seats_used"], group["status"], group["live"]) == (3, 0, "none", False)
    path = urlsplit(response.json()["checkout_url"]).path
    assert api_client.post(path).status_code == 200  # the dev provider's confirmation page
    # then the group is live with a subscription of its own, and the buyer holds no seat
    detail = api_client.get(f"/api/v1/groups/{group['id']}/").json()
    assert (detail["status"], detail["live"], detail["price"]) == ("active", True, "$8.00/month per seat")
    sub = Subscription.objects.get(group_id=group["id"])
    assert sub.user_id is None and sub.provider == "dev"
    assert _premium_access(reader) == ("premium", "registered")
    assert api_client.post(path).status_code == 200  # confirming twice is one subscription
    assert Subscription.objects.filter(group_id=group["id"]).count() == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"plan": "weekly", "seats": 3, "name": "Desk"}, "plan"),  # not a per-seat plan
        ({"plan": "team", "seats": 0, "name": "Desk"}, "seats"),
        ({"plan": "team", "seats": 10**6, "name": "Desk"}, "seats"),
        ({"plan": "team", "seats": 3}, "name"),
    ],
)
def test_a_bad_checkout_is_a_400_naming_the_field(api_client, reader, body, field):
    response = _as(api_client, reader).post("/api/v1/groups/checkout/", body, format="json")
    assert response.status_code == 400, response.content
    assert field in {e["field"] for e in response.json()["errors"]}


def test_a_member_invited_by_email_accepts_and_reads_as_a_subscriber(api_client, live_group):
    admin = live_group.admins.get()
    # given an invitation sent through the outbox with a signed link
    response = _as(api_client, admin).post(
        f"/api/v1/groups/{live_group.pk}/invitations/", {"email": "New.Reader@Example.com"}, format="json"
    )
    assert response.status_code == 201, response.content
    (email,) = _emails("invitation")
    assert email.to == "new.reader@example.com"
    token = parse_qs(urlsplit(email.context["accept_url"]).query)["token"][0]
    # when someone else holds the link, or it was tampered with
    other = UserFactory(email="other@example.com")
    refused = _as(api_client, other).post("/api/v1/groups/invitations/accept/", {"token": token}, format="json")
    assert (refused.status_code, refused.json()["code"]) == (403, "invitation_other_address")
    forged = api_client.post("/api/v1/groups/invitations/accept/", {"token": token[:-3] + "abc"}, format="json")
    assert (forged.status_code, forged.json()["errors"][0]["field"]) == (400, "token")
    # then the invited address registers and accepts: a seat, a "joined" email, and the full text
    invited = UserFactory(email="new.reader@example.com")
    accepted = _as(api_client, invited).post("/api/v1/groups/invitations/accept/", {"token": token}, format="json")
    assert accepted.status_code == 200, accepted.content
    assert accepted.json()["source"] == "invitation"
    assert _premium_access(invited) == ("group", "subscriber")
    assert [e.to for e in _emails("joined")] == ["new.reader@example.com"]
    members = _as(api_client, admin).get(f"/api/v1/groups/{live_group.pk}/members/").json()
    assert (members["seats"], members["seats_used"]) == (5, 1)
    assert api_client.get(f"/api/v1/groups/{live_group.pk}/invitations/").json()["results"] == []
    # and removing the member ends their access at once
    assert api_client.delete(f"/api/v1/groups/{live_group.pk}/members/{invited.pk}/").status_code == 204
    assert _premium_access(invited) == ("premium", "registered")


def test_a_revoked_invitation_opens_nothing(api_client, live_group):
    invitation = services.group_invitation_create(group=live_group, actor=None, email="late@example.com")
    token = parse_qs(urlsplit(_emails("invitation")[0].context["accept_url"]).query)["token"][0]
    admin_client = _as(api_client, live_group.admins.get())
    assert admin_client.delete(f"/api/v1/groups/{live_group.pk}/invitations/{invitation.pk}/").status_code == 204
    late = UserFactory(email="late@example.com")
    response = _as(api_client, late).post("/api/v1/groups/invitations/accept/", {"token": token}, format="json")
    assert (response.status_code, response.json()["code"]) == (400, "invitation_invalid")


@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_joins_never_exceed_the_seats(live_group):
    # given 20 verified readers at the group's domain and 5 seats
    readers = [UserFactory(email=f"r{i}@example.org", email_verified_at=timezone.now()) for i in range(20)]

    def join(user):
        try:
            services.group_join(user=user)
            return "joined"
        except Conflict as exc:
            return exc.code

    # when all of them join at once (threads released together)
    outcomes = at_once([lambda user=user: join(user) for user in readers])
    # then exactly the seats are taken, the others are told the group is full, and the admin is told once
    assert sorted(outcomes) == ["joined"] * 5 + ["seat_limit"] * 15
    assert GroupMembership.objects.filter(group=live_group).count() == 5
    assert [e.to for e in _emails("seat_limit")] == ["groupadmin@example.com"]


def test_a_domain_join_needs_a_verified_address(api_client, live_group, unverified_reader):
    # given a reader at the group's domain who has not verified the address
    user = UserFactory(email="new@example.org", email_verified_at=None)
    response = _as(api_client, user).post("/api/v1/groups/join/")
    assert (response.status_code, response.json()["code"]) == (403, "email_unverified")
    assert _premium_access(user) == ("premium", "registered")
    # when the address is verified, the reader joins on verification (and joining again is the same seat)
    token = email_verify_token_make(user=user, email=user.email)
    assert api_client.post("/api/v1/auth/verify-email/", {"token": token}, format="json").status_code == 200
    assert GroupMembership.objects.filter(group=live_group, user=user, source="domain").exists()
    assert _as(api_client, user).post("/api/v1/groups/join/").status_code == 200
    assert _premium_access(user) == ("group", "subscriber")
    # and a verified reader at another domain has no group to join
    elsewhere = UserFactory(email="x@example.com", email_verified_at=timezone.now())
    response = _as(api_client, elsewhere).post("/api/v1/groups/join/")
    assert (response.status_code, response.json()["code"]) == (404, "no_group")


def test_the_lapse_of_the_group_ends_every_members_access(live_group, group_member, subscriber):
    # given a member without a subscription, and one with a personal subscription of their own
    services.group_member_add(group=live_group, actor=None, user=subscriber)
    assert _premium_access(group_member) == ("group", "subscriber")
    assert _premium_access(subscriber) == ("group", "subscriber")
    # when the group's subscription is canceled at period end and the period passes
    sub = live_group.subscriptions.get()
    Subscription.objects.filter(pk=sub.pk).update(
        cancel_at_period_end=True, current_period_end=timezone.now() - timedelta(minutes=1)
    )
    assert _premium_access(group_member) == ("premium", "registered")  # at once, before the sweep
    subscription_sweep()
    # then the group lapsed: the member is told, the subscriber keeps their own subscription and hears nothing
    assert Subscription.objects.get(pk=sub.pk).status == "expired"
    assert _premium_access(subscriber) == ("subscriber", "subscriber")
    assert sorted(e.to for e in _emails("lapsed")) == ["groupadmin@example.com", "member@example.org"]
    subscription_sweep()
    assert len(_emails("lapsed")) == 2  # once


def test_a_reader_with_a_trial_and_a_seat_keeps_the_trial(live_group, trial_reader):
    services.group_member_add(group=live_group, actor=None, user=trial_reader)
    assert _premium_access(trial_reader) == ("group", "trial")
    personal = Subscription.objects.get(user=trial_reader)
    assert (personal.status, personal.is_trial) == ("trialing", True)


def test_network_reads_are_counted_per_group_and_day_only(api_client, live_group):
    articles = ArticleFactory.create_batch(3)
    for address in ("192.0.2.10", "192.0.2.11", "2001:db8:42::1"):
        for article in articles[:2]:
            assert api_client.get(f"/api/v1/articles/{article.slug}/", REMOTE_ADDR=address).status_code == 200
    api_client.head(f"/api/v1/articles/{articles[2].slug}/", REMOTE_ADDR="192.0.2.10")  # a HEAD never counts
    (usage,) = GroupNetworkUsage.objects.filter(group=live_group)
    assert usage.reads == 6
    report = _as(api_client, live_group.admins.get()).get(f"/api/v1/groups/{live_group.pk}/usage/").json()
    assert (report["network_reads"], report["days"][-1]["reads"]) == (6, 6)
    bad = api_client.get(f"/api/v1/groups/{live_group.pk}/usage/", {"from": "yesterday"})
    assert (bad.status_code, bad.json()["errors"][0]["field"]) == (400, "from")


@pytest.mark.parametrize(
    ("cidr", "status", "stored"),
    [
        ("198.51.100.9/24", 201, "198.51.100.0/24"),
        ("2001:db8:99::/48", 201, "2001:db8:99::/48"),
        ("203.0.113.5", 201, "203.0.113.5/32"),
        ("0.0.0.0/0", 400, None),
        ("::/0", 400, None),
        ("not-a-network", 400, None),
    ],
)
def test_networks_are_checked_and_stored_canonically(api_client, live_group, cidr, status, stored):
    response = _as(api_client, live_group.admins.get()).post(
        f"/api/v1/groups/{live_group.pk}/networks/", {"cidr": cidr}, format="json"
    )
    assert response.status_code == status, response.content
    if stored is None:
        assert response.json()["errors"][0]["field"] == "cidr"
    else:
        assert response.json()["cidr"] == stored
        assert stored in [
            n["cidr"] for n in api_client.get(f"/api/v1/groups/{live_group.pk}/networks/").json()["results"]
        ]


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("get", "", None),
        ("get", "members/", None),
        ("post", "members/", None),
        ("delete", "members/1/", None),
        ("get", "invitations/", None),
        ("post", "invitations/", {"email": "a@example.com"}),
        ("put", "domain/", {"domain": "evil.example"}),
        ("get", "networks/", None),
        ("post", "networks/", {"cidr": "0.0.0.0/8"}),
        ("get", "usage/", None),
    ],
)
def test_only_the_groups_admins_manage_it(api_client, live_group, reader, method, path, body):
    url = f"/api/v1/groups/{live_group.pk}/{path}"
    assert getattr(api_client, method)(url, body, format="json").status_code == 401
    response = getattr(_as(api_client, reader), method)(url, body, format="json")
    assert response.status_code == 403, response.content
    assert api_client.get("/api/v1/groups/").json()["results"] == []
    assert api_client.get("/api/v1/groups/999999/").status_code == 404


def test_the_admin_sets_the_domain_and_adds_themselves(api_client, live_group):
    admin = live_group.admins.get()
    client = _as(api_client, admin)
    assert (
        client.put(f"/api/v1/groups/{live_group.pk}/domain/", {"domain": "bad domain"}, format="json").json()["errors"][
            0
        ]["field"]
        == "domain"
    )
    assert (
        client.put(f"/api/v1/groups/{live_group.pk}/domain/", {"domain": "@Lib.Example.EDU"}, format="json").json()[
            "domain"
        ]
        == "lib.example.edu"
    )
    assert _premium_access(admin) == ("premium", "registered")
    assert client.post(f"/api/v1/groups/{live_group.pk}/members/").status_code == 201
    assert _premium_access(admin) == ("group", "subscriber")


@pytest.mark.parametrize("members", [1, 5])
def test_the_members_list_costs_the_same_whatever_its_length(
    api_client, live_group, members, django_assert_max_num_queries
):
    for i in range(members):
        services.group_member_add(group=live_group, actor=None, user=UserFactory(email=f"m{i}@example.net"))
    client = _as(api_client, live_group.admins.get())
    with django_assert_max_num_queries(8):
        assert len(client.get(f"/api/v1/groups/{live_group.pk}/members/").json()["results"]) == members
    with django_assert_max_num_queries(8):
        assert len(client.get("/api/v1/groups/").json()["results"]) == 1


def test_emails_name_the_group(live_group, group_member):
    (joined,) = _emails("joined")
    assert joined.context["group_name"] == "Example Library"
    from cms.core.email import _render

    subject, body, html = _render(joined.template, joined.context)
    assert subject == "You have joined Example Library" and re.search(r"group subscription of Example Library", body)
