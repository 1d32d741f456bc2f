from django.apps import AppConfig


class CommentsConfig(AppConfig):
    name = "comments"
    label = "comments"
    verbose_name = "Comments"

    def ready(self) -> None:
        from . import signals  # noqa: F401  (cache purge receivers)
