"""Every account gets a public UUID (the apps send it to the stores as StoreKit's `appAccountToken`): added
nullable, filled for the existing accounts, then made unique and required. Reversible (the column is dropped)."""

import uuid

from django.db import migrations, models


def fill_uuids(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    for pk in User.objects.filter(uuid__isnull=True).values_list("pk", flat=True).iterator():
        User.objects.filter(pk=pk).update(uuid=uuid.uuid4())


class Migration(migrations.Migration):
    dependencies = [("accounts", "0003_api_key_scopes")]

    operations = [
        migrations.AddField(model_name="user", name="uuid", field=models.UUIDField(null=True, editable=False)),
        migrations.RunPython(fill_uuids, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="user",
            name="uuid",
            field=models.UUIDField(
                default=uuid.uuid4,
                editable=False,
                unique=True,
                help_text="Public id (the apps' StoreKit appAccountToken).",
            ),
        ),
    ]
