"""The admin page "Revenue desk": who may open it, the range form, what it shows, and a constant query count."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from django.utils import timezone

from paywall.models import MeterUsageStat
from tests.accounts.factories import UserFactory
from tests.paywall.factories import PlanFactory, SubscriptionFactory

pytestmark = pytest.mark.django_db
URL = "/admin/revenue-desk/"


def _range(day: date) -> dict:
    return {"from": day.isoformat(), "to": day.isoformat()}


def test_anonymous_is_sent_to_the_login_and_staff_without_the_permission_get_403(client):
    response = client.get(URL)
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")
    client.force_login(UserFactory(is_staff=True))
    assert client.get(URL).status_code == 403
    client.force_login(UserFactory(is_staff=False))  # a reader: not staff, so the login page
    assert client.get(URL).status_code == 302


def test_the_admin_index_links_the_desk_for_those_who_may_open_it(client, analyst):
    client.force_login(UserFactory(is_staff=True))
    assert "/admin/revenue-desk/" not in client.get("/admin/").content.decode()
    client.force_login(analyst)
    assert 'href="/admin/revenue-desk/"' in client.get("/admin/").content.decode()


def test_superusers_and_editors_open_it(client):
    from django.contrib.auth.models import Group

    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    assert client.get(URL).status_code == 200
    editor = UserFactory(is_staff=True)
    editor.groups.add(Group.objects.get(name="Editor"))
    client.force_login(editor)
    assert client.get(URL).status_code == 200


def test_the_default_range_is_the_last_30_days_including_today(client, analyst):
    client.force_login(analyst)
    response = client.get(URL)
    assert response.status_code == 200
    report = response.context["report"]
    today = timezone.localdate()
    assert (report.start, report.end) == (today - timedelta(days=29), today)
    assert len(report.days) == 30 and report.days[-1]["day"] == today


@pytest.mark.parametrize(
    "query, field, message",
    [
        ({"from": "2026-13-01"}, "from", "Enter a valid date."),
        ({"to": "yesterday"}, "to", "Enter a valid date."),
        ({"from": "2026-11-02", "to": "2026-11-01"}, "from", "The range starts after it ends."),
        ({"from": "2020-01-01", "to": "2026-11-01"}, "from", "The range is longer than 1098 days."),
    ],
)
def test_a_bad_range_is_a_400_naming_the_field(client, analyst, query, field, message):
    client.force_login(analyst)
    response = client.get(URL, query)
    assert response.status_code == 400
    assert response.context["form"].errors == {"start" if field == "from" else "end": [message]}
    html = response.content.decode()
    assert f'name="{field}"' in html and message in html and "report" not in response.context


def test_the_desk_shows_the_funnel_articles_sources_experiment_meter_and_revenue(client, analyst, desk_day):
    # given a day of known figures, a meter distribution and two paying subscribers
    MeterUsageStat.objects.create(period=desk_day, kind="anonymous", used=3, readers=70, walled=50)
    MeterUsageStat.objects.create(period=desk_day, kind="anonymous", used=1, readers=200)
    monthly = PlanFactory(code="desk-monthly", name="Desk monthly", amount=1000, interval="month")
    SubscriptionFactory.create_batch(2, plan=monthly, current_period_end=timezone.now() + timedelta(days=9))
    client.force_login(analyst)

    # when the analyst opens the desk on that day
    response = client.get(URL, _range(desk_day))

    # then every part shows its figures
    assert response.status_code == 200
    report, html = response.context["report"], response.content.decode()
    assert [(s["name"], s["count"]) for s in report.steps] == [
        ("readers", 1000), ("paywall_shown", 200), ("registered", 40), ("trials", 10), ("paid", 5),
    ]  # fmt: skip
    assert [s["of_previous"] for s in report.steps[1:]] == [0.2, 0.2, 0.25, 0.5]
    assert [s["of_readers"] for s in report.steps[1:]] == [0.2, 0.04, 0.01, 0.005]
    assert "20.0%" in html and "25.0%" in html and "0.5%" in html
    assert [r["article"]["title"] for r in report.top_articles] == ["The harbour deal, explained", "Council votes"]
    assert [r["key"] for r in report.sources] == ["newsletter", "google"]  # by paid conversions
    assert html.count('<figure class="desk-chart"') == 2 and html.count("<polyline") == 5
    (experiment, result), = report.experiments  # fmt: skip
    assert experiment.slug == "monthly-meter" and [a["name"] for a in result["arms"]] == ["control", "monthly-6"]
    assert 'data-arm="monthly-6"' in html and "95%" in html
    assert [(b.used, b.readers, b.walled) for b in report.meter.kinds["anonymous"]] == [
        (0, 0, 0), (1, 200, 0), (2, 0, 0), (3, 70, 50),
    ]  # fmt: skip
    plan = next(p for p in report.revenue.plans if p.code == "desk-monthly")
    assert (plan.paying, plan.mrr) == (2, 2000) and "$20.00" in html
    # and nothing is loaded from elsewhere: every asset is one of our static files
    assets = re.findall(r"""<(?:link|script|img)[^>]+(?:src|href)=["']([^"']+)""", html)
    assert "/static/paywall/desk.css" in assets and all(url.startswith("/static/") for url in assets), assets


def test_a_year_costs_the_same_queries_as_a_day(client, analyst, desk_day, django_assert_max_num_queries):
    client.force_login(analyst)
    with django_assert_max_num_queries(40) as day_queries:
        assert client.get(URL, _range(desk_day)).status_code == 200
    year = {"from": (desk_day - timedelta(days=364)).isoformat(), "to": desk_day.isoformat()}
    with django_assert_max_num_queries(len(day_queries)):
        assert client.get(URL, year).status_code == 200
