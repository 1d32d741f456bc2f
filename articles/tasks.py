from celery import shared_task

from .services import articles_publish_due


@shared_task(name="articles.publish_scheduled", acks_late=True, max_retries=3)
def articles_publish_due_task() -> int:
    return articles_publish_due()
