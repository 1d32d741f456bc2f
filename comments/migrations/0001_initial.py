"""Comments move from `articles` to their own app. The tables stay where they are (`db_table` keeps
`articles_comment`, `articles_commentflag`, `articles_commentban`): this migration creates the models in Django's
state only, and `articles.0007_move_comments_and_webhooks` removes them from the articles state. The content types
move with the models, so the permissions editors hold (moderate comments, ban readers) carry over.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

MODELS = ("comment", "pendingcomment", "commentflag", "commentban")


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
    _content_types_move(apps, models=MODELS, source="articles", target="comments")


def backwards(apps, schema_editor):
    _content_types_move(apps, models=MODELS, source="comments", target="articles")


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("articles", "0006_article_all_order_idx"),
        ("contenttypes", "0002_remove_content_type_name"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='Comment',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('created_at', models.DateTimeField(auto_now_add=True, db_index=True)),
                        ('updated_at', models.DateTimeField(auto_now=True)),
                        ('depth', models.PositiveSmallIntegerField(default=0)),
                        ('body', models.TextField(max_length=5000)),
                        ('body_html', models.TextField(blank=True, editable=False)),
                        ('status', models.CharField(choices=[('visible', 'Visible'), ('pending', 'Pending review'), ('hidden', 'Hidden'), ('removed', 'Removed')], db_index=True, default='visible', max_length=10)),
                        ('moderation_reason', models.CharField(blank=True, editable=False, max_length=40)),
                        ('edited_at', models.DateTimeField(blank=True, editable=False, null=True)),
                        ('flag_count', models.PositiveIntegerField(default=0, editable=False)),
                        ('is_staff_reply', models.BooleanField(default=False, editable=False)),
                        ('idempotency_key', models.CharField(blank=True, editable=False, max_length=100)),
                        ('moderated_at', models.DateTimeField(blank=True, editable=False, null=True)),
                        ('article', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='comments', to='articles.article')),
                        ('author', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='comments', to=settings.AUTH_USER_MODEL)),
                        ('moderated_by', models.ForeignKey(blank=True, editable=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('parent', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='replies', to='comments.comment')),
                        ('root', models.ForeignKey(blank=True, help_text='The top-level comment of the thread (empty for top-level comments).', null=True, on_delete=django.db.models.deletion.CASCADE, related_name='thread_comments', to='comments.comment')),
                    ],
                    options={
                        'db_table': 'articles_comment',
                        'ordering': ['created_at', 'id'],
                    },
                ),
                migrations.CreateModel(
                    name='PendingComment',
                    fields=[
                    ],
                    options={
                        'verbose_name': 'comment awaiting moderation',
                        'verbose_name_plural': 'moderation queue',
                        'proxy': True,
                        'indexes': [],
                        'constraints': [],
                    },
                    bases=('comments.comment',),
                ),
                migrations.CreateModel(
                    name='CommentBan',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('created_at', models.DateTimeField(auto_now_add=True, db_index=True)),
                        ('updated_at', models.DateTimeField(auto_now=True)),
                        ('reason', models.CharField(blank=True, max_length=300)),
                        ('ends_at', models.DateTimeField(blank=True, help_text='Leave empty for a permanent ban.', null=True)),
                        ('created_by', models.ForeignKey(blank=True, editable=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='comment_bans', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'db_table': 'articles_commentban',
                        'ordering': ['-created_at'],
                    },
                ),
                migrations.CreateModel(
                    name='CommentFlag',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('reason', models.CharField(blank=True, max_length=200)),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('comment', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='flags', to='comments.comment')),
                        ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='comment_flags', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'db_table': 'articles_commentflag',
                    },
                ),
                migrations.AddIndex(
                    model_name='comment',
                    index=models.Index(fields=['article', 'depth', 'status', 'created_at', 'id'], name='comment_article_top_idx'),
                ),
                migrations.AddIndex(
                    model_name='comment',
                    index=models.Index(fields=['root', 'depth', 'created_at', 'id'], name='comment_thread_idx'),
                ),
                migrations.AddIndex(
                    model_name='comment',
                    index=models.Index(fields=['author', 'created_at'], name='comment_author_recent_idx'),
                ),
                migrations.AddConstraint(
                    model_name='comment',
                    constraint=models.UniqueConstraint(condition=models.Q(('idempotency_key', ''), _negated=True), fields=('author', 'idempotency_key'), name='comment_author_idempotency_unique'),
                ),
                migrations.AddIndex(
                    model_name='commentban',
                    index=models.Index(fields=['user', 'ends_at'], name='comment_ban_user_idx'),
                ),
                migrations.AddConstraint(
                    model_name='commentflag',
                    constraint=models.UniqueConstraint(fields=('comment', 'user'), name='comment_flag_once_per_reader'),
                ),
            ],
        ),
        migrations.RunPython(forwards, backwards),
    ]
