"""The admin page "Revenue desk" (`/admin/revenue-desk/`): the funnel, the daily chart, top articles and sources,
the meter distribution, paying subscribers and MRR by plan, and the experiments, for a date range. Staff holding
`paywall.view_analytics` only (others: the admin login, or 403). Rendered on the server; its chart is inline SVG and
its stylesheet one of Masthead's static files, so the page makes no request elsewhere. The view only translates:
the figures come from `paywall.desk.report.desk_report`."""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.utils import timezone

from .desk.report import desk_report

DEFAULT_DAYS = 30
MAX_DAYS = 3 * 366
PRESETS = (7, 30, 90, 365)


class DeskRangeForm(forms.Form):
    """`from` and `to` (local days, inclusive); empty: the last 30 days including today."""

    start = forms.DateField(required=False, label="From", widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(required=False, label="To", widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, data, *, today):
        super().__init__(data)
        self.today = today

    def add_prefix(self, field_name):
        return {"start": "from", "end": "to"}.get(field_name, field_name)  # the query string says from/to

    def clean(self):
        data = super().clean()
        end = data.get("end") or self.today
        start = data.get("start") or end - timedelta(days=DEFAULT_DAYS - 1)
        if "start" in self.errors or "end" in self.errors:
            return data
        if start > end:
            self.add_error("start", "The range starts after it ends.")
        elif (end - start).days + 1 > MAX_DAYS:
            self.add_error("start", f"The range is longer than {MAX_DAYS} days.")
        data.update(start=start, end=end)
        return data


def revenue_desk_view(request):
    if not request.user.has_perm("paywall.view_analytics"):
        raise PermissionDenied("The revenue desk needs the permission paywall.view_analytics.")
    now = timezone.now()
    today = timezone.localdate(now)
    form = DeskRangeForm(request.GET, today=today)
    context = {
        **admin.site.each_context(request),
        "title": "Revenue desk",
        "form": form,
        "today": today,
        "presets": [(n, today - timedelta(days=n - 1)) for n in PRESETS],
    }
    if not form.is_valid():
        return TemplateResponse(request, "admin/paywall/revenue_desk.html", context, status=400)
    start, end = form.cleaned_data["start"], form.cleaned_data["end"]
    context["report"] = desk_report(start=start, end=end, now=now, today=today)
    return TemplateResponse(request, "admin/paywall/revenue_desk.html", context)
