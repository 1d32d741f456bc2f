"""The editors' admin through Django's test client: lists, writes through the services, roles, history, preview."""

from __future__ import annotations

import io

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image as PILImage

from articles.models import Article, Image, Section
from articles.services import article_save
from articles.services.preview import preview_token_verify
from tests.articles.factories import ArticleFactory, AuthorFactory, SectionFactory

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:articles_article_changelist")
ADD = reverse("admin:articles_article_add")


def _form_data(**overrides) -> dict:
    data = {
        "title": "Drones over the Hindu Kush",
        "slug": "",
        "dek": "A summary.",
        "body": "<p>One.</p><p>Two.</p>",
        "status": "draft",
        "published_at": "",
        "access_level": "metered",
        "section": "",
        "hero_image": "",
        "source_name": "",
        "source_url": "",
        "seo_title": "",
        "seo_description": "",
        "article_authors-TOTAL_FORMS": "0",
        "article_authors-INITIAL_FORMS": "0",
        "article_authors-MIN_NUM_FORMS": "0",
        "article_authors-MAX_NUM_FORMS": "1000",
    }
    data.update(overrides)
    return data


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_changelist_filters_and_search(client, editor):
    # given
    coalition = SectionFactory(name="Coalition SOF")
    other = SectionFactory(name="Veterans")
    author = AuthorFactory(name="Jack Murphy")
    ArticleFactory(title="Russia says IS is making Afghanistan a resting place", section=coalition, authors=[author])
    ArticleFactory(title="VA benefits explained", section=other, access_level="free")
    ArticleFactory(title="Draft about Kabul", section=coalition, status="draft", published_at=None)
    client.force_login(editor)

    # when / then
    response = client.get(CHANGELIST, {"q": "resting place"})
    assert response.status_code == 200
    assert [a.title for a in response.context["cl"].result_list] == [
        "Russia says IS is making Afghanistan a resting place"
    ]
    assert "Jack Murphy" in response.content.decode()  # the authors column

    by_section = client.get(CHANGELIST, {"section__id__exact": coalition.pk})
    assert {a.title for a in by_section.context["cl"].result_list} == {
        "Russia says IS is making Afghanistan a resting place",
        "Draft about Kabul",
    }
    drafts = client.get(CHANGELIST, {"status__exact": "draft"})
    assert [a.title for a in drafts.context["cl"].result_list] == ["Draft about Kabul"]
    free = client.get(CHANGELIST, {"access_level__exact": "free"})
    assert [a.title for a in free.context["cl"].result_list] == ["VA benefits explained"]
    by_author = client.get(CHANGELIST, {"authors__id__exact": author.pk})
    assert len(by_author.context["cl"].result_list) == 1


def test_add_form_renders_the_prose_editor_and_byline_inline(client, editor):
    client.force_login(editor)
    response = client.get(ADD)
    html = response.content.decode()
    assert response.status_code == 200
    assert "data-django-prose-editor-configurable" in html
    assert "article_authors-TOTAL_FORMS" in html
    assert "prepopulate" in html  # slug from title


