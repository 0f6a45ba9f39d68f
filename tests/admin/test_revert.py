"""Reverting an assessment to an earlier version: a new version through the service, history kept,
optimistic locking and bureau rights as for any decision; a machine version becomes a proposal again."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from commitments.models import Assessment, Bureau, Commitment, Report, Section
from commitments.selectors.lists import review_queue
from commitments.services.assessments import StaleAssessment, assessment_decide, assessment_revert

pytestmark = pytest.mark.django_db


@pytest.fixture
def bureau(db):
    return Bureau.objects.create(name="中山市民政局")


@pytest.fixture
def analyst(make_user, bureau):
    return make_user("zs-analyst", "analyst", [bureau])


@pytest.fixture
def assessment(bureau, analyst):
    """A machine proposal (version 1), decided 未完成 (2), then 已完成 (3) by the analyst."""
    text = "2022年工作计划\n一、新建社区养老服务站10个。"
    report = Report.objects.create(bureau=bureau, title="中山市民政局2021年工作总结", text=text, sha256="z" * 64)
    section = Section.objects.create(report=report, kind=Section.Kind.PLAN, year=2022, start=0, end=len(text))
    commitment = Commitment.objects.create(section=section, text="新建社区养老服务站10个。", start=10, end=len(text))
    row = Assessment.objects.create(
        commitment=commitment,
        status="partial",
        confidence=0.66,
        reason="回顾称已建成6个",
        evidence_text="建成社区养老服务站6个",
        machine_status="partial",
        machine_confidence=0.66,
        machine_reason="回顾称已建成6个",
    )
    assessment_decide(
        assessment=row,
        user=analyst,
        expected_version=1,
        status="not_fulfilled",
        evidence_text="项目未立项",
        note="预算未批",
        failure_reason="not_budgeted",
    )
    return assessment_decide(assessment=row, user=analyst, expected_version=2, status="fulfilled", note="年底补建完成")


def _version(assessment, number):
    return assessment.history.get(version=number)


def _form_url(assessment, record):
    return reverse("admin:commitments_assessment_simple_history", args=[assessment.pk, record.history_id])


def test_reverting_to_an_analyst_version_restores_its_decision_as_a_new_version(assessment, analyst):
    reverted = assessment_revert(
        assessment=assessment, history_id=_version(assessment, 2).history_id, user=analyst, expected_version=3
    )

    row = Assessment.objects.get(pk=assessment.pk)
    assert (row.status, row.failure_reason, row.note, row.evidence_text, row.source) == (
        "not_fulfilled",
        "not_budgeted",
        "预算未批",
        "项目未立项",
        "analyst",
    )
    assert row.version == reverted.version == 4 and row.confirmed_by == analyst
    # Nothing was removed from the history; the new row names the analyst.
    assert list(row.history.values_list("version", flat=True)) == [4, 3, 2, 1]
    latest = row.history.first()
    assert latest.history_user == analyst and latest.history_change_reason.startswith("恢复到")
    assert row.machine_disagrees  # the machine said 部分完成


def test_reverting_to_the_machine_version_makes_it_a_proposal_again(assessment, analyst):
    assessment_revert(
        assessment=assessment, history_id=_version(assessment, 1).history_id, user=analyst, expected_version=3
    )

    row = Assessment.objects.get(pk=assessment.pk)
    assert (row.status, row.source, row.confidence, row.reason) == ("partial", "machine", 0.66, "回顾称已建成6个")
    assert (row.note, row.failure_reason, row.confirmed_by, row.machine_disagrees) == ("", "", None, False)
    assert row.history.first().history_user == analyst
    assert row in review_queue(user=analyst)


def test_a_stale_version_is_refused_and_changes_nothing(assessment, analyst):
    with pytest.raises(StaleAssessment):
        assessment_revert(
            assessment=assessment, history_id=_version(assessment, 1).history_id, user=analyst, expected_version=2
        )
    row = Assessment.objects.get(pk=assessment.pk)
    assert (row.status, row.version, row.history.count()) == ("fulfilled", 3, 3)


def test_a_version_of_another_assessment_is_refused(assessment, analyst, other_bureau_assessment):
    foreign = other_bureau_assessment.history.first()
    with pytest.raises(ValidationError):
        assessment_revert(assessment=assessment, history_id=foreign.history_id, user=analyst, expected_version=3)


def test_another_bureaus_analyst_may_not_revert(assessment, make_user, other_bureau_assessment):
    outsider = make_user("ll-analyst", "analyst", [other_bureau_assessment.commitment.section.report.bureau])
    with pytest.raises(PermissionDenied):
        assessment_revert(
            assessment=assessment, history_id=_version(assessment, 1).history_id, user=outsider, expected_version=3
        )


def test_the_history_pages_offer_revert_and_warn_about_machine_versions(client, assessment, analyst):
    client.force_login(analyst)

    history = client.get(reverse("admin:commitments_assessment_history", args=[assessment.pk]))
    assert history.status_code == 200 and "恢复到机器匹配的版本后" in history.content.decode()
    machine_page = client.get(_form_url(assessment, _version(assessment, 1))).content.decode()
    assert "恢复此版本" in machine_page and "重新成为机器建议" in machine_page
    analyst_page = client.get(_form_url(assessment, _version(assessment, 2))).content.decode()
    assert "恢复此版本" in analyst_page and "重新成为机器建议" not in analyst_page
    assert 'name="version" value="3"' in analyst_page


def test_the_revert_button_restores_through_the_service(client, assessment, analyst):
    client.force_login(analyst)

    response = client.post(_form_url(assessment, _version(assessment, 2)), {"version": 3, "_revert": "1"})

    assert response.status_code == 302
    assert response.url == reverse("admin:commitments_assessment_history", args=[assessment.pk])
    row = Assessment.objects.get(pk=assessment.pk)
    assert (row.status, row.version, row.failure_reason) == ("not_fulfilled", 4, "not_budgeted")


def test_a_stale_revert_button_shows_the_conflict(client, assessment, analyst):
    client.force_login(analyst)

    response = client.post(_form_url(assessment, _version(assessment, 1)), {"version": 2}, follow=True)

    assert "保存冲突" in response.content.decode()
    assert Assessment.objects.get(pk=assessment.pk).version == 3


def test_posting_simple_historys_form_cannot_overwrite_fields(client, assessment, analyst):
    """The version page is read-only: form fields posted to it are ignored, a version is required."""
    client.force_login(analyst)
    forged = {
        "commitment": assessment.commitment_id,
        "status": "unverifiable",
        "note": "伪造",
        "confidence": "1",
        "source": "machine",
        "version": "9",
    }

    client.post(_form_url(assessment, _version(assessment, 3)), {**forged, "version": "abc"})

    row = Assessment.objects.get(pk=assessment.pk)
    assert (row.status, row.note, row.version) == ("fulfilled", "年底补建完成", 3)


def test_a_viewer_sees_history_but_cannot_revert(client, make_user, bureau, assessment):
    client.force_login(make_user("zs-viewer", "viewer", [bureau]))
    url = _form_url(assessment, _version(assessment, 2))

    page = client.get(url)
    assert page.status_code == 200 and "恢复此版本" not in page.content.decode()
    assert client.post(url, {"version": 3}).status_code == 403
    assert Assessment.objects.get(pk=assessment.pk).version == 3


def test_another_bureaus_version_pages_are_not_found(client, make_user, assessment, other_bureau_assessment):
    client.force_login(make_user("ll-analyst", "analyst", [other_bureau_assessment.commitment.section.report.bureau]))
    url = _form_url(assessment, _version(assessment, 1))

    assert client.get(url).status_code == 404
    assert client.post(url, {"version": 3}).status_code == 404
    assert Assessment.objects.get(pk=assessment.pk).version == 3


def test_a_version_id_of_another_assessment_in_the_url_is_not_found(client, analyst, assessment, admin_user):
    other = Assessment.objects.create(
        commitment=Commitment.objects.create(
            section=assessment.commitment.section, text="另一条", order=2, start=0, end=3
        ),
        status="partial",
    )
    client.force_login(admin_user)

    url = reverse("admin:commitments_assessment_simple_history", args=[assessment.pk, other.history.first().history_id])
    assert client.post(url, {"version": 3}).status_code == 404
