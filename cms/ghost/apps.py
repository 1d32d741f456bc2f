from django.apps import AppConfig


class GhostConfig(AppConfig):
    name = "cms.ghost"
    label = "ghost"
    verbose_name = "Ghost Content API"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import signals  # noqa: F401  (cache purges only)
