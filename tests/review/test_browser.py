"""The review workflow in a real browser: Debian's headless Chromium, driven by Playwright, against a live
server holding a real imported and matched plan/review pair.

Playwright's sync API keeps an asyncio loop running in this thread while it is open, and Django refuses ORM
calls from a thread with a running loop. So each test does its database work before `chromium()` opens and
after it closes, and the browser only talks to the live server (its own thread, no loop).
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from django.urls import reverse

from commitments.models import Assessment
from commitments.selectors.lists import review_queue
from tests.helpers import PASSWORD, SCREENSHOTS, chromium

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def analyst(make_user, zhongshan_pair):
    """An analyst of 中山市民政局, whose 2022 plan was matched against its review on import."""
    return make_user("browser-analyst", "analyst", [zhongshan_pair[0].bureau])


def queue_now(user) -> list[Assessment]:
    return list(review_queue(user=user).select_related("commitment"))


def review_path(assessment: Assessment) -> str:
    return reverse("review_assessment", args=[assessment.pk])


def log_in(page, base_url: str, username: str) -> None:
    """Through the admin's own login form, as a person would, landing on the queue."""
    page.goto(f"{base_url}/admin/review/")
    assert urlsplit(page.url).path == "/admin/login/", "the queue asks for a login first"
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(f"{base_url}/admin/review/")


def queue_links(page) -> list[str]:
    return page.eval_on_selector_all("#review-queue tbody a", "links => links.map(a => a.getAttribute('href'))")


def test_an_analyst_confirms_in_one_click_and_the_item_leaves_the_queue(live_server, analyst):
    before = queue_now(analyst)
    assert len(before) >= 2
    first, second = before[:2]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    screenshot = SCREENSHOTS / "review.png"

    with chromium() as page:
        log_in(page, live_server.url, analyst.username)
        assert f"共 {len(before)} 条" in page.inner_text("#content")
        assert queue_links(page)[0] == review_path(first)

        page.click(f"#review-queue a[href='{review_path(first)}']")
        page.wait_for_url(f"{live_server.url}{review_path(first)}")
        assert page.inner_text("#commitment-text") == first.commitment.text
        assert page.locator(".review-evidence mark").count() > 0, "evidence terms are highlighted"
        page.screenshot(path=str(screenshot), full_page=True)

        page.get_by_role("button", name="确认机器建议").click()
        page.wait_for_url(f"{live_server.url}{review_path(second)}")
        assert "已保存" in page.inner_text(".messagelist")

        page.goto(f"{live_server.url}/admin/review/")
        assert f"共 {len(before) - 1} 条" in page.inner_text("#content")
        assert review_path(first) not in queue_links(page)
        assert queue_links(page)[0] == review_path(second)

    print(f"\nreview page screenshot: {screenshot}")
    assert screenshot.stat().st_size > 10_000
    first.refresh_from_db()
    assert (first.source, first.confirmed_by, first.status) == ("analyst", analyst, first.machine_status)
    assert queue_now(analyst) == before[1:]


def press_access_key(page, key: str) -> None:
    """Alt+key, Chromium's access-key chord on Linux. Playwright's keyboard.press drops the typed character
    when Alt is held, and Chromium matches access keys on that character, so send the key event itself."""
    code = ord(key.upper())
    down = {"key": key, "code": f"Key{key.upper()}", "windowsVirtualKeyCode": code, "modifiers": 1}
    session = page.context.new_cdp_session(page)
    session.send("Input.dispatchKeyEvent", {"type": "keyDown", "text": key, "unmodifiedText": key, **down})
    session.send("Input.dispatchKeyEvent", {"type": "keyUp", **down})
    session.detach()


def tab_to(page, selector: str, limit: int = 80) -> list[str]:
    """Press Tab from the top of the page until `selector` has the focus; the action values passed on the way."""
    passed = []
    page.evaluate("() => document.activeElement && document.activeElement.blur()")
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("s => document.activeElement.matches(s)", selector):
            return passed
        passed.append(page.evaluate("() => document.activeElement.name === 'action' && document.activeElement.value"))
    pytest.fail(f"{selector} is not reachable with Tab")


def test_the_review_page_works_from_the_keyboard(live_server, analyst):
    before = queue_now(analyst)
    assert len(before) >= 5
    tabbed, confirmed, edited, saved = before[:4]
    assert tabbed.status != "not_fulfilled" and saved.status != "not_fulfilled", "save-and-next needs no reason"
    assert confirmed.machine_status
    changed_to = "partial" if edited.status != "partial" else "fulfilled"  # what the analyst types differs
    base = live_server.url

    with chromium() as page:
        page.goto(f"{base}/admin/review/")
        page.focus("#id_username")
        page.keyboard.type(analyst.username)
        page.keyboard.press("Tab")
        page.keyboard.type(PASSWORD)
        page.keyboard.press("Enter")
        page.wait_for_url(f"{base}/admin/review/")

        # Tab reaches the one-click confirm and, after the fields, save-and-next; Enter on it goes on.
        page.goto(f"{base}{review_path(tabbed)}")
        assert "confirm" in tab_to(page, "button[value=save_next]:not([hidden])")
        page.keyboard.press("Enter")
        page.wait_for_url(f"{base}{review_path(confirmed)}")

        # The access keys the page declares: Alt+C confirms the proposal ...
        assert page.get_attribute("button[value=confirm]", "accesskey") == "c"
        press_access_key(page, "c")
        page.wait_for_url(f"{base}{review_path(edited)}")

        # ... Enter in a field saves what was entered (not the machine's proposal) and goes on ...
        page.focus("select[name=status]")
        page.select_option("select[name=status]", changed_to)
        page.focus("textarea[name=note]")
        page.keyboard.type("键盘录入")
        page.focus("input[name=evidence_choice]")
        page.keyboard.press("Enter")
        page.wait_for_url(f"{base}{review_path(saved)}")

        # ... and Alt+N is save-and-next.
        assert page.get_attribute("button[value=save_next]:not([hidden])", "accesskey") == "n"
        press_access_key(page, "n")
        page.wait_for_url(f"{base}{review_path(before[4])}")

    decided = {a.pk: a for a in Assessment.objects.filter(pk__in=[a.pk for a in before[:4]])}
    assert {a.source for a in decided.values()} == {"analyst"}
    assert decided[tabbed.pk].status == tabbed.status and decided[saved.pk].status == saved.status
    assert decided[confirmed.pk].status == confirmed.machine_status
    assert (decided[edited.pk].status, decided[edited.pk].note) == (changed_to, "键盘录入")
    assert queue_now(analyst) == before[4:]
