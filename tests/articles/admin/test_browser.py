"""An editor writes and publishes an article in a real browser (Playwright driving Debian's headless chromium)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from django.utils import timezone
from PIL import Image as PILImage

from articles.models import Article
from tests.accounts.factories import UserFactory
from tests.articles.factories import SectionFactory

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
PASSWORD = "correct-horse-battery"


@pytest.fixture
def chromium_path() -> str:
    if not (os.path.exists(CHROMIUM) or shutil.which("chromium")):
        if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
            pytest.fail(f"{CHROMIUM} is missing: CI must install Debian's chromium package.")
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")
    return CHROMIUM if os.path.exists(CHROMIUM) else shutil.which("chromium")


@pytest.fixture
def page(chromium_path, monkeypatch):
    sync_api = pytest.importorskip("playwright.sync_api")
    # Playwright's sync API runs an event loop in this thread; the ORM calls made by the test around it are
    # plain synchronous code, so Django's async-safety guard is told so.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 1600})
        page = context.new_page()
        page.set_default_timeout(20_000)
        yield page
        context.close()
        browser.close()


@pytest.mark.django_db(transaction=True)  # serialized rollback (tests/conftest.py): keeps the groups and plans
def test_editor_writes_and_publishes_an_article_with_credit_and_source(live_server, page, tmp_path):
    # given an editor and a section
    from django.contrib.auth.models import Group

    editor = UserFactory(email="desk@example.com", is_staff=True, email_verified_at=timezone.now())
    editor.groups.add(Group.objects.get(name="Editor"))
    SectionFactory(name="Coalition SOF")

    # when the editor logs in to the admin ...
    page.goto(f"{live_server.url}/admin/")
    page.fill("#id_username", "desk@example.com")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_selector("#site-name")

    # ... uploads the hero picture with its credit ...
    picture = tmp_path / "kabul.jpg"
    PILImage.new("RGB", (1400, 800), (90, 110, 70)).save(picture, format="JPEG")
    page.goto(f"{live_server.url}/admin/articles/image/add/")
    page.set_input_files("#id_file", str(picture))
    page.fill("#id_title", "Kabul skyline")
    page.fill("#id_alt", "Kabul at dusk")
    page.fill("#id_credit", "Photo courtesy Wikipedia")
    page.click("input[name=_save]")
    page.wait_for_selector(".messagelist .success")

    # ... and writes an article
    page.goto(f"{live_server.url}/admin/articles/article/add/")
    page.locator("#id_title").press_sequentially("Russia Says IS Making Afghanistan Resting Place")
    assert page.input_value("#id_slug") == "russia-says-is-making-afghanistan-resting-place"  # prepopulated
    page.fill("#id_dek", "Moscow's envoy warns about northern Afghanistan.")
    editor_area = page.locator(".ProseMirror[contenteditable='true']").first
    editor_area.click()
    page.keyboard.type("Russia's Ambassador to Pakistan had strong words.")
    page.keyboard.press("Enter")
    page.keyboard.type("The international wing of Daesh is spearheading the effort.")
    page.keyboard.press("Enter")
    page.keyboard.type("Dedov told a seminar in Islamabad.")
    page.keyboard.press("Enter")
    page.keyboard.type("He did not elaborate.")
    page.select_option("#id_status", "published")
    page.select_option("#id_access_level", "metered")
    page.click("#id_hero_image + .select2 .select2-selection")  # the autocomplete widget
    page.fill(".select2-container--open .select2-search__field", "Kabul")
    page.click(".select2-results__option:has-text('Kabul skyline')")
    page.fill("#id_source_name", "The Voice of America")
    page.fill("#id_source_url", "https://www.voanews.com/a/russia-is-afghanistan")
    screenshots = os.environ.get("MASTHEAD_SCREENSHOT_DIR")
    if screenshots:
        Path(screenshots).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(screenshots) / "admin-article-change-form.png"), full_page=True)
    page.click("input[name=_save]")
    page.wait_for_selector(".messagelist .success")

    # then the article is in the database, published, with its source and a sanitised body
    article = Article.objects.get(title="Russia Says IS Making Afghanistan Resting Place")
    assert article.status == Article.Status.PUBLISHED and article.published_at is not None
    assert article.source_name == "The Voice of America"
    assert article.source_url == "https://www.voanews.com/a/russia-is-afghanistan"
    assert article.body.count("<p>") == 4 and "Dedov told a seminar in Islamabad." in article.body
    assert article.body_preview.count("<p>") == 3
    assert article.created_by == editor
    assert article.history.count() == 1
    assert article.hero_image.credit == "Photo courtesy Wikipedia"
    assert [r["width"] for r in article.hero_image.renditions] == [320, 640, 1280]  # the task ran on commit
