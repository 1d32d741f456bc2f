from django.db import migrations

PLANS = [
    {"code": "weekly", "name": "Weekly", "amount": 50, "currency": "usd", "interval": "week", "trial_days": 14,
     "ordering": 0},
    {"code": "annual", "name": "Annual", "amount": 2400, "currency": "usd", "interval": "year", "trial_days": 14,
     "ordering": 1},
]


def create_plans(apps, schema_editor):
    Plan = apps.get_model("paywall", "Plan")
    for plan in PLANS:
        Plan.objects.get_or_create(code=plan["code"], defaults=plan)


class Migration(migrations.Migration):
    dependencies = [("paywall", "0001_initial")]
    operations = [migrations.RunPython(create_plans, migrations.RunPython.noop)]
