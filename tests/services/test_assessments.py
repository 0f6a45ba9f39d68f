"""Analyst decisions: confirm, decide, optimistic locking, permissions, history, and later machine runs."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from commitments.models import Assessment
from commitments.services.assessments import StaleAssessment, assessment_confirm, assessment_decide
from commitments.services.matching import commitments_match

pytestmark = pytest.mark.django_db


@pytest.fixture
def proposal(zhongshan_pair):
    return Assessment.objects.filter(source="machine", status="fulfilled").order_by("pk").first()


@pytest.fixture
def analyst(make_user, zhongshan_pair):
    return make_user("zs-analyst", "analyst", [zhongshan_pair[0].bureau])


def test_confirm_takes_the_machine_proposal_as_the_analysts_decision(proposal, analyst):
    before = proposal.version

    done = assessment_confirm(assessment=proposal, user=analyst, expected_version=before)

    done.refresh_from_db()
    assert done.source == "analyst" and done.status == "fulfilled" and not done.machine_disagrees
    assert done.confirmed_by == analyst and done.confirmed_at is not None
    assert done.version == before + 1


def test_decide_records_another_status_with_note_evidence_and_failure_reason(proposal, analyst):
    done = assessment_decide(
        assessment=proposal,
        user=analyst,
        expected_version=proposal.version,
        status="not_fulfilled",
        evidence_text="  资金未到位。 ",
        note="预算未批",
        failure_reason="not_budgeted",
    )

    done.refresh_from_db()
    assert (done.status, done.source, done.note, done.failure_reason) == (
        "not_fulfilled",
        "analyst",
        "预算未批",
        "not_budgeted",
    )
    assert done.evidence_text == "资金未到位。"
    assert done.machine_disagrees  # the machine said 已完成


def test_not_fulfilled_needs_a_failure_reason(proposal, analyst):
    with pytest.raises(ValidationError):
        assessment_decide(assessment=proposal, user=analyst, expected_version=proposal.version, status="not_fulfilled")
    proposal.refresh_from_db()
    assert proposal.source == "machine"


def test_a_stale_version_is_a_conflict_and_changes_nothing(proposal, analyst):
    assessment_confirm(assessment=proposal, user=analyst, expected_version=proposal.version)
    current = Assessment.objects.get(pk=proposal.pk)

    with pytest.raises(StaleAssessment, match="保存冲突"):
        assessment_decide(assessment=proposal, user=analyst, expected_version=proposal.version, status="partial")

    current.refresh_from_db()
    assert current.status == "fulfilled" and current.version == proposal.version + 1


def test_an_analyst_of_another_bureau_or_a_viewer_cannot_decide(proposal, make_user, other_bureau_assessment):
    stranger = make_user("ll-analyst", "analyst", [other_bureau_assessment.commitment.section.report.bureau])
    viewer = make_user("zs-viewer", "viewer", [proposal.commitment.section.report.bureau])
    for user in (stranger, viewer):
        with pytest.raises(PermissionDenied):
            assessment_confirm(assessment=proposal, user=user, expected_version=proposal.version)
    proposal.refresh_from_db()
    assert proposal.source == "machine"


def test_history_names_the_analyst_and_keeps_the_machine_runs(proposal, analyst):
    assessment_decide(
        assessment=proposal, user=analyst, expected_version=proposal.version, status="partial", note="只做了一半"
    )

    rows = list(proposal.history.order_by("history_date"))
    assert rows[0].history_user is None and rows[0].history_change_reason.startswith("机器匹配")
    assert rows[-1].history_user == analyst and rows[-1].status == "partial"
    assert "分析员" in rows[-1].history_change_reason


def test_a_rematch_keeps_the_analyst_decision_and_flags_the_disagreement(proposal, analyst, zhongshan_pair):
    assessment_decide(assessment=proposal, user=analyst, expected_version=proposal.version, status="partial")
    # As if an older engine had agreed with the analyst: the next run says 已完成 again.
    Assessment.objects.filter(pk=proposal.pk).update(machine_status="partial", machine_disagrees=False)

    outcome = commitments_match(bureau=zhongshan_pair[0].bureau)

    proposal.refresh_from_db()
    assert outcome.skipped_analyst >= 1
    assert proposal.status == "partial" and proposal.source == "analyst" and proposal.confirmed_by == analyst
    assert proposal.machine_status == "fulfilled" and proposal.machine_disagrees
    assert proposal.history.first().history_change_reason.startswith("机器匹配")
