"""The analysts' review queue and review page: ordering, filters, confirm, decide, conflicts, escaping."""

import pytest
from django.urls import reverse

from commitments.models import Assessment, Evidence
from commitments.review.views import PAGE_SIZE

pytestmark = pytest.mark.django_db

QUEUE = "/admin/review/"


@pytest.fixture
def analyst_client(client, make_user, zhongshan_pair):
    client.force_login(make_user("zs-analyst", "analyst", [zhongshan_pair[0].bureau]))
    return client


def queued(client, query: str = "") -> list[Assessment]:
    response = client.get(f"{QUEUE}?{query}")
    assert response.status_code == 200
    return list(response.context["page_obj"])


def review_url(assessment: Assessment, query: str = "") -> str:
    url = reverse("review_assessment", args=[assessment.pk])
    return f"{url}?{query}" if query else url


def test_the_admin_index_links_to_the_queue(analyst_client):
    html = analyst_client.get("/admin/").content.decode()
    assert f'href="{QUEUE}"' in html and "待复核队列" in html


def test_the_queue_lists_unconfirmed_proposals_lowest_confidence_first(analyst_client):
    items = queued(analyst_client)

    assert items and {a.source for a in items} == {"machine"}
    assert [a.confidence for a in items] == sorted(a.confidence for a in items)
    html = analyst_client.get(QUEUE).content.decode()
    assert review_url(items[0]) in html


@pytest.mark.parametrize(
    ("query", "check"),
    [
        ("status=fulfilled", lambda a: a.status == "fulfilled"),
        ("band=low", lambda a: a.confidence < 0.5),
        ("band=mid", lambda a: 0.5 <= a.confidence < 0.75),
        ("band=high", lambda a: a.confidence >= 0.75),
        ("year=2022", lambda a: a.commitment.section.year == 2022),
    ],
)
def test_each_filter_narrows_the_queue(analyst_client, query, check):
    everything = Assessment.objects.filter(source="machine").order_by("confidence", "pk")
    expected = [a for a in everything if check(a)][:PAGE_SIZE]

    assert queued(analyst_client, query) == expected


def test_the_queue_filters_by_bureau_topic_and_an_absent_year(analyst_client, zhongshan_pair):
    bureau = zhongshan_pair[0].bureau
    assert queued(analyst_client, f"bureau={bureau.pk}") == queued(analyst_client)
    topic = next(a.commitment.topic for a in queued(analyst_client) if a.commitment.topic)
    by_topic = queued(analyst_client, f"topic={topic[1:3]}")
    assert by_topic and all(topic[1:3] in a.commitment.topic for a in by_topic)
    assert queued(analyst_client, "year=1999") == []


def test_the_disagreement_filter_shows_analyst_decisions_the_machine_now_contests(analyst_client):
    first, second = queued(analyst_client)[:2]
    Assessment.objects.filter(pk=first.pk).update(source="analyst", machine_disagrees=True)
    Assessment.objects.filter(pk=second.pk).update(source="analyst", machine_disagrees=False)

    assert queued(analyst_client, "disagrees=on") == [Assessment.objects.get(pk=first.pk)]


def test_confirm_in_one_click_removes_the_item_from_the_queue(analyst_client):
    first, second = queued(analyst_client)[:2]

    response = analyst_client.post(review_url(first), {"action": "confirm", "version": first.version})

    assert response.status_code == 302 and response.url == review_url(second)
    assert first not in queued(analyst_client)
    first.refresh_from_db()
    assert first.source == "analyst" and first.confirmed_by is not None


def test_save_and_next_keeps_the_filters(analyst_client):
    first, second = queued(analyst_client, "status=fulfilled")[:2]

    response = analyst_client.post(
        review_url(first, "status=fulfilled"),
        {"action": "save_next", "version": first.version, "status": "partial", "note": "部分完成"},
    )

    assert response.status_code == 302 and response.url == review_url(second, "status=fulfilled")


