"""The matching pages of the Chinese admin: assessments with history, evidence, runs, the rematch action."""

import pytest
from django.urls import reverse

from commitments.models import Assessment, Commitment, MatchingRun
from tests.helpers import listed, page

pytestmark = pytest.mark.django_db


def test_the_assessment_list_shows_status_source_and_bureau_in_chinese(staff_client, zhongshan_pair):
    html = page(staff_client, "/admin/commitments/assessment/")

    assert "评估" in html and "中山市民政局" in html and "2022年" in html
    assert "机器建议" in html and "机器意见不同" in html
    assert any(label in html for label in ("已完成", "部分完成", "回顾未提及", "无法核验"))


def test_assessments_filter_by_status_source_and_plan_year(staff_client, zhongshan_pair):
    fulfilled = listed(staff_client, "/admin/commitments/assessment/?status__exact=fulfilled")
    assert fulfilled and {a.status for a in fulfilled} == {"fulfilled"}
    assert not listed(staff_client, "/admin/commitments/assessment/?source__exact=analyst")
    assert len(listed(staff_client, "/admin/commitments/assessment/?plan_year=2022&all=")) == Assessment.objects.count()


def test_an_assessment_page_and_its_history_render(staff_client, zhongshan_pair):
    assessment = Assessment.objects.first()

    html = page(staff_client, reverse("admin:commitments_assessment_change", args=[assessment.pk]))
    assert "最近一次机器匹配" in html and assessment.get_status_display() in html

    history = page(staff_client, reverse("admin:commitments_assessment_history", args=[assessment.pk]))
    assert "机器匹配" in history


def test_the_commitment_page_shows_its_assessment_and_ranked_evidence(staff_client, zhongshan_pair):
    commitment = Commitment.objects.filter(evidence__isnull=False, assessment__status="fulfilled").first()
    best = commitment.evidence.get(rank=1)

    html = page(staff_client, reverse("admin:commitments_commitment_change", args=[commitment.pk]))

    assert "评估" in html and "已完成" in html and "置信度" in html and "机器建议" in html
    assert commitment.assessment.reason in html
    assert "证据" in html and "得分构成" in html and best.text in html
    positions = [html.index(row.text) for row in commitment.evidence.order_by("rank")]
    assert positions == sorted(positions)


def test_the_commitment_list_has_a_status_column_and_filter(staff_client, zhongshan_pair, seed):
    from commitments.services.reports import report_import

    report_import(path=seed("003"))
    html = page(staff_client, "/admin/commitments/commitment/")
    assert "状态" in html and "未匹配" in html

    partial = listed(staff_client, "/admin/commitments/commitment/?status=partial")
    assert partial and {c.assessment.status for c in partial} == {"partial"}
    unmatched = listed(staff_client, "/admin/commitments/commitment/?status=none&all=")
    assert unmatched and {c.section.report.bureau.name for c in unmatched} == {"兰陵县民政局"}


def test_the_rematch_action_runs_matching_for_the_bureau(staff_client, zhongshan_pair):
    plan, _ = zhongshan_pair

    response = staff_client.post(
        "/admin/commitments/bureau/", {"action": "rematch", "_selected_action": [plan.bureau_id]}, follow=True
    )

    assert response.status_code == 200
    assert "中山市民政局：计划—回顾 1 对" in response.content.decode()
    run = MatchingRun.objects.exclude(trigger=MatchingRun.Trigger.IMPORT).get()
    assert (run.scope_bureau, run.state) == (plan.bureau, MatchingRun.State.DONE)


def test_the_run_list_is_read_only_and_shows_progress(staff_client, zhongshan_pair):
    plan, _ = zhongshan_pair
    staff_client.post("/admin/commitments/bureau/", {"action": "rematch", "_selected_action": [plan.bureau_id]})
    run = MatchingRun.objects.exclude(trigger=MatchingRun.Trigger.IMPORT).get()

    html = page(staff_client, "/admin/commitments/matchingrun/")

    assert "匹配运行" in html and "已完成" in html and f"{run.done}/{run.total}" in html
    assert staff_client.get("/admin/commitments/matchingrun/add/").status_code == 403
    page(staff_client, reverse("admin:commitments_matchingrun_change", args=[run.pk]))
