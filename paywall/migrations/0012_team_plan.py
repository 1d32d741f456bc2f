"""The demo's group plan, sold per seat. Apart from 0011 so that reverting deletes it in its own transaction (a
plan deleted in the transaction that then alters the plan table would leave PostgreSQL pending trigger events)."""

from django.db import migrations

TEAM_PLAN = {"name": "Team (per seat)", "amount": 800, "currency": "usd", "interval": "month", "trial_days": 0}


def team_plan_create(apps, schema_editor):
    apps.get_model("paywall", "Plan").objects.get_or_create(
        code="team", defaults={**TEAM_PLAN, "per_seat": True, "ordering": 10}
    )


def team_plan_delete(apps, schema_editor):
    """Backwards: the plan goes only while no group bought it."""
    apps.get_model("paywall", "Plan").objects.filter(code="team", per_seat=True, groups__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("paywall", "0011_groups")]
    operations = [migrations.RunPython(team_plan_create, team_plan_delete)]