def test_decide_another_status_with_note_evidence_and_failure_reason(analyst_client):
    item = next(a for a in queued(analyst_client) if a.commitment.evidence.exists())
    second_best = item.commitment.evidence.order_by("rank").last()

    response = analyst_client.post(
        review_url(item),
        {
            "action": "save",
            "version": item.version,
            "status": "not_fulfilled",
            "evidence_choice": str(second_best.rank),
            "note": "资金未到位",
            "failure_reason": "not_budgeted",
        },
    )

    assert response.status_code == 302 and response.url == review_url(item)
    item.refresh_from_db()
    assert (item.status, item.source, item.note, item.failure_reason) == (
        "not_fulfilled",
        "analyst",
        "资金未到位",
        "not_budgeted",
    )
    assert item.evidence_text == second_best.text


def test_not_fulfilled_without_a_reason_is_refused(analyst_client):
    item = queued(analyst_client)[0]
    response = analyst_client.post(
        review_url(item), {"action": "save", "version": item.version, "status": "not_fulfilled"}
    )
    assert response.status_code == 400 and "须选择未完成原因" in response.content.decode()
    item.refresh_from_db()
    assert item.source == "machine"


def test_a_stale_version_shows_a_conflict_and_does_not_overwrite(analyst_client):
    item = queued(analyst_client)[0]
    analyst_client.post(review_url(item), {"action": "confirm", "version": item.version})

    response = analyst_client.post(
        review_url(item), {"action": "save", "version": item.version, "status": "no_evidence", "note": "晚了"}
    )

    assert response.status_code == 409
    assert "保存冲突" in response.content.decode()
    fresh = Assessment.objects.get(pk=item.pk)
    assert fresh.status == item.status and fresh.note == "" and fresh.version == item.version + 1


def test_the_review_page_shows_commitment_evidence_marks_parts_and_the_machine_view(analyst_client):
    item = next(a for a in queued(analyst_client) if any(e.shared_terms for e in a.commitment.evidence.all()))
    best = item.commitment.evidence.get(rank=1)

    html = analyst_client.get(review_url(item)).content.decode()

    assert item.commitment.text in html and " > ".join(item.commitment.topic_path) in html
    assert "<mark>" in html and "score-bar" in html
    assert any(label in html for label in ("关键词", "主题一致", "结果表述"))
    assert reverse("admin:commitments_report_change", args=[best.section.report_id]) in html
    assert item.get_machine_status_display() in html and "确认机器建议" in html and "保存并下一条" in html
    assert 'name="version"' in html


def test_report_text_is_escaped_on_the_review_page(analyst_client):
    item = next(a for a in queued(analyst_client) if a.commitment.evidence.exists())
    evidence = item.commitment.evidence.get(rank=1)
    term = evidence.shared_terms[0] if evidence.shared_terms else "养老"
    Evidence.objects.filter(pk=evidence.pk).update(
        text=f'<script>alert("x")</script>{term}<b>', shared_terms=[term, "script"]
    )

    html = analyst_client.get(review_url(item)).content.decode()

    assert '<script>alert("x")' not in html and "<b>" not in html
    assert "&lt;<mark>script</mark>&gt;alert(&quot;x&quot;)&lt;/<mark>script</mark>&gt;" in html
    assert f"<mark>{term}</mark>&lt;b&gt;" in html


def test_the_machine_view_states_its_status_once(analyst_client):
    item = queued(analyst_client)[0]
    label = item.get_machine_status_display()
    assert item.machine_reason.startswith(label)  # the engine's one-line reason opens with it

    html = analyst_client.get(review_url(item)).content.decode()
    proposal = html.split('id="machine-proposal"')[1].split("</p>")[0]

    assert proposal.count(label) == 1
    assert item.machine_reason.partition("：")[2][:10] in proposal


@pytest.mark.parametrize(
    ("reason", "shown"),
    [
        ("已完成：回顾称“已印发”", "回顾称“已印发”"),
        ("部分完成（表述笼统）：回顾只说到进展", "（表述笼统）回顾只说到进展"),
        ("分析员：见附件", "分析员：见附件"),
        ("", ""),
    ],
)
def test_reason_without_status(reason, shown):
    from commitments.review.views import reason_without_status

    assert reason_without_status(reason) == shown
