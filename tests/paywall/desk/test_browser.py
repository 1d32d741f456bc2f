"""The revenue desk in a real browser (Playwright driving Debian's chromium), with every request to another host
aborted: it renders the seeded funnel and experiment, and a screenshot is kept as a test artifact
(`$MASTHEAD_SCREENSHOT_DIR`, else `var/test-artifacts/`)."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest

# the browser tests' fixtures: Debian's chromium driven by Playwright, outside requests aborted
from tests.articles.admin.test_browser import PASSWORD, chromium_path, page  # noqa: F401 - fixtures used by name
from tests.cms.test_docs_pages import offline_page  # noqa: F401 - fixture used by name
from tests.paywall.desk.conftest import funnel_day

pytestmark = [pytest.mark.browser, pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[3]


def _artifact_dir() -> Path:
    folder = Path(os.environ.get("MASTHEAD_SCREENSHOT_DIR") or ROOT / "var" / "test-artifacts")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.mark.django_db(transaction=True)  # the live server reads the seeded rows from its own connection
def test_the_desk_renders_the_funnel_and_an_experiment_offline(live_server, offline_page, analyst, desk_day):  # noqa: F811
    browser = offline_page
    # given a week of figures: the known day (1000 readers ... 5 paid) and six quieter days before it
    week = [desk_day - timedelta(days=n) for n in range(6, -1, -1)]
    for n, day in enumerate(week[:-1], start=1):
        funnel_day(day, readers=100 * n, paywall_shown=20 * n, registered=4 * n, trials=2 * n, paid=n)
    # ... and the analyst signed in to the admin
    browser.goto(f"{live_server.url}/admin/")
    browser.fill("#id_username", analyst.email)
    browser.fill("#id_password", PASSWORD)
    browser.click("input[type=submit]")
    browser.wait_for_selector("#site-name")

    # when they follow the admin index's link and pick the week
    browser.click("#desk-link a")
    browser.wait_for_selector("#funnel")
    browser.fill("#id_from", week[0].isoformat())
    browser.fill("#id_to", desk_day.isoformat())
    browser.click("#desk-range input[type=submit]")
    browser.wait_for_url(f"**/admin/revenue-desk/?from={week[0].isoformat()}&to={desk_day.isoformat()}")

    # then the funnel shows each step (1000 + 100 x 21, 200 + 20 x 21, ...) and the rate between steps
    steps = browser.locator(".funnel .step .n").all_inner_texts()
    assert steps == ["3100", "620", "124", "52", "26"]
    assert browser.locator(".funnel .arrow b").all_inner_texts() == ["20.0%", "20.0%", "41.9%", "50.0%"]
    assert browser.locator(".funnel .step .of-readers").all_inner_texts() == [
        "20.0% of readers", "4.0% of readers", "1.7% of readers", "0.8% of readers",
    ]  # fmt: skip
    # ... the two daily charts are drawn as inline SVG, a line of seven days per series, a hover title per day
    lines = browser.locator("#daily svg polyline")
    assert lines.count() == 5 and len(lines.first.get_attribute("points").split()) == 7
    last_day = browser.locator("#chart-traffic rect.hover title").last.text_content()
    assert last_day.endswith("Readers 1,000, Paywall shown 200")
    # ... the top article by conversions, by its title
    assert browser.locator("#top-articles tbody tr").first.inner_text().startswith("The harbour deal, explained")
    # ... the experiment's arms side by side, the variant with its probability to beat the control
    arms = browser.locator('[data-experiment="monthly-meter"] tbody tr')
    assert arms.count() == 2
    variant = browser.locator('[data-experiment="monthly-meter"] tr[data-arm="monthly-6"] td')
    assert variant.nth(2).inner_text() == "500"
    paid = browser.locator('[data-experiment="monthly-meter"] tr[data-arm="monthly-6"] td[data-metric="paid"]')
    assert paid.inner_text().startswith("0.6% [") and "P(beats control)" in paid.inner_text()
    # ... and the stylesheet came from Masthead's static files
    assert browser.evaluate("getComputedStyle(document.querySelector('.funnel')).display") == "flex"

    browser.screenshot(path=str(_artifact_dir() / "revenue-desk.png"), full_page=True)
    assert browser.blocked == []  # no request left the machine
    assert browser.errors == []
