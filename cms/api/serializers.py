"""Shapes that more than one app's REST API sends: the one error shape (`cms.api.exceptions.exception_handler`
builds it, for the views' OpenAPI responses) and the reader's meter (GET /api/v1/meter/ and the `meter` of
GET /api/v1/me/). An app's `api` package imports these from here, never from another app's `api` package."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers


class ErrorItemSerializer(serializers.Serializer):
    field = serializers.CharField(allow_null=True)
    code = serializers.CharField()
    message = serializers.CharField()


class ErrorOutputSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()
    errors = ErrorItemSerializer(many=True)


def error_response_doc(description: str) -> OpenApiResponse:
    """An error answer in the one error shape, for `extend_schema(responses=...)`."""
    return OpenApiResponse(ErrorOutputSerializer, description=description)


# the reader's meter as `paywall.services.meter_state` reports it (no docstring: it would become the schema's
# description); paywall/api extends it with `period`
class MeterSummarySerializer(serializers.Serializer):
    reader_kind = serializers.CharField()
    limit = serializers.IntegerField(allow_null=True)
    used = serializers.IntegerField()
    remaining = serializers.IntegerField(allow_null=True)
    resets_at = serializers.DateTimeField()
