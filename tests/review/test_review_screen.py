"""The review screen's server side: the review pane (escaped, offsets exact), evidence taken with its
place, progress, undo, the plan side and the queue's excerpts. The keys themselves are in test_browser."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from commitments.models import Assessment, Report
from commitments.review.passages import Passage, marked_text
from commitments.selectors.review_pane import review_text_for

pytestmark = pytest.mark.django_db

QUEUE = "/admin/review/"


# The pane's markup, without a database


def runs(html: str) -> list[tuple[int, str]]:
    """(data-at, text) of each run, the marks and entities undone as a browser would read them."""
    found = re.findall(r'<span class="[^"]*" data-at="(\d+)"[^>]*>(.*?)</span>', html)
    plain = [(int(at), re.sub(r"</?mark>", "", body)) for at, body in found]
    return [(at, body.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")) for at, body in plain]


def test_the_runs_hold_the_text_exactly_each_at_its_offset():
    text = "前言。一是新建养老机构3家<b>；二是改造站点12个。存在的问题：资金不足。"
    start, end = 3, len(text)
    passages = [Passage(1, 3, 18, label="1"), Passage(2, 17, 25, label="2")]  # overlapping: 1 wins

    html = marked_text(text, start, end, passages=passages, shaded=[(26, end)], terms=["养老机构"])

    pieces = runs(html)
    assert "".join(body for _, body in pieces) == text[start:end]
    assert all(text[at : at + len(body)] == body for at, body in pieces)
    assert "<b>" not in html and "&lt;b&gt;" in html
    assert html.count('id="passage-1"') == 1 and html.count('data-label="1"') == 1, "one number per passage"
    assert 'data-key="2"' in html and 'id="passage-2"' in html
    assert re.search(r'class="run problem" data-at="26"', html), "the problems part is shaded"
    assert "<mark>养老机构</mark>" in html


def test_terms_outside_the_passages_are_marked_only_when_asked():
    text = "养老服务加快发展。新建养老机构3家。"
    html = marked_text(text, 0, len(text), passages=[Passage(1, 9, 17)], terms=["养老"], context_terms=[])
    assert html.count("<mark>养老</mark>") == 1


def test_markup_in_a_term_or_label_cannot_break_out():
    text = "新建<script>机构"
    html = marked_text(text, 0, len(text), passages=[Passage(1, 0, len(text), label='"><i>')], terms=["<script>"])
    assert "<script>" not in html and "<i>" not in html
    assert "<mark>&lt;script&gt;</mark>" in html


# The review page


@pytest.fixture
def analyst(make_user, zhongshan_pair):
    return make_user("zs-screen", "analyst", [zhongshan_pair[0].bureau])


@pytest.fixture
def analyst_client(client, analyst):
    client.force_login(analyst)
    return client


def queue(client) -> list[Assessment]:
    return list(client.get(QUEUE).context["page_obj"])


def review_url(assessment: Assessment) -> str:
    return reverse("review_assessment", args=[assessment.pk])


def with_evidence(client) -> Assessment:
    return next(a for a in queue(client) if a.commitment.evidence.count() >= 2)


def test_the_review_pane_shows_the_bureaus_review_with_numbered_passages(analyst_client, zhongshan_pair):
    item = with_evidence(analyst_client)
    review = review_text_for(item.commitment)
    assert review.report == zhongshan_pair[1]

    html = analyst_client.get(review_url(item)).content.decode()

    pane = html.split('id="review-text"')[1].split("</div>")[0]
    for row in item.commitment.evidence.all():
        assert re.search(rf'data-at="{row.start}" data-key="{row.rank}" id="passage-{row.rank}"', pane)
    assert 'data-mode="review"' in html and "review.js" in html
    assert "第 1 / " in html and "本次已完成 0 条" in html


def test_review_text_is_escaped_in_the_pane(analyst_client, zhongshan_pair):
    item = with_evidence(analyst_client)
    review = zhongshan_pair[1]
    section = review.sections.get(kind="review")
    at = review.text.index("。", section.start + 30) + 1  # after a sentence: three characters, same length
    Report.objects.filter(pk=review.pk).update(text=review.text[:at] + "<i>" + review.text[at + 3 :])

    html = analyst_client.get(review_url(item)).content.decode()
    pane = html.split('id="review-text"')[1].split("</div>")[0]

    assert "<i>" not in pane and "&lt;i&gt;" in pane


def post_decision(client, item: Assessment, **fields):
    data = {"action": "save", "version": item.version, "status": "partial", **fields}
    return client.post(review_url(item), data)


def test_a_span_of_the_review_is_stored_with_its_place_trimmed(analyst_client, zhongshan_pair):
    item = with_evidence(analyst_client)
    review = zhongshan_pair[1]
    section = review.sections.get(kind="review")
    end = review.text.index("\n", section.start + 40) + 1  # a selection running over the line end
    start = end - 16

    response = post_decision(
        analyst_client,
        item,
        evidence_choice="paste",
        evidence_paste=review.text[start:end],
        evidence_report=review.pk,
        evidence_start=start,
        evidence_end=end,
    )

    assert response.status_code == 302, response.content.decode()[:500]
    item.refresh_from_db()
    kept = review.text[start:end].rstrip()
    assert (item.evidence_report_id, item.evidence_start, item.evidence_end) == (review.pk, start, start + len(kept))
    assert item.evidence_text == kept


@pytest.mark.parametrize("wrong", ["text", "outside", "plan"])
def test_a_place_that_does_not_hold_the_text_is_refused(analyst_client, zhongshan_pair, wrong):
    item = with_evidence(analyst_client)
    plan, review = zhongshan_pair
    section = review.sections.get(kind="review")
    start = section.start + 10
    report, text = review.pk, review.text[start : start + 12]
    if wrong == "text":
        text = "全市新建养老机构一百家"
    elif wrong == "outside":
        start = section.end + 5
    elif wrong == "plan":  # the plan's own text is no evidence of its fulfilment
        report, start = plan.pk, item.commitment.start
        text = plan.text[start : start + 12]

    response = post_decision(
        analyst_client,
        item,
        evidence_choice="paste",
        evidence_paste=text,
        evidence_report=report,
        evidence_start=start,
        evidence_end=start + 12,
    )

    assert response.status_code == 400
    assert "回顾" in response.content.decode()
    fresh = Assessment.objects.get(pk=item.pk)
    assert (fresh.source, fresh.version) == ("machine", item.version)


def test_typed_evidence_is_kept_without_a_place(analyst_client):
    item = with_evidence(analyst_client)
    response = post_decision(analyst_client, item, evidence_choice="paste", evidence_paste="见年终督查报告第3页")
    assert response.status_code == 302
    item.refresh_from_db()
    assert (item.evidence_text, item.evidence_report_id, item.evidence_start) == ("见年终督查报告第3页", None, None)


def test_a_confirmed_proposal_keeps_the_machines_evidence_place(analyst_client):
    item = next(a for a in queue(analyst_client) if a.status != "no_evidence" and a.commitment.evidence.exists())
    best = item.commitment.evidence.select_related("section").get(rank=1)
    assert (item.evidence_report_id, item.evidence_start, item.evidence_end) == (
        best.section.report_id,
        best.start,
        best.end,
    )
    analyst_client.post(review_url(item), {"action": "confirm", "version": item.version})
    item.refresh_from_db()
    assert item.source == "analyst" and (item.evidence_start, item.evidence_end) == (best.start, best.end)


def test_progress_counts_what_this_session_decided(analyst_client):
    items = queue(analyst_client)
    total = analyst_client.get(QUEUE).context["page_obj"].paginator.count

    first = analyst_client.post(review_url(items[0]), {"action": "confirm", "version": items[0].version})
    assert first.url == review_url(items[1])
    html = analyst_client.get(first.url).content.decode()

    assert f"第 2 / {total} 条 · 本次已完成 1 条" in html
    assert f'data-skip-url="{review_url(items[2])}"' in html, "s skips to the one after"


def test_undo_reverts_the_last_decision_and_refuses_when_someone_saved_since(analyst_client, analyst):
    first, second = queue(analyst_client)[:2]
    post_decision(analyst_client, first, action="save_next", status="unverifiable")
    post_decision(analyst_client, second, action="save_next", status="unverifiable")
    # Someone else changes the second meanwhile (a revert in the admin, say): its undo must not overwrite.
    Assessment.objects.filter(pk=second.pk).update(version=second.version + 5)

    stale = analyst_client.post(reverse("review_undo"), follow=True)
    assert "无法撤销" in stale.content.decode()
    assert Assessment.objects.get(pk=second.pk).status == "unverifiable"

    undone = analyst_client.post(reverse("review_undo"))  # the one before it
    assert undone.url == review_url(first)
    fresh = Assessment.objects.get(pk=first.pk)
    assert (fresh.status, fresh.source) == (first.status, "machine")
    assert fresh.history.first().history_change_reason.startswith("恢复到")

    nothing = analyst_client.post(reverse("review_undo"), follow=True)
    assert "本次没有可撤销的决定" in nothing.content.decode()
    assert analyst_client.get(reverse("review_undo")).status_code == 302, "undo is a POST"


def test_the_plan_side_marks_the_commitment_in_its_section(analyst_client, other_bureau_assessment):
    item = queue(analyst_client)[0]
    html = analyst_client.get(reverse("review_plan", args=[item.pk])).content.decode()

    marked = re.search(r'<span class="run passage" data-at="(\d+)" data-key="plan" id="passage-plan"', html)
    assert marked and int(marked.group(1)) == item.commitment.start
    assert html.count('data-key="c') >= 1, "the section's other commitments are outlined"
    assert f'href="{review_url(item)}' in html
    assert analyst_client.get(reverse("review_plan", args=[other_bureau_assessment.pk])).status_code == 404


def test_the_queue_shows_a_confidence_bar_and_the_top_evidence(analyst_client):
    item = with_evidence(analyst_client)
    best = item.commitment.evidence.get(rank=1)
    html = analyst_client.get(QUEUE).content.decode()

    assert "confidence-bar" in html
    assert best.text[:20] in html


def test_a_span_sent_with_crlf_line_ends_is_stored_and_shown_again_on_return(analyst_client, zhongshan_pair):
    """Browsers post a textarea's line ends as CRLF; going back to the item shows the taken span again,
    so a re-save keeps it."""
    item = with_evidence(analyst_client)
    review = zhongshan_pair[1]
    section = review.sections.get(kind="review")
    cut = review.text.index("\n", section.start + 40)
    start, end = cut - 8, cut + 9
    place = {"evidence_report": review.pk, "evidence_start": start, "evidence_end": end}
    sent = review.text[start:end].replace("\n", "\r\n")

    response = post_decision(analyst_client, item, evidence_choice="paste", evidence_paste=sent, **place)
    assert response.status_code == 302, response.content.decode()[:300]
    item.refresh_from_db()
    assert item.evidence_text == review.text[start:end].strip() and item.evidence_start is not None

    form = analyst_client.get(review_url(item)).context["form"]
    assert form.initial["evidence_choice"] == "paste" and form.initial["evidence_paste"] == item.evidence_text
    assert form.initial["evidence_start"] == item.evidence_start


def test_a_term_never_matches_inside_an_escaped_entity():
    text = "Xi'an 新建27个 & amp"
    html = marked_text(text, 0, len(text), passages=[Passage(1, 0, len(text))], terms=["27", "amp", "#x"])
    assert "&#x27;" in html and "<mark>27</mark>" in html and "&amp; <mark>amp</mark>" in html
    assert "".join(body for _, body in runs(html)).replace("&#x27;", "'") == text


def test_two_decisions_on_one_item_are_undone_one_after_the_other(analyst_client):
    item = queue(analyst_client)[0]
    post_decision(analyst_client, item, status="unverifiable")
    post_decision(analyst_client, Assessment.objects.get(pk=item.pk), status="no_evidence")

    analyst_client.post(reverse("review_undo"))
    assert Assessment.objects.get(pk=item.pk).status == "unverifiable"
    analyst_client.post(reverse("review_undo"))
    fresh = Assessment.objects.get(pk=item.pk)
    assert (fresh.status, fresh.source) == (item.status, "machine")
    assert "本次已完成 0 条" in analyst_client.get(review_url(item)).content.decode()


def test_a_place_in_another_review_of_the_bureau_is_refused(analyst_client, zhongshan_pair):
    """Only the review the commitment is matched against (the one the pane shows) may hold its evidence."""
    item = with_evidence(analyst_client)
    bureau = zhongshan_pair[0].bureau
    text = "2019年工作总结。全年新建养老机构五家，改造站点二十个。"
    other = Report.objects.create(bureau=bureau, title="2019年总结", text=text, sha256="0" * 64, year=2019)
    other.sections.create(kind="review", year=2019, start=0, end=len(text))

    response = post_decision(
        analyst_client,
        item,
        evidence_choice="paste",
        evidence_paste=text[9:18],
        evidence_report=other.pk,
        evidence_start=9,
        evidence_end=18,
    )

    assert response.status_code == 400 and "所对照的回顾" in response.content.decode()


def test_evidence_taken_inside_a_ranked_passage_is_marked_as_taken(analyst_client, zhongshan_pair):
    item = with_evidence(analyst_client)
    best = item.commitment.evidence.get(rank=1)
    start, end = best.start + 2, best.start + 10
    review = zhongshan_pair[1]
    response = post_decision(
        analyst_client,
        item,
        evidence_choice="paste",
        evidence_paste=review.text[start:end],
        evidence_report=review.pk,
        evidence_start=start,
        evidence_end=end,
    )
    assert response.status_code == 302

    pane = analyst_client.get(review_url(item)).content.decode().split('id="review-text"')[1].split("</div>")[0]

    assert re.search(rf'data-at="{start}" data-key="chosen" id="passage-chosen" data-label="已采用"', pane)
    assert 'id="passage-1"' in pane, "the ranked passage around it stays numbered"


def test_a_place_whose_text_moved_is_not_marked(analyst_client, zhongshan_pair):
    item = with_evidence(analyst_client)
    review = zhongshan_pair[1]
    section = review.sections.get(kind="review")
    start, end = section.start + 20, section.start + 32
    post_decision(
        analyst_client,
        item,
        evidence_choice="paste",
        evidence_paste=review.text[start:end],
        evidence_report=review.pk,
        evidence_start=start,
        evidence_end=end,
    )
    Report.objects.filter(pk=review.pk).update(text=review.text[:start] + "＊" * 12 + review.text[end:])

    pane = analyst_client.get(review_url(item)).content.decode().split('id="review-text"')[1].split("</div>")[0]

    assert 'data-key="chosen"' not in pane


def test_a_long_review_is_shown_as_windows_around_its_passages():
    from types import SimpleNamespace

    from commitments.review.panes import pane_windows

    sections = [SimpleNamespace(pk=1, start=0, end=50_000), SimpleNamespace(pk=2, start=50_000, end=100_000)]
    passages = [Passage(1, 10_000, 10_100), Passage(2, 11_000, 11_050), Passage(3, 90_000, 90_200)]

    windows = pane_windows(sections, passages, limit=60_000, around=3_000)

    assert [(s.pk, a, b, gap) for s, a, b, gap in windows] == [(1, 7_000, 14_050, 7_000), (2, 87_000, 93_200, 37_000)]
    assert [(a, b) for _, a, b, _ in pane_windows(sections, passages, limit=100_000)] == [
        (0, 50_000),
        (50_000, 100_000),
    ]
