"""GET /api/v1/analytics/funnel/ and /api/v1/analytics/experiments/{slug}/: who may read them, the shape, CSV, errors,
and a constant number of queries whatever the range."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone

from accounts.services import api_key_create, token_pair_issue
from paywall.models import Experiment, ExperimentArm, FunnelDaily
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db
FUNNEL = "/api/v1/analytics/funnel/"


_STEPS = ("readers", "paywall_shown", "registered", "trials", "paid")


def _daily(day: date, dimension: str, key: str, *counts: int):
    """One aggregate row; `counts` are the funnel's steps in order (readers ... paid)."""
    steps = dict(zip(_STEPS, counts, strict=True))
    FunnelDaily.objects.create(day=day, dimension=dimension, key=key, rolled_at=timezone.now(), **steps)


@pytest.fixture
def figures():
    today = timezone.localdate()
    yesterday = today - timedelta(days=1)
    _daily(yesterday, "total", "", 100, 40, 10, 5, 2)
    _daily(today, "total", "", 50, 20, 5, 0, 1)
    _daily(yesterday, "source", "newsletter", 60, 30, 8, 4, 2)
    _daily(today, "source", "newsletter", 10, 5, 1, 0, 0)
    _daily(today, "source", "(direct)", 40, 15, 4, 0, 1)
    return today, yesterday


def _jwt(user) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {token_pair_issue(user=user).access}"}


def test_anonymous_is_401(api_client):
    assert api_client.get(FUNNEL).status_code == 401


def test_readers_subscribers_and_staff_without_the_permission_are_403(api_client, reader, subscriber, contributor):
    for user in (reader, subscriber, contributor):
        assert api_client.get(FUNNEL, **_jwt(user)).status_code == 403


def test_a_non_staff_account_holding_the_permission_is_still_403(api_client, reader):
    reader.user_permissions.add(Permission.objects.get(codename="view_analytics"))
    assert api_client.get(FUNNEL, **_jwt(reader)).status_code == 403


def test_editors_by_session_or_jwt_and_superusers_may_read(api_client, client, editor):
    assert api_client.get(FUNNEL, **_jwt(editor)).status_code == 200
    client.force_login(editor)
    assert client.get(FUNNEL).status_code == 200
    superuser = UserFactory(email="root@example.com", is_staff=True, is_superuser=True)
    assert api_client.get(FUNNEL, **_jwt(superuser)).status_code == 200


def test_api_keys_need_the_analytics_scope_and_keep_reading_content(api_client):
    _, plain = api_key_create(name="SSR frontend")
    _, scoped = api_key_create(name="Desk tools", scopes=["analytics"])
    assert api_client.get(FUNNEL, HTTP_X_API_KEY=plain).status_code == 403
    assert api_client.get("/api/v1/articles/", HTTP_X_API_KEY=plain).status_code == 200
    assert api_client.get(FUNNEL, HTTP_X_API_KEY=scoped).status_code == 200


def test_funnel_by_day_sums_the_range_with_rates(api_client, editor, figures):
    today, yesterday = figures
    response = api_client.get(FUNNEL, {"from": yesterday, "to": today, "group_by": "day"}, **_jwt(editor))
    assert response.status_code == 200 and response["Cache-Control"] == "private, no-store"
    data = response.json()
    assert (data["from"], data["to"], data["group_by"]) == (yesterday.isoformat(), today.isoformat(), "day")
    totals = data["totals"]
    assert [totals[k] for k in ("readers", "paywall_shown", "registered", "trials", "paid")] == [150, 60, 15, 5, 3]
    names = ("paywall_shown_of_readers", "paid_of_readers", "registered_of_paywall_shown", "paid_of_trials")
    assert [totals["rates"][name] for name in names] == [0.4, 0.02, 0.25, 0.6]
    assert totals["rates"]["trials_of_registered"] == pytest.approx(1 / 3) and len(totals["rates"]) == 7
    assert [(r["key"], r["readers"], r["paid"]) for r in data["rows"]] == [
        (yesterday.isoformat(), 100, 2),
        (today.isoformat(), 50, 1),
    ]
    assert data["rows"][1]["rates"]["paid_of_trials"] is None  # no trials that day: no rate


def test_funnel_by_source_orders_by_paid_conversions(api_client, editor, figures):
    today, yesterday = figures
    data = api_client.get(FUNNEL, {"from": yesterday, "group_by": "source"}, **_jwt(editor)).json()
    assert [(r["key"], r["readers"], r["paid"]) for r in data["rows"]] == [("newsletter", 70, 2), ("(direct)", 40, 1)]


def test_csv_is_the_same_table(api_client, editor, figures):
    today, yesterday = figures
    response = api_client.get(FUNNEL, {"from": yesterday, "group_by": "source", "format": "csv"}, **_jwt(editor))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][:6] == ["key", "readers", "paywall_shown", "registered", "trials", "paid"]
    assert rows[1][:6] == ["newsletter", "70", "35", "9", "4", "2"]
    assert rows[-1][:6] == ["total", "150", "60", "15", "5", "3"]
    assert float(rows[1][rows[0].index("paid_of_readers")]) == pytest.approx(2 / 70)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"group_by": "week"}, "group_by"),
        ({"from": "2026-13-01"}, "from"),
        ({"to": "yesterday"}, "to"),
        ({"from": "2026-05-02", "to": "2026-05-01"}, "from"),
        ({"format": "xml"}, "format"),
    ],
)
def test_bad_parameters_are_400_naming_them(api_client, editor, params, field):
    response = api_client.get(FUNNEL, params, **_jwt(editor))
    assert response.status_code == 400
    assert [e["field"] for e in response.json()["errors"]] == [field]


