"""REST edges of the revenue desk: `GET /api/v1/analytics/funnel/` and `GET /api/v1/analytics/experiments/{slug}/`,
as JSON or (`?format=csv`) the same table as CSV. Figures come from `paywall.services.analytics`.

Who may read them: staff holding `paywall.view_analytics` (superusers and the Editor group), by session or JWT, and
API keys with the `analytics` scope; anyone else 403, anonymous 401."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

from django.http import HttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.permissions import BasePermission
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from cms.api.serializers import ErrorOutputSerializer
from cms.core.params import query_string_check_utf8
from paywall.services.analytics import GROUP_BY, INTERVAL_STEPS, RATE_NAMES, STEPS, report_table
from paywall.services.analytics import experiment_report as experiment_report_build
from paywall.services.analytics import funnel_report as funnel_report_build

ANALYTICS_SCOPE = "analytics"
PERMISSION = "paywall.view_analytics"
MAX_DAYS = 3660


class CanViewAnalytics(BasePermission):
    """Staff with `paywall.view_analytics`, or an API key with the `analytics` scope (keys without it keep reading
    content only). DRF answers 401 when no credentials were given, 403 otherwise."""

    message = "You need the analytics permission (paywall.view_analytics) or an API key with the analytics scope."

    def has_permission(self, request, view) -> bool:
        has_scope = getattr(request.auth, "has_scope", None)
        if callable(has_scope):
            return has_scope(ANALYTICS_SCOPE)
        user = request.user
        return bool(user and user.is_authenticated and user.is_staff and user.has_perm(PERMISSION))


# --- input ----------------------------------------------------------------------------------------------------------


class _FormatInputSerializer(serializers.Serializer):
    format = serializers.ChoiceField(choices=["json", "csv"], required=False, default="json")

    def validate(self, attrs):
        start, end = attrs.get("from"), attrs.get("to")
        if start and end and start > end:
            raise serializers.ValidationError({"from": "`from` must not be after `to`."})
        if start and end and (end - start).days > MAX_DAYS:
            raise serializers.ValidationError({"from": f"At most {MAX_DAYS} days at a time."})
        return attrs


class FunnelInputSerializer(_FormatInputSerializer):
    locals()["from"] = serializers.DateField(required=False, help_text="First local day (YYYY-MM-DD); 30 days ago.")
    to = serializers.DateField(required=False, help_text="Last local day, included (YYYY-MM-DD); default today.")
    group_by = serializers.ChoiceField(choices=list(GROUP_BY), required=False, default="day")


class ExperimentInputSerializer(_FormatInputSerializer):
    locals()["from"] = serializers.DateField(required=False, help_text="Default: the experiment's start.")
    to = serializers.DateField(required=False, help_text="Default: its stop, or today.")


# --- output (the shape the services build; the view passes it through these) ----------------------------------------


class RatesOutputSerializer(serializers.Serializer):
    for _name in RATE_NAMES:
        locals()[_name] = serializers.FloatField(allow_null=True, min_value=0, max_value=1)


class FunnelRowOutputSerializer(serializers.Serializer):
    key = serializers.CharField()
    for _name in STEPS:
        locals()[_name] = serializers.IntegerField(min_value=0)
    rates = RatesOutputSerializer()


class FunnelReportOutputSerializer(serializers.Serializer):
    locals()["from"] = serializers.DateField()
    to = serializers.DateField()
    group_by = serializers.ChoiceField(choices=list(GROUP_BY))
    totals = FunnelRowOutputSerializer()
    rows = FunnelRowOutputSerializer(many=True)


class _IntervalsOutputSerializer(serializers.Serializer):
    for _name in INTERVAL_STEPS:
        locals()[_name] = serializers.ListField(
            child=serializers.FloatField(), min_length=2, max_length=2, allow_null=True
        )


class _ProbabilitiesOutputSerializer(serializers.Serializer):
    for _name in INTERVAL_STEPS:
        locals()[_name] = serializers.FloatField(allow_null=True, min_value=0, max_value=1)


class ArmOutputSerializer(FunnelRowOutputSerializer):
    arm = serializers.CharField()
    is_control = serializers.BooleanField()
    share = serializers.IntegerField()
    intervals = _IntervalsOutputSerializer(help_text="95% Wilson interval of each rate over the arm's readers.")
    probability_to_beat_control = _ProbabilitiesOutputSerializer(
        help_text="Beta-Binomial posterior P(arm rate > control rate); null for the control."
    )


class ExperimentReportOutputSerializer(serializers.Serializer):
    experiment = serializers.SlugField()
    name = serializers.CharField()
    locals()["from"] = serializers.DateField()
    to = serializers.DateField()
    control = serializers.CharField(allow_null=True)
    method = serializers.CharField()
    arms = ArmOutputSerializer(many=True)


# --- views ----------------------------------------------------------------------------------------------------------

_ERRORS = {
    400: OpenApiResponse(ErrorOutputSerializer, description="Bad parameter; `errors[].field` names it."),
    401: OpenApiResponse(ErrorOutputSerializer, description="No credentials."),
    403: OpenApiResponse(
        ErrorOutputSerializer, description="Not staff with the analytics permission, nor a key with its scope."
    ),
}
_CSV = OpenApiResponse(OpenApiTypes.STR, description="`?format=csv`: the same table as CSV.")


def _csv_response(report: dict, filename: str) -> HttpResponse:
    header, rows = report_table(report)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(["" if value is None else value for value in row] for row in rows)
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    return response


class _AnalyticsApi(APIView):
    permission_classes = (CanViewAnalytics,)

    def perform_content_negotiation(self, request, force=False):
        """`?format=csv` is this view's own choice of output, not DRF's renderer override (which would 404)."""
        renderer = JSONRenderer()
        return renderer, renderer.media_type

    def _params(self, serializer_class, request) -> dict:
        query_string_check_utf8(request)
        serializer = serializer_class(data=request.query_params)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def _answer(self, report: dict, *, output, fmt: str, filename: str):
        if fmt == "csv":
            response = _csv_response(report, filename)
        else:
            response = Response(output(report).data)
        response["Cache-Control"] = "private, no-store"
        return response


class FunnelReportApi(_AnalyticsApi):
    @extend_schema(
        operation_id="analytics_funnel",
        parameters=[FunnelInputSerializer],
        responses={(200, "application/json"): FunnelReportOutputSerializer, (200, "text/csv"): _CSV, **_ERRORS},
        description="The funnel (readers -> paywall shown -> registered -> trial -> paid) for a range of local days, "
        "by `day`, `article`, `arm` or `source`, from the daily aggregates (today: at most five minutes old).",
    )
    def get(self, request):
        params = self._params(FunnelInputSerializer, request)
        end = params.get("to") or timezone.localdate()
        start = params.get("from") or min(end, timezone.localdate()) - timedelta(days=29)
        if start > end:
            start = end
        report = funnel_report_build(start=start, end=end, group_by=params["group_by"])
        return self._answer(
            report, output=FunnelReportOutputSerializer, fmt=params["format"], filename=f"funnel-{params['group_by']}"
        )


class ExperimentReportApi(_AnalyticsApi):
    @extend_schema(
        operation_id="analytics_experiment",
        parameters=[OpenApiParameter("slug", str, OpenApiParameter.PATH), ExperimentInputSerializer],
        responses={
            (200, "application/json"): ExperimentReportOutputSerializer,
            (200, "text/csv"): _CSV,
            **_ERRORS,
            404: OpenApiResponse(ErrorOutputSerializer, description="No experiment with this slug."),
        },
        description="An experiment's arms side by side: funnel counts and rates, 95% Wilson intervals and the "
        "Beta-Binomial probability that each arm beats the control.",
    )
    def get(self, request, slug: str):
        params = self._params(ExperimentInputSerializer, request)
        report = experiment_report_build(experiment=slug, start=params.get("from"), end=params.get("to"))
        return self._answer(
            report, output=ExperimentReportOutputSerializer, fmt=params["format"], filename=f"experiment-{slug}"
        )
