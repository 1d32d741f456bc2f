"""The one REST error shape (`cms.api.exceptions.exception_handler` builds it), for the views' OpenAPI responses."""

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
