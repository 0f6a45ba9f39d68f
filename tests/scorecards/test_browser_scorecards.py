"""The scorecards in a real browser (Debian's headless Chromium via Playwright): a viewer logs in, opens the
list, follows a bureau, sees its trend chart and tables, downloads a CSV; a screenshot of the bureau page
is saved under build/screenshots/. Database work happens before and after the browser (see test_browser)."""

from __future__ import annotations

import csv
import io

import pytest

from commitments.models import Assessment
from commitments.services.assessments import assessment_confirm
from tests.helpers import PASSWORD, SCREENSHOTS, chromium, require_chromium  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_viewer_reads_a_bureau_page_and_exports_it(live_server, make_user, zhongshan_pair):
    bureau = zhongshan_pair[0].bureau
    analyst = make_user("sc-analyst", "analyst", [bureau])
    viewer = make_user("sc-viewer", "viewer", [bureau])
    confirmed = Assessment.objects.filter(commitment__section__report__bureau=bureau).order_by("pk").first()
    assessment_confirm(assessment=confirmed, user=analyst, expected_version=confirmed.version)
    total = Assessment.objects.filter(commitment__section__report__bureau=bureau).count()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    screenshot = SCREENSHOTS / "bureau.png"
    base = live_server.url

    with chromium() as page:
        page.goto(f"{base}/scorecards/")
        page.fill("#id_username", viewer.username)
        page.fill("#id_password", PASSWORD)
        page.click("input[type=submit]")
        page.wait_for_url(f"{base}/scorecards/")
        row = page.locator("table.scorecard tbody tr", has_text=bureau.name)
        assert "2022年" in row.inner_text() and "部分经分析员确认" in row.inner_text()

        row.get_by_role("link", name=bureau.name).click()
        page.wait_for_url(f"{base}/scorecards/bureau/{bureau.pk}/")
        assert page.locator("svg.chart circle").count() == 1, "one plan year, one point"
        assert page.locator("h1").inner_text().startswith(bureau.name)
        page.screenshot(path=str(screenshot), full_page=True)

        with page.expect_download() as download:
            page.locator(".exports", has=page.locator("a")).nth(2).get_by_role("link", name="CSV").click()
        rows = list(csv.DictReader(io.StringIO(download.value.path().read_text(encoding="utf-8"))))

    print(f"\nbureau page screenshot: {screenshot}")
    assert screenshot.stat().st_size > 10_000
    assert len(rows) == total
    assert sum(1 for row in rows if row["来源"] == "分析员确认") == 1
