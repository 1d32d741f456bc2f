"""Comments and outgoing webhooks now live in the `comments` and `webhooks` apps. Their tables stay (the new apps'
models keep these table names), so the models leave the articles state only: no table, row, index or constraint
is touched, forwards or backwards.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0006_article_all_order_idx"),
        ("comments", "0001_initial"),
        ("webhooks", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="PendingComment"),
                migrations.DeleteModel(name="CommentFlag"),
                migrations.DeleteModel(name="CommentBan"),
                migrations.DeleteModel(name="Comment"),
                migrations.DeleteModel(name="WebhookDelivery"),
                migrations.DeleteModel(name="WebhookEndpoint"),
            ],
        ),
    ]
