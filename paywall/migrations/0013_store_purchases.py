"""App Store and Google Play: each plan's store product ids, the store's time of a subscription's last applied
state, and the link of a store purchase to one account. Only additions: reversing drops them."""

from django.conf import settings
from django.db import migrations, models
from django.db.models import CASCADE


def _product_id(store: str):
    return models.CharField(blank=True, db_index=True, help_text=f"The {store} subscription's product id.", max_length=100)


class Migration(migrations.Migration):
    dependencies = [("paywall", "0012_team_plan"), migrations.swappable_dependency(settings.AUTH_USER_MODEL)]

    operations = [
        migrations.AddField(model_name="plan", name="app_store_product_id", field=_product_id("App Store")),
        migrations.AddField(model_name="plan", name="google_play_product_id", field=_product_id("Google Play")),
        migrations.AddField(
            model_name="subscription",
            name="store_state_at",
            field=models.DateTimeField(
                blank=True, null=True, help_text="App Store / Google Play: when the store signed the state last applied."
            ),
        ),
        migrations.CreateModel(
            name="StorePurchase",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("user", models.ForeignKey(on_delete=CASCADE, related_name="store_purchases", to=settings.AUTH_USER_MODEL)),
                ("provider", models.CharField(max_length=20)),
                ("purchase_id", models.CharField(max_length=100)),
                ("product_id", models.CharField(blank=True, max_length=100)),
                ("token", models.TextField(blank=True, help_text="Google Play: the purchase token (the id is its digest).")),
                ("created_at", models.DateTimeField(auto_now_add=True)),
            ],
            options={"constraints": [models.UniqueConstraint(fields=("provider", "purchase_id"), name="store_purchase_once")]},
        ),
    ]
