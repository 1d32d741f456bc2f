from django.contrib.auth.management import create_permissions
from django.db import migrations

EDITOR_PERMS = [
    ("articles", "article", ["add", "change", "delete", "view", "publish"]),
    ("articles", "section", ["add", "change", "view"]),
    ("articles", "tag", ["add", "change", "delete", "view"]),
    ("articles", "author", ["add", "change", "view"]),
    ("articles", "image", ["add", "change", "delete", "view"]),
]
CONTRIBUTOR_PERMS = [
    ("articles", "article", ["add", "change", "view"]),
    ("articles", "section", ["view"]),
    ("articles", "tag", ["add", "view"]),
    ("articles", "author", ["view"]),
    ("articles", "image", ["add", "change", "view"]),
]


def create_roles(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, spec in (("Editor", EDITOR_PERMS), ("Contributor", CONTRIBUTOR_PERMS)):
        group, _ = Group.objects.get_or_create(name=name)
        for app_label, model, actions in spec:
            for action in actions:
                codename = "publish_article" if action == "publish" else f"{action}_{model}"
                perm = Permission.objects.filter(content_type__app_label=app_label, codename=codename).first()
                if perm:
                    group.permissions.add(perm)


def drop_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=["Editor", "Contributor"]).delete()


def create_gin(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "CREATE INDEX IF NOT EXISTS article_search_gin ON articles_article USING gin (search_vector)"
        )


def drop_gin(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS article_search_gin")


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.RunPython(create_gin, drop_gin),
        migrations.RunPython(create_roles, drop_roles),
    ]
