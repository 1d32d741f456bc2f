"""Template helpers of the revenue desk (`{% load desk %}`): the daily charts as inline SVG, percentages, money."""

from __future__ import annotations

from django import template
from django.utils.html import format_html_join

from ..desk.charts import line_chart
from ..selectors import CURRENCY_SYMBOLS

register = template.Library()

TRAFFIC = (("Readers", "s-readers", "readers"), ("Paywall shown", "s-paywall", "paywall_shown"))
CONVERSIONS = (
    ("Registered", "s-registered", "registered"),
    ("Trials", "s-trials", "trials"),
    ("Paid", "s-paid", "paid"),
)
CHARTS = {"traffic": ("Readers and paywalls per day", TRAFFIC), "conversions": ("Conversions per day", CONVERSIONS)}


@register.inclusion_tag("admin/paywall/desk/line_chart.html")
def daily_chart(days: list[dict], which: str):
    """One of the desk's two daily charts (`traffic` or `conversions`) from the report's day rows."""
    title, series = CHARTS[which]
    chart = line_chart(
        title=title,
        days=[d["day"] for d in days],
        series=[(name, css, [d[step] for d in days]) for name, css, step in series],
    )
    # a hover target per day: hundreds over a year, joined here rather than looped in the template (both charts of
    # a year: 56 -> 38 ms)
    hover = format_html_join(
        "",
        '<rect class="hover" x="{}" y="{}" width="{}" height="{}"><title>{}</title></rect>',
        ((c.x, chart.plot_top, c.width, chart.plot_height, c.title) for c in chart.columns),
    )
    return {"chart": chart, "slug": which, "hover": hover}


@register.filter
def pct(fraction) -> str:
    """0.1234 -> "12.3%"; None (no denominator) -> "–"."""
    if fraction is None or fraction == "":
        return "–"
    return f"{float(fraction) * 100:.1f}%"


BAR_PX = 160


@register.filter
def bar_px(part, whole) -> str:
    """A bar's width in pixels, BAR_PX for the widest (`whole`), for a style attribute."""
    return f"{(part / whole * BAR_PX) if whole else 0:.0f}"


@register.filter
def money(minor_units: int, currency: str) -> str:
    """12345, "usd" -> "$123.45"; unknown currencies by code: "123.45 CHF"."""
    amount = f"{minor_units / 100:,.2f}"
    symbol = CURRENCY_SYMBOLS.get(currency.lower())
    return f"{symbol}{amount}" if symbol else f"{amount} {currency.upper()}"


@register.filter
def get(mapping: dict, key):
    return mapping.get(key) if mapping else None
