"""Image renditions: image_save enqueues the task on commit; the task renders 320/640/1280 WebP, idempotently."""

from __future__ import annotations

import io

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from PIL import Image as PILImage

from articles.models import Image
from articles.services.images import image_renditions_generate, image_save
from articles.tasks import image_renditions_task

pytestmark = pytest.mark.django_db


def _image(width: int, height: int, *, fmt="JPEG", mode="RGB") -> Image:
    buffer = io.BytesIO()
    PILImage.new(mode, (width, height), "#336699" if mode == "RGB" else None).save(buffer, format=fmt)
    image = Image(title=f"{width}x{height}", credit="Photo courtesy Wikipedia")
    image.file = ContentFile(buffer.getvalue(), name=f"pic.{fmt.lower()}")
    return image


def test_save_enqueues_renditions_on_commit(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        image = image_save(image=_image(2000, 1000))
    assert len(callbacks) == 1 and image.renditions == []  # nothing runs inside the transaction

    for callback in callbacks:
        callback()

    image.refresh_from_db()
    assert image.renditions == [
        {"width": 320, "height": 160, "format": "webp", "url": f"/media/renditions/{image.pk}/320w.webp"},
        {"width": 640, "height": 320, "format": "webp", "url": f"/media/renditions/{image.pk}/640w.webp"},
        {"width": 1280, "height": 640, "format": "webp", "url": f"/media/renditions/{image.pk}/1280w.webp"},
    ]
    with default_storage.open(f"renditions/{image.pk}/640w.webp") as fh:
        rendered = PILImage.open(fh)
        assert rendered.format == "WEBP" and rendered.size == (640, 320)


def test_editing_the_credit_does_not_render_again(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        image = image_save(image=_image(800, 600))
    image.refresh_from_db()
    image.credit = "Photo courtesy the U.S. Army"
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        image_save(image=image)
    assert callbacks == []


def test_task_is_idempotent_and_never_upscales():
    image = _image(500, 250)
    image.save()

    first = image_renditions_task(image.pk)
    renditions = Image.objects.get(pk=image.pk).renditions
    second = image_renditions_task(image.pk)

    assert first == second == 1  # a 500 px original: one 320 px rendition, nothing blown up
    assert (
        Image.objects.get(pk=image.pk).renditions
        == renditions
        == [{"width": 320, "height": 160, "format": "webp", "url": f"/media/renditions/{image.pk}/320w.webp"}]
    )
    assert default_storage.listdir(f"renditions/{image.pk}")[1] == ["320w.webp"]


def test_tiny_and_transparent_images_get_one_rendition_at_their_own_size():
    image = _image(100, 50, fmt="PNG", mode="RGBA")
    image.save()
    assert [(r["width"], r["height"]) for r in image_renditions_generate(image_id=image.pk)] == [(100, 50)]


def test_missing_image_or_unreadable_file_is_not_an_error():
    assert image_renditions_generate(image_id=987654) == []
    image = Image(title="broken", width=10, height=10)
    image.file.name = "images/not-a-picture.jpg"
    default_storage.save(image.file.name, ContentFile(b"this is not a jpeg"))
    image.save()
    assert image_renditions_generate(image_id=image.pk) == []