def test_save_goes_through_the_service_and_sanitises(client, editor):
    client.force_login(editor)
    section = SectionFactory(name="Coalition SOF")
    author = AuthorFactory(name="Second Byline")
    first = AuthorFactory(name="First Byline")
    body = '<p>Safe<script>alert(1)</script></p><p><img src="x" onerror="alert(2)"></p><p>Three</p><p>Four</p>'
    response = client.post(
        ADD,
        _form_data(
            body=body,
            section=section.pk,
            source_name="The Voice of America",
            source_url="https://www.voanews.com/a/example",
            **{
                "article_authors-TOTAL_FORMS": "2",
                "article_authors-0-author": author.pk,
                "article_authors-0-order": "2",
                "article_authors-1-author": first.pk,
                "article_authors-1-order": "1",
            },
        ),
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    article = Article.objects.get(title="Drones over the Hindu Kush")
    assert "<script" not in article.body and "onerror" not in article.body
    assert article.slug == "drones-over-the-hindu-kush"
    assert article.body_preview and article.version == 1
    assert article.created_by == editor
    assert article.source_name == "The Voice of America"
    assert [link.author.name for link in article.article_authors.order_by("order")] == ["First Byline", "Second Byline"]
    assert article.history.count() == 1


def test_bulk_publish_by_editor_publishes(client, editor):
    drafts = [ArticleFactory(status="draft", published_at=None) for _ in range(2)]
    client.force_login(editor)
    response = client.post(
        CHANGELIST, {"action": "publish_selected", "_selected_action": [a.pk for a in drafts]}, follow=True
    )
    assert response.status_code == 200
    assert set(Article.objects.filter(pk__in=[a.pk for a in drafts]).values_list("status", flat=True)) == {"published"}
    assert any("2 article(s) published" in m for m in _messages(response))

    response = client.post(CHANGELIST, {"action": "archive_selected", "_selected_action": [drafts[0].pk]}, follow=True)
    assert Article.objects.get(pk=drafts[0].pk).status == "archived"


def test_bulk_publish_by_contributor_is_refused(client, contributor):
    draft = ArticleFactory(status="draft", published_at=None)
    client.force_login(contributor)
    page = client.get(CHANGELIST)
    assert page.status_code == 200
    assert "publish_selected" not in page.content.decode()  # the action is hidden

    response = client.post(CHANGELIST, {"action": "publish_selected", "_selected_action": [draft.pk]}, follow=True)
    assert response.status_code == 200
    assert Article.objects.get(pk=draft.pk).status == "draft"
    assert any("Only editors" in m for m in _messages(response))  # told why, no crash


def test_contributor_writes_drafts_but_cannot_publish_through_the_form(client, contributor):
    client.force_login(contributor)
    form = client.get(ADD).context["adminform"].form
    assert [value for value, _ in form.fields["status"].choices] == ["draft"]

    refused = client.post(ADD, _form_data(status="published"))
    assert refused.status_code == 200  # the form again, with an error: not a 500
    assert "status" in refused.context["adminform"].form.errors
    assert not Article.objects.exists()

    saved = client.post(ADD, _form_data())
    assert saved.status_code == 302
    article = Article.objects.get()
    assert article.status == "draft"


def test_contributor_cannot_withdraw_a_published_article(client, contributor):
    article = ArticleFactory(title="Live story")
    client.force_login(contributor)
    url = reverse("admin:articles_article_change", args=[article.pk])
    response = client.post(url, _form_data(title="Live story", slug=article.slug, status="draft"))
    assert response.status_code == 200
    assert "Only editors" in str(response.context["adminform"].form.errors)
    assert Article.objects.get(pk=article.pk).status == "published"


def test_scheduling_without_a_time_is_a_form_error(client, editor):
    client.force_login(editor)
    response = client.post(ADD, _form_data(status="scheduled"))
    assert response.status_code == 200
    assert "published_at" in response.context["adminform"].form.errors


def test_history_page_renders_and_revert_works(client, editor):
    # given an article edited twice through the admin
    client.force_login(editor)
    client.post(ADD, _form_data(title="Original headline", body="<p>First version.</p>"))
    article = Article.objects.get()
    change_url = reverse("admin:articles_article_change", args=[article.pk])
    client.post(change_url, _form_data(title="Changed headline", slug=article.slug, body="<p>Second version.</p>"))
    article.refresh_from_db()
    assert article.title == "Changed headline" and article.history.count() == 2

    # when
    history = client.get(reverse("admin:articles_article_history", args=[article.pk]))
    assert history.status_code == 200
    assert "Original headline" in history.content.decode() or "Changed headline" in history.content.decode()
    first = article.history.order_by("history_date").first()
    revert_url = reverse("admin:articles_article_simple_history", args=[article.pk, first.history_id])
    form_page = client.get(revert_url)
    assert form_page.status_code == 200
    response = client.post(
        revert_url, _form_data(title="Original headline", slug=article.slug, body="<p>First version.</p>")
    )

    # then
    assert response.status_code == 302
    article.refresh_from_db()
    assert article.title == "Original headline" and "First version" in article.body
    assert article.history.count() == 3 and article.version == 3


def test_draft_change_form_has_a_signed_preview_link(client, editor):
    draft = article_save(article=Article(title="Secret draft", body="<p>a</p><p>b</p>"), user=editor)
    client.force_login(editor)
    response = client.get(reverse("admin:articles_article_change", args=[draft.pk]))
    html = response.content.decode()
    marker = f"/api/v1/articles/{draft.slug}/?preview="
    assert marker in html
    token = html.split(marker, 1)[1].split('"', 1)[0]
    assert preview_token_verify(token=token, slug=draft.slug) == draft.pk

    # the link opens the draft through the public API, for anyone holding it
    client.logout()
    opened = client.get(f"{marker}{token}")
    assert opened.status_code == 200 and opened.json()["title"] == "Secret draft"
    assert client.get(f"/api/v1/articles/{draft.slug}/").status_code == 404


def _jpeg(width=1600, height=900) -> bytes:
    buffer = io.BytesIO()
    PILImage.new("RGB", (width, height), (40, 80, 120)).save(buffer, format="JPEG")
    return buffer.getvalue()


def test_image_upload_with_credit_generates_renditions(client, editor, django_capture_on_commit_callbacks):
    client.force_login(editor)
    upload = SimpleUploadedFile("hero.jpg", _jpeg(), content_type="image/jpeg")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:articles_image_add"),
            {"file": upload, "title": "Hero", "alt": "Soldiers", "caption": "", "credit": "Photo courtesy Wikipedia"},
        )
    assert response.status_code == 302, response.content.decode()[:2000]
    image = Image.objects.get()
    assert image.credit == "Photo courtesy Wikipedia" and (image.width, image.height) == (1600, 900)
    assert [(r["width"], r["format"]) for r in image.renditions] == [(320, "webp"), (640, "webp"), (1280, "webp")]
    assert image.renditions[0]["url"].startswith("/media/renditions/")
    page = client.get(reverse("admin:articles_image_change", args=[image.pk]))
    assert page.status_code == 200 and "1280×720 webp" in page.content.decode()


def test_other_admin_pages_render(client, editor):
    client.force_login(editor)
    SectionFactory(name="Coalition SOF")
    for name in ("section", "tag", "author", "image"):
        assert client.get(reverse(f"admin:articles_{name}_changelist")).status_code == 200
        assert client.get(reverse(f"admin:articles_{name}_add")).status_code == 200


def test_section_ordering_is_editable_in_the_list(client, editor):
    first, second = SectionFactory(name="Coalition SOF"), SectionFactory(name="Veterans")
    client.force_login(editor)
    url = reverse("admin:articles_section_changelist")
    page = client.get(url)
    assert page.status_code == 200 and 'name="form-0-ordering"' in page.content.decode()
    response = client.post(
        url,
        {
            "form-TOTAL_FORMS": "2",
            "form-INITIAL_FORMS": "2",
            "form-0-id": first.pk,
            "form-0-ordering": "20",
            "form-1-id": second.pk,
            "form-1-ordering": "10",
            "_save": "Save",
        },
    )
    assert response.status_code == 302
    assert list(Section.objects.values_list("name", flat=True)) == ["Veterans", "Coalition SOF"]
