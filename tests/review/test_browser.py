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

from commitments.models import Assessment, Report, SecondCoding
from commitments.selectors.lists import review_queue
from commitments.services.assessments import assessment_confirm
from commitments.services.coding import double_coding_sample_draw
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

    with chromium(width=1366, height=900) as page:
        log_in(page, live_server.url, analyst.username)
        assert f"共 {len(before)} 条" in page.inner_text("#content")
        assert queue_links(page)[0] == review_path(first)

        page.click(f"#review-queue a[href='{review_path(first)}']")
        page.wait_for_url(f"{live_server.url}{review_path(first)}")
        assert page.inner_text("#commitment-text") == first.commitment.text
        assert page.locator(".review-evidence mark").count() > 0, "evidence terms are highlighted"
        assert page.locator("#review-text #passage-1").count() == 1, "the review text beside it, passage 1 numbered"
        page.screenshot(path=str(screenshot))  # what an analyst sees at 1366×900, without scrolling

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


def progress(page) -> str:
    return page.inner_text("#review-progress")


def test_three_items_are_decided_by_keys_only_and_leave_the_queue(live_server, analyst):
    before = queue_now(analyst)
    assert len(before) >= 4
    first, second, third = before[:3]
    second_evidence = list(second.commitment.evidence.select_related("section").order_by("rank"))
    assert len(second_evidence) >= 2, "the second item has a second passage to choose"
    base = live_server.url

    with chromium() as page:
        log_in(page, base, analyst.username)
        page.goto(f"{base}{review_path(first)}")
        assert f"第 1 / {len(before)} 条 · 本次已完成 0 条" in progress(page)
        page.keyboard.press("?")
        assert page.is_visible("dialog#review-keys"), "? lists the keys"
        page.keyboard.press("Escape")
        assert not page.is_visible("dialog#review-keys")

        # c: confirm the machine's proposal, and on to the next.
        page.keyboard.press("c")
        page.wait_for_url(f"{base}{review_path(second)}")
        assert f"第 2 / {len(before)} 条 · 本次已完成 1 条" in progress(page)

        # 2: partial; 7: evidence 2, marked in the review text; Enter: save and next.
        page.keyboard.press("2")
        page.keyboard.press("7")
        assert page.is_checked("input[name=status][value=partial]")
        assert page.is_checked("input[name=evidence_choice][value='2']")
        assert "chosen" in page.get_attribute("#review-text #passage-2", "class")
        page.keyboard.press("Enter")
        page.wait_for_url(f"{base}{review_path(third)}")

        # n: the note (keys do nothing while typing; Esc leaves it); 3: not fulfilled, whose reason
        # takes the focus; a reason by arrow key; Enter saves from the list box too.
        page.keyboard.press("n")
        page.keyboard.type("c2s 键盘录入")  # typed, not taken as keys
        page.keyboard.press("Escape")
        page.keyboard.press("3")
        assert page.evaluate("() => document.activeElement.name") == "failure_reason"
        page.keyboard.press("ArrowDown")
        page.keyboard.press("Enter")
        page.wait_for_url(f"{base}{review_path(before[3])}")
        assert "本次已完成 3 条" in progress(page)

        page.goto(f"{base}/admin/review/")
        assert f"共 {len(before) - 3} 条" in page.inner_text("#content")
        assert not {review_path(a) for a in before[:3]} & set(queue_links(page))

    decided = {a.pk: a for a in Assessment.objects.filter(pk__in=[a.pk for a in before[:3]])}
    assert {(a.source, a.confirmed_by) for a in decided.values()} == {("analyst", analyst)}
    assert (decided[first.pk].status, decided[first.pk].evidence_text) == (first.machine_status, first.evidence_text)
    chosen = second_evidence[1]
    assert decided[second.pk].status == "partial"
    assert (decided[second.pk].evidence_text, decided[second.pk].evidence_start) == (chosen.text, chosen.start)
    assert decided[second.pk].evidence_report_id == chosen.section.report_id
    assert (decided[third.pk].status, decided[third.pk].failure_reason) == ("not_fulfilled", "not_budgeted")
    assert decided[third.pk].note == "c2s 键盘录入"
    assert queue_now(analyst) == before[3:]


# A range over a text node of the review, as a mouse drag makes one: characters 2–14 of a run that
# is no passage, starts with plain text and holds no blank there.
SELECT_IN_REVIEW = """() => {
  const runs = [...document.querySelectorAll('#review-text .run:not(.passage)')];
  const run = runs.find(r => r.firstChild && r.firstChild.nodeType === 3 && r.firstChild.data.length > 20
                            && !/\\s/.test(r.firstChild.data.slice(0, 16)));
  const range = document.createRange();
  range.setStart(run.firstChild, 2);
  range.setEnd(run.firstChild, 14);
  const selection = getSelection();
  selection.removeAllRanges();
  selection.addRange(range);
  return {at: Number(run.dataset.at), text: range.toString()};
}"""


