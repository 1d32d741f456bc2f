"""Outgoing webhooks move from `articles` to their own app. The tables stay where they are (`db_table` keeps
`articles_webhookendpoint` and `articles_webhookdelivery`): this migration creates the models in Django's state
only, and `articles.0007_move_comments_and_webhooks` removes them from the articles state. The content types move
with the models, so existing permissions carry over.
"""

import django.db.models.deletion
from django.db import migrations, models

import cms.webhooks.models

MODELS = ("webhookendpoint", "webhookdelivery")


def _content_types_move(apps, *, models, source, target):
    """Give the moved models' content types (and so their permissions, which editors' groups hold) to `target`."""
    ContentType = apps.get_model("contenttypes", "ContentType")
    for model in models:
        moved = ContentType.objects.filter(app_label=source, model=model).first()
        if moved is None:
            continue
        ContentType.objects.filter(app_label=target, model=model).delete()
        moved.app_label = target
        moved.save(update_fields=["app_label"])
    ContentType.objects.clear_cache()


def forwards(apps, schema_editor):
    _content_types_move(apps, models=MODELS, source="articles", target="webhooks")


def backwards(apps, schema_editor):
    _content_types_move(apps, models=MODELS, source="webhooks", target="articles")


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("articles", "0006_article_all_order_idx"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='WebhookEndpoint',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('created_at', models.DateTimeField(auto_now_add=True, db_index=True)),
                        ('updated_at', models.DateTimeField(auto_now=True)),
                        ('url', models.URLField(max_length=500)),
                        ('secret', models.CharField(help_text='Shared secret for the X-Masthead-Signature HMAC-SHA256.', max_length=200)),
                        ('events', models.JSONField(default=cms.webhooks.models._webhook_events_default, help_text='Event names this endpoint receives.')),
                        ('active', models.BooleanField(default=True)),
                        ('description', models.CharField(blank=True, max_length=200)),
                    ],
                    options={
                        'db_table': 'articles_webhookendpoint',
                        'ordering': ['url'],
                    },
                ),
                migrations.CreateModel(
                    name='WebhookDelivery',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('created_at', models.DateTimeField(auto_now_add=True, db_index=True)),
                        ('updated_at', models.DateTimeField(auto_now=True)),
                        ('event', models.CharField(max_length=40)),
                        ('article_id', models.PositiveBigIntegerField()),
                        ('version', models.PositiveIntegerField()),
                        ('payload', models.JSONField()),
                        ('status', models.CharField(choices=[('pending', 'Pending'), ('delivered', 'Delivered'), ('failed', 'Failed')], db_index=True, default='pending', max_length=10)),
                        ('attempts', models.PositiveIntegerField(default=0)),
                        ('response_code', models.PositiveIntegerField(blank=True, null=True)),
                        ('error', models.TextField(blank=True)),
                        ('delivered_at', models.DateTimeField(blank=True, null=True)),
                        ('sending_until', models.DateTimeField(blank=True, editable=False, help_text='An attempt is in flight until then (no second send).', null=True)),
                        ('endpoint', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='deliveries', to='webhooks.webhookendpoint')),
                    ],
                    options={
                        'verbose_name_plural': 'webhook deliveries',
                        'db_table': 'articles_webhookdelivery',
                        'ordering': ['-created_at', '-id'],
                        'constraints': [models.UniqueConstraint(fields=('endpoint', 'event', 'article_id', 'version'), name='webhook_delivery_idempotency')],
                    },
                ),
            ],
        ),
        migrations.RunPython(forwards, backwards),
    ]
