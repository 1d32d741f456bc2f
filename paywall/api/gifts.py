"""REST edges of gift links: create one for an article, list the reader's own, revoke one. Views translate; the
rules are in `paywall.services.gifts`."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from articles import selectors as article_selectors
from cms.api.serializers import ErrorOutputSerializer, error_response_doc
from cms.core.links import site_base
from paywall import services
from paywall.presenters import gift_link_present
from paywall.selectors import gift_link_list_for_giver

from .views import _PrivateApi


class GiftArticleSerializer(serializers.Serializer):
    slug = serializers.CharField()
    title = serializers.CharField()


class GiftLinkOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    article = GiftArticleSerializer()
    token = serializers.CharField(help_text="Send it back as `?gift=` (REST, Ghost) or `gift:` (GraphQL `article`).")
    url = serializers.CharField(help_text="The article's API detail URL with `?gift=<token>`.")
    created_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField()
    redemptions = serializers.IntegerField(help_text="Distinct recipients so far.")
    redemptions_left = serializers.IntegerField()
    revoked_at = serializers.DateTimeField(allow_null=True)
    status = serializers.ChoiceField(choices=["active", "expired", "exhausted", "revoked"])


class GiftLinkListOutputSerializer(serializers.Serializer):
    results = GiftLinkOutputSerializer(many=True)


class GiftLimitOutputSerializer(ErrorOutputSerializer):
    renews_at = serializers.DateTimeField(help_text="When the next month's allowance starts (local midnight).")
    retry_after = serializers.IntegerField(help_text="Seconds until `renews_at` (also the Retry-After header).")


_401 = error_response_doc("Not signed in.")
_404 = error_response_doc("No such article (or gift link of yours).")


class ArticleGiftCreateApi(_PrivateApi):
    @extend_schema(
        operation_id="article_gift_create",
        parameters=[OpenApiParameter("slug", str, OpenApiParameter.PATH)],
        request=None,
        responses={
            201: GiftLinkOutputSerializer,
            401: _401,
            403: error_response_doc("`gift_not_allowed`: only subscribers (and, if allowed, trials) share gift links."),
            404: _404,
            429: OpenApiResponse(
                GiftLimitOutputSerializer,
                description="`gift_limit_reached`: GIFT_LINKS_PER_MONTH used this calendar month; `Retry-After`.",
            ),
        },
        description="Share the article: a gift link valid GIFT_LINK_DAYS days for GIFT_LINK_REDEMPTIONS recipients.",
    )
    def post(self, request, slug: str):
        article = article_selectors.article_get(slug=slug)
        link = services.gift_link_create(user=request.user, article=article)
        data = gift_link_present(link, base=site_base(request))
        return Response(GiftLinkOutputSerializer(data).data, status=status.HTTP_201_CREATED)


class MeGiftListApi(_PrivateApi):
    @extend_schema(
        operation_id="me_gifts_list",
        responses={200: GiftLinkListOutputSerializer, 401: _401},
        description="The reader's gift links, newest first (the latest 100), with their use.",
    )
    def get(self, request):
        base = site_base(request)
        links = [gift_link_present(link, base=base) for link in gift_link_list_for_giver(user=request.user)]
        return Response({"results": GiftLinkOutputSerializer(links, many=True).data})


class MeGiftRevokeApi(_PrivateApi):
    @extend_schema(
        operation_id="me_gift_revoke",
        parameters=[OpenApiParameter("id", int, OpenApiParameter.PATH)],
        responses={204: None, 401: _401, 404: _404},
        description="Revoke one of the reader's gift links: it opens nothing from now on. Idempotent.",
    )
    def delete(self, request, id: int):
        services.gift_link_revoke(link_id=id, user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
