from celery import shared_task

from .services import articles_publish_due


@shared_task(name="articles.publish_scheduled", acks_late=True, max_retries=3)
def articles_publish_due_task() -> int:
    return articles_publish_due()


@shared_task(
    name="articles.image_renditions",
    acks_late=True,
    autoretry_for=(OSError,),
    retry_backoff=True,
    retry_backoff_max=300,
    max_retries=5,
)
def image_renditions_task(image_id: int) -> int:
    """Render an image's widths (idempotent: same names, same list). Storage hiccups retry with backoff."""
    from .services.images import image_renditions_generate

    return len(image_renditions_generate(image_id=image_id))