SELECT_BETWEEN_ELEMENTS = """() => {
  const pane = document.getElementById('review-text');
  const children = [...pane.childNodes];
  const first = children.findIndex(n => n.nodeType === 1 && n.matches('span.run'));
  const [a, b] = [children[first], children[first + 1]];
  const range = document.createRange();
  range.setStart(pane, first);
  range.setEnd(pane, first + 2);
  const selection = getSelection();
  selection.removeAllRanges();
  selection.addRange(range);
  return {start: Number(a.dataset.at), end: Number(b.dataset.at) + [...b.textContent].length,
          text: a.textContent + b.textContent};
}"""


def test_a_span_of_the_review_text_is_taken_as_evidence_with_its_offsets(live_server, analyst):
    item = queue_now(analyst)[0]
    base = live_server.url

    with chromium() as page:
        log_in(page, base, analyst.username)
        page.goto(f"{base}{review_path(item)}")
        selected = page.evaluate(SELECT_IN_REVIEW)
        page.click("#take-selection")  # by mouse; the key is e
        assert page.input_value("textarea[name=evidence_paste]") == selected["text"]
        assert page.is_checked("input[name=evidence_choice][value=paste]")
        page.click("input[name=status][value=partial]")
        page.click("#save-next")
        page.wait_for_url(lambda url: review_path(item) not in url)

        # Back on the item, the adopted span is marked in the review text.
        page.goto(f"{base}{review_path(item)}")
        assert page.inner_text("#review-text #passage-chosen") == selected["text"]

        # A selection bounded by elements (as a triple click makes): from after the first heading to
        # after the second run, the two runs' characters exactly.
        spans = page.evaluate(SELECT_BETWEEN_ELEMENTS)
        page.keyboard.press("e")
        assert page.input_value("input[name=evidence_start]") == str(spans["start"])
        assert page.input_value("input[name=evidence_end]") == str(spans["end"])
        assert page.input_value("textarea[name=evidence_paste]") == spans["text"]

    item.refresh_from_db()
    start, end = selected["at"] + 2, selected["at"] + 14
    review = Report.objects.get(pk=item.evidence_report_id)
    assert (item.status, item.evidence_start, item.evidence_end) == ("partial", start, end)
    assert item.evidence_text == review.text[start:end] == selected["text"]
    assert review.bureau == item.commitment.section.report.bureau and review != item.commitment.section.report


def test_undo_restores_the_last_decision_as_a_new_history_version(live_server, analyst):
    item = queue_now(analyst)[0]
    versions = item.history.count()
    key, status = ("5", "unverifiable") if item.status != "unverifiable" else ("4", "no_evidence")
    base = live_server.url

    with chromium() as page:
        log_in(page, base, analyst.username)
        page.goto(f"{base}{review_path(item)}")
        page.keyboard.press(key)
        page.keyboard.press("Enter")
        page.wait_for_url(lambda url: review_path(item) not in url)
        assert "本次已完成 1 条" in progress(page)
        page.keyboard.press("u")
        page.wait_for_url(f"{base}{review_path(item)}")
        assert "已撤销" in page.inner_text(".messagelist")
        assert "第 1 / " in progress(page) and "本次已完成 0 条" in progress(page)

    item_now = Assessment.objects.get(pk=item.pk)
    assert (item_now.status, item_now.source, item_now.confirmed_by) == (item.status, "machine", None)
    history = list(item_now.history.order_by("-history_date", "-history_id"))
    assert len(history) == versions + 2, "the decision and its undo are both versions"
    assert history[0].history_change_reason.startswith("恢复到") and history[0].history_user == analyst
    assert history[1].status == status
    assert queue_now(analyst)[0] == item_now


def test_the_double_coding_page_is_two_panes_keyed_and_blind(live_server, analyst, make_user, zhongshan_pair):
    plan = zhongshan_pair[0]
    first_decisions = queue_now(analyst)[:3]
    for assessment in first_decisions:
        assessment_confirm(assessment=assessment, user=analyst, expected_version=assessment.version)
    double_coding_sample_draw(bureau=plan.bureau, year=2022, user=analyst, size=3, seed=7)
    second = make_user("browser-second", "analyst", [plan.bureau])
    item = Assessment.objects.filter(double_coding_samples__isnull=False).order_by("pk").first()
    top = item.commitment.evidence.order_by("rank").first()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    screenshot = SCREENSHOTS / "double_coding.png"
    base = live_server.url

    with chromium(width=1366, height=900) as page:
        log_in(page, base, second.username)
        page.goto(f"{base}{reverse('double_coding_assessment', args=[item.pk])}")
        content = page.inner_text("#content")
        for hidden in ("机器建议", "置信度", "是证据的概率", "得分构成", "确认机器建议", item.machine_reason[:12]):
            assert hidden not in content
        assert page.locator("#review-text #passage-1").count() == 1
        page.screenshot(path=str(screenshot))
        page.keyboard.press("2")
        page.keyboard.press("6")
        page.keyboard.press("Enter")
        page.wait_for_url(lambda url: f"/double/{item.pk}/" not in url)

    print(f"\ndouble coding page screenshot: {screenshot}")
    assert screenshot.stat().st_size > 10_000
    coding = SecondCoding.objects.get(assessment=item)
    assert (coding.coder, coding.status, coding.evidence_text) == (second, "partial", top.text)