def test_bad_parameters_in_csv_mode_are_still_a_json_400(api_client, editor):
    response = api_client.get(FUNNEL, {"group_by": "week", "format": "csv"}, **_jwt(editor))
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "group_by"


def test_query_count_does_not_grow_with_the_range(api_client, editor, django_assert_max_num_queries):
    today = timezone.localdate()
    for n in range(365):
        _daily(today - timedelta(days=n), "total", "", 10, 5, 1, 1, 1)
    headers = _jwt(editor)
    with django_assert_max_num_queries(5):  # user, permissions, totals, rows
        response = api_client.get(FUNNEL, {"from": today - timedelta(days=364), "group_by": "day"}, **headers)
    assert len(response.json()["rows"]) == 365 and response.json()["totals"]["readers"] == 3650


def _experiment():
    exp = Experiment.objects.create(
        slug="monthly-wall", name="Monthly wall", start_at=timezone.now() - timedelta(days=3)
    )
    ExperimentArm.objects.create(experiment=exp, name="control", is_control=True, share=50, ordering=0)
    ExperimentArm.objects.create(experiment=exp, name="monthly", share=50, ordering=1)
    return exp


def test_experiment_report_gives_arms_intervals_and_probability(api_client, editor):
    exp = _experiment()
    today = timezone.localdate()
    _daily(today, "arm", "monthly-wall/control", 100, 50, 10, 4, 2)
    _daily(today, "arm", "monthly-wall/monthly", 100, 60, 20, 8, 6)
    data = api_client.get(f"/api/v1/analytics/experiments/{exp.slug}/", **_jwt(editor)).json()
    assert (data["experiment"], data["control"]) == ("monthly-wall", "control")
    assert "Wilson" in data["method"] and "Beta-Binomial" in data["method"]
    control, monthly = data["arms"]
    assert (control["arm"], control["is_control"], control["readers"], control["paid"]) == ("control", True, 100, 2)
    assert control["probability_to_beat_control"] == {"paywall_shown": None, "registered": None, "paid": None}
    low, high = monthly["intervals"]["registered"]
    assert low == pytest.approx(0.1334, abs=1e-4) and high == pytest.approx(0.2888, abs=1e-4)  # Wilson 20/100
    assert 0.95 < monthly["probability_to_beat_control"]["registered"] < 0.99
    assert monthly["rates"]["registered_of_readers"] == 0.2


def test_experiment_csv_and_unknown_slug(api_client, editor):
    exp = _experiment()
    headers = _jwt(editor)
    response = api_client.get(f"/api/v1/analytics/experiments/{exp.slug}/", {"format": "csv"}, **headers)
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][:4] == ["arm", "is_control", "share", "readers"] and [r[0] for r in rows[1:]] == [
        "control",
        "monthly",
    ]
    missing = api_client.get("/api/v1/analytics/experiments/nope/", **headers)
    assert missing.status_code == 404 and missing.json()["errors"][0]["field"] == "slug"
    assert api_client.get(f"/api/v1/analytics/experiments/{exp.slug}/").status_code == 401


def test_the_schema_documents_both_operations(api_client):
    schema = api_client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    funnel = schema["paths"]["/api/v1/analytics/funnel/"]["get"]
    assert {p["name"] for p in funnel["parameters"]} >= {"from", "to", "group_by", "format"}
    assert set(funnel["responses"]["200"]["content"]) == {"application/json", "text/csv"}
    assert {"400", "401", "403"} <= set(funnel["responses"])
    assert "/api/v1/analytics/experiments/{slug}/" in schema["paths"]


def test_staff_give_a_key_the_analytics_scope_in_the_admin_and_cannot_change_it_later(client, django_user_model):
    from accounts.models import ApiKey

    boss = django_user_model.objects.create_superuser(email="boss@example.com", password="x-admin-pass-1")
    client.force_login(boss)
    response = client.post("/admin/accounts/apikey/add/", {"name": "Desk tools", "scopes": ["analytics"]}, follow=True)
    assert response.status_code == 200
    key = ApiKey.objects.get(name="Desk tools")
    assert key.scopes == ["analytics"]
    client.post(f"/admin/accounts/apikey/{key.pk}/change/", {"name": "Desk tools", "scopes": []})
    key.refresh_from_db()
    assert key.scopes == ["analytics"]  # a key is immutable once created: revoke it and create another


def test_an_unknown_scope_is_refused_naming_scopes():
    from cms.core.exceptions import ApplicationError

    with pytest.raises(ApplicationError) as caught:
        api_key_create(name="Bad", scopes=["admin"])
    assert caught.value.field == "scopes"
