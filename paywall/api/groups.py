"""REST edges of group subscriptions (`/api/v1/groups/...`): buying one, its admins managing seats, invitations, the
email domain and networks, and readers joining. Views translate; the rules are in `paywall.services.groups`, the
reads in `paywall.group_selectors`, the shapes in `paywall.group_presenters`."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.response import Response

from cms.api.serializers import ErrorOutputSerializer
from paywall.group_presenters import group_shape, invitation_shape, member_shape, network_shape
from paywall.group_selectors import (
    group_get_for_admin,
    group_invitations_pending,
    group_list_for_admin,
    group_members,
    group_usage,
)
from paywall.services import groups as services

from . import group_serializers as s
from .views import _PrivateApi

_ERRORS = {
    400: OpenApiResponse(ErrorOutputSerializer, description="Bad input; `errors[].field` names it."),
    401: OpenApiResponse(ErrorOutputSerializer, description="Not signed in."),
    403: OpenApiResponse(ErrorOutputSerializer, description="Not this group's admin (or `email_unverified`)."),
    404: OpenApiResponse(ErrorOutputSerializer, description="No such group (or `no_group` for the domain)."),
    409: OpenApiResponse(ErrorOutputSerializer, description="`seat_limit`, `group_not_live`, `already_member`."),
}


def _doc(operation_id: str, code: int, output, **options):
    """The OpenAPI description of an operation: its success and the errors every group operation may answer."""
    return extend_schema(operation_id=operation_id, responses={code: output, **_ERRORS}, **options)


def _valid(serializer_class, data) -> dict:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class _GroupApi(_PrivateApi):
    def group(self, request, group_id):
        return group_get_for_admin(user=request.user, group_id=group_id)

    def created(self, request, group_id, *, service, shape, serializer=None, **fixed) -> Response:
        """201 with `shape(service(group=<the admin's group>, **<valid input>, **fixed))`."""
        data = _valid(serializer, request.data) if serializer is not None else {}
        result = service(group=self.group(request, group_id), **data, **fixed)
        return Response(shape(result), status=status.HTTP_201_CREATED)


class _GroupItemRemoveApi(_GroupApi):
    """DELETE one item of a group: `remove(group=..., <the URL's item id>=...)`, then 204."""

    remove = staticmethod(lambda **_: None)

    def delete(self, request, group_id, **item):
        self.remove(group=self.group(request, group_id), **item)
        return Response(status=status.HTTP_204_NO_CONTENT)


class GroupCheckoutApi(_GroupApi):
    route, url_name = "checkout/", "group-checkout"

    @_doc("group_checkout", 201, s.GroupCheckoutOutputSerializer, request=s.GroupCheckoutInputSerializer)
    def post(self, request):
        data = _valid(s.GroupCheckoutInputSerializer, request.data)
        group, url = services.group_checkout_create(
            user=request.user, plan_code=data["plan"], seats=data["seats"], name=data["name"]
        )
        group = group_get_for_admin(user=request.user, group_id=group.pk)
        return Response({"group": group_shape(group), "checkout_url": url}, status=status.HTTP_201_CREATED)


class GroupListApi(_GroupApi):
    route, url_name = "", "group-list"

    @_doc("groups_list", 200, s.GroupListOutputSerializer)
    def get(self, request):
        return Response({"results": [group_shape(g) for g in group_list_for_admin(user=request.user)]})


class GroupDetailApi(_GroupApi):
    route, url_name = "<int:group_id>/", "group-detail"

    @_doc("group_detail", 200, s.OUTPUTS["Group"])
    def get(self, request, group_id):
        return Response(group_shape(self.group(request, group_id)))


class GroupMemberListApi(_GroupApi):
    route, url_name = "<int:group_id>/members/", "group-members"

    @_doc("group_members", 200, s.MemberListOutputSerializer)
    def get(self, request, group_id):
        group = self.group(request, group_id)
        members = [member_shape(m) for m in group_members(group=group)]
        return Response({"seats": group.seats, "seats_used": len(members), "results": members})

    @_doc(
        "group_members_add_self",
        201,
        s.OUTPUTS["GroupMember"],
        request=None,
        description="The admin takes a seat (admins do not use one unless they add themselves).",
    )
    def post(self, request, group_id):
        user = request.user
        return self.created(
            request, group_id, service=services.group_member_add, shape=member_shape, actor=user, user=user
        )


class GroupInvitationListApi(_GroupApi):
    route, url_name = "<int:group_id>/invitations/", "group-invitations"

    @_doc("group_invitations", 200, s.InvitationListOutputSerializer)
    def get(self, request, group_id):
        pending = group_invitations_pending(group=self.group(request, group_id))
        return Response({"results": [invitation_shape(i) for i in pending]})

    @_doc("group_invite", 201, s.OUTPUTS["GroupInvitation"], request=s.InvitationInputSerializer)
    def post(self, request, group_id):
        create = services.group_invitation_create
        return self.created(
            request,
            group_id,
            service=create,
            shape=invitation_shape,
            serializer=s.InvitationInputSerializer,
            actor=request.user,
        )


class GroupInvitationAcceptApi(_GroupApi):
    route, url_name = "invitations/accept/", "group-invitation-accept"

    @_doc("group_invitation_accept", 200, s.OUTPUTS["GroupMember"], request=s.InvitationAcceptInputSerializer)
    def post(self, request):
        data = _valid(s.InvitationAcceptInputSerializer, request.data)
        return Response(member_shape(services.group_invitation_accept(user=request.user, token=data["token"])))


class GroupJoinApi(_GroupApi):
    route, url_name = "join/", "group-join"

    @_doc(
        "group_join",
        200,
        s.OUTPUTS["GroupMember"],
        request=None,
        description="A reader with a verified address at a group's domain takes a seat.",
    )
    def post(self, request):
        return Response(member_shape(services.group_join(user=request.user)))


class GroupDomainApi(_GroupApi):
    route, url_name = "<int:group_id>/domain/", "group-domain"

    @_doc("group_domain_set", 200, s.OUTPUTS["Group"], request=s.DomainInputSerializer)
    def put(self, request, group_id):
        group = self.group(request, group_id)
        services.group_domain_set(group=group, domain=_valid(s.DomainInputSerializer, request.data)["domain"])
        return Response(group_shape(self.group(request, group_id)))


class GroupNetworkListApi(_GroupApi):
    route, url_name = "<int:group_id>/networks/", "group-networks"

    @_doc("group_networks", 200, s.NetworkListOutputSerializer)
    def get(self, request, group_id):
        return Response({"results": group_shape(self.group(request, group_id))["networks"]})

    @_doc("group_network_add", 201, s.OUTPUTS["GroupNetwork"], request=s.NetworkInputSerializer)
    def post(self, request, group_id):
        add = services.group_network_add
        return self.created(request, group_id, service=add, shape=network_shape, serializer=s.NetworkInputSerializer)


class GroupUsageApi(_GroupApi):
    route, url_name = "<int:group_id>/usage/", "group-usage"

    @_doc("group_usage", 200, s.OUTPUTS["GroupUsage"], parameters=[s.UsageInputSerializer])
    def get(self, request, group_id):
        group = self.group(request, group_id)
        params = _valid(s.UsageInputSerializer, request.query_params)
        today = timezone.localdate()
        last = params.get("to") or today
        first = params.get("from") or last - timedelta(days=29)
        return Response(s.OUTPUTS["GroupUsage"](group_usage(group=group, first_day=first, last_day=last)).data)


def _remove_api(name: str, service, route: str, url_name: str):
    """A DELETE of one item of a group (204) by `service(group=..., <the route's item id>=...)`."""

    def delete(self, request, group_id, **item):
        return _GroupItemRemoveApi.delete(self, request, group_id, **item)

    attrs = {"route": route, "url_name": url_name, "remove": staticmethod(service)}
    return type(name, (_GroupItemRemoveApi,), {**attrs, "delete": _doc(service.__name__, 204, None)(delete)})


GroupMemberRemoveApi = _remove_api(
    "GroupMemberRemoveApi", services.group_member_remove, "<int:group_id>/members/<int:user_id>/", "group-member-remove"
)
GroupInvitationRevokeApi = _remove_api(
    "GroupInvitationRevokeApi",
    services.group_invitation_revoke,
    "<int:group_id>/invitations/<int:invitation_id>/",
    "group-invitation-revoke",
)
GroupNetworkRemoveApi = _remove_api(
    "GroupNetworkRemoveApi",
    services.group_network_remove,
    "<int:group_id>/networks/<int:network_id>/",
    "group-network-remove",
)

# mounted under /api/v1/groups/ by the app's urls.py, each at its `route`
ROUTED = (
    GroupListApi,
    GroupCheckoutApi,
    GroupJoinApi,
    GroupInvitationAcceptApi,
    GroupDetailApi,
    GroupMemberListApi,
    GroupMemberRemoveApi,
    GroupInvitationListApi,
    GroupInvitationRevokeApi,
    GroupDomainApi,
    GroupNetworkListApi,
    GroupNetworkRemoveApi,
    GroupUsageApi,
)
