"""An index in the model's ordering over every status, for the admin's article list (drafts included).

Built with CREATE INDEX CONCURRENTLY on PostgreSQL, so a large archive keeps taking writes while it is built (hence
a non-atomic migration); a plain CREATE INDEX elsewhere.
"""

from django.db import migrations, models


class AddIndexConcurrentlyOnPostgres(migrations.AddIndex):
    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        model = to_state.apps.get_model(app_label, self.model_name)
        if schema_editor.connection.vendor != "postgresql":
            return super().database_forwards(app_label, schema_editor, from_state, to_state)
        if self.allow_migrate_model(schema_editor.connection.alias, model):
            schema_editor.add_index(model, self.index, concurrently=True)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        model = from_state.apps.get_model(app_label, self.model_name)
        if schema_editor.connection.vendor != "postgresql":
            return super().database_backwards(app_label, schema_editor, from_state, to_state)
        if self.allow_migrate_model(schema_editor.connection.alias, model):
            schema_editor.remove_index(model, self.index, concurrently=True)


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("articles", "0005_webhook_delivery_sending_until"),
    ]

    operations = [
        AddIndexConcurrentlyOnPostgres(
            model_name="article",
            index=models.Index(fields=["-published_at", "-id"], name="article_all_order_idx"),
        ),
    ]
