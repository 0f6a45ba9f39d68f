"""Bulk confirmation of machine proposals from the assessment list: a counted confirmation page, then one
transaction through the service; other bureaus, analyst decisions, vague and unsure proposals are left alone."""

import json

import pytest
from django.core.exceptions import ValidationError

from commitments.engine.matching.model_file import MODEL_PATH
from commitments.models import Assessment, Bureau, Commitment, Report, Section
from commitments.selectors.lists import BULK_SKIP_BUREAU, BULK_SKIP_DECIDED, BULK_SKIP_LOW, BULK_SKIP_UNVERIFIABLE
from commitments.services.assessments import assessment_decide, assessments_bulk_confirm

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/commitments/assessment/"


def _proposal(bureau: Bureau, n: int, *, status="fulfilled", confidence=0.9, source="machine") -> Assessment:
    text = f"2022年工作计划\n{n}、新建社区养老服务站{n}个。"
    report, _ = Report.objects.get_or_create(
        bureau=bureau, title=f"{bureau.name}2021年工作总结", defaults={"text": text, "sha256": f"{bureau.pk:064d}"}
    )
    section, _ = Section.objects.get_or_create(report=report, kind=Section.Kind.PLAN, year=2022, start=0, end=99)
    commitment = Commitment.objects.create(section=section, text=f"新建社区养老服务站{n}个。", order=n, start=0, end=9)
    return Assessment.objects.create(
        commitment=commitment,
        status=status,
        confidence=confidence,
        source=source,
        reason="回顾称已建成",
        machine_status=status,
        machine_confidence=confidence,
    )


@pytest.fixture
def bureau(db):
    return Bureau.objects.create(name="中山市民政局")


@pytest.fixture
def rows(bureau):
    return {
        "sure": _proposal(bureau, 1, confidence=0.92),
        "sure_partial": _proposal(bureau, 2, status="partial", confidence=0.85),
        "unsure": _proposal(bureau, 3, confidence=0.5),
        "vague": _proposal(bureau, 4, status="unverifiable", confidence=0.95),
        "decided": _proposal(bureau, 5, status="partial", confidence=0.9, source="analyst"),
    }


@pytest.fixture
def analyst(make_user, bureau):
    return make_user("zs-analyst", "analyst", [bureau])


@pytest.fixture
def analyst_client(client, analyst):
    client.force_login(analyst)
    return client


def _action(client, ids, url=CHANGELIST, **extra):
    data = {"action": "bulk_confirm", "_selected_action": [str(i) for i in ids], **extra}
    return client.post(url, data)


@pytest.fixture
def model_floor(tmp_path, monkeypatch):
    """The model in use, with a reliability curve: ≥ 0.8 right 96% of the time, ≥ 0.7 only 90%."""

    def use(curve):
        data = json.loads(MODEL_PATH.read_text(encoding="utf-8"))
        data["manifest"]["cv"]["calibration"]["curve"] = curve
        path = tmp_path / "matcher.json"
        path.write_text(json.dumps(data), encoding="utf-8")
        monkeypatch.setenv("MATCH_MODEL", str(path))

    use([[0.7, 0.90, 0.4], [0.8, 0.96, 0.2], [0.9, 0.97, 0.1]])
    return use


def test_the_confirmation_page_counts_what_it_takes_and_what_it_skips(analyst_client, rows, model_floor):
    response = _action(analyst_client, [a.pk for a in rows.values()], index="0")

    page = response.content.decode()
    assert response.status_code == 200
    assert [a.pk for a in response.context["eligible"]] == [rows["sure"].pk, rows["sure_partial"].pk]
    assert dict(response.context["skipped"]) == {
        BULK_SKIP_DECIDED: 1,
        BULK_SKIP_UNVERIFIABLE: 1,
        BULK_SKIP_LOW: 1,
    }
    assert '将确认 <strong id="bulk-confirm-count">2</strong> 条机器建议' in page
    assert "1 条：置信度低于下限" in page and "确认这 2 条" in page
    # Only a page so far: nothing confirmed.
    assert not Assessment.objects.filter(pk=rows["sure"].pk, source="analyst").exists()
    # The default floor is the model's for the target precision of 95%, and the page says so.
    assert response.context["form"]["min_confidence"].value() == 0.8
    assert "置信度不低于 <strong>0.80</strong> 的机器建议有 95% 正确（约占全部建议的 20%）" in page


def test_a_model_that_reaches_no_target_precision_confirms_nothing_by_default(analyst_client, rows, model_floor):
    model_floor([[0.5, 0.7, 0.9], [0.9, 0.8, 0.1]])
    response = _action(analyst_client, [a.pk for a in rows.values()], index="0")

    assert response.context["eligible"] == []
    assert "没有哪个置信度下限能让 95% 的建议正确" in response.content.decode()


def test_confirming_on_the_page_makes_them_analyst_decisions_with_history(analyst_client, analyst, rows):
    ids = [a.pk for a in rows.values()]

    response = _action(analyst_client, ids, post="yes", min_confidence="0.8")

    assert response.status_code == 302
    for key in ("sure", "sure_partial"):
        row = Assessment.objects.get(pk=rows[key].pk)
        assert (row.source, row.confirmed_by, row.version, row.status) == ("analyst", analyst, 2, rows[key].status)
        latest = row.history.first()
        assert latest.history_user == analyst and latest.history_change_reason == "分析员批量确认机器建议"
    for key in ("unsure", "vague", "decided"):
        row = Assessment.objects.get(pk=rows[key].pk)
        assert (row.version, row.confirmed_by) == (1, None), key
    messages = [str(m) for m in response.wsgi_request._messages]
    assert "已确认 2 条机器建议" in messages and f"跳过 1 条：{BULK_SKIP_LOW}" in messages


def test_a_lower_floor_on_the_page_counts_again(analyst_client, rows):
    response = _action(analyst_client, [a.pk for a in rows.values()], min_confidence="0.4")

    assert response.status_code == 200
    assert len(response.context["eligible"]) == 3
    assert BULK_SKIP_LOW not in dict(response.context["skipped"])


def test_a_floor_outside_zero_to_one_is_refused(analyst_client, rows):
    response = _action(analyst_client, [rows["unsure"].pk], post="yes", min_confidence="-1")

    assert response.status_code == 200 and response.context["form"].errors
    assert Assessment.objects.get(pk=rows["unsure"].pk).source == "machine"
    with pytest.raises(ValidationError):
        assessments_bulk_confirm(user=None, assessments=[], min_confidence=1.5)


def test_the_confidence_band_filter_and_select_all_confirm_the_filtered_set(analyst_client, rows, model_floor):
    listed = analyst_client.get(CHANGELIST, {"band": "high"}).context["cl"].result_list
    assert {a.pk for a in listed} == {rows[k].pk for k in ("sure", "sure_partial", "vague", "decided")}

    response = _action(analyst_client, [rows["sure"].pk], url=f"{CHANGELIST}?band=high", select_across="1", post="yes")

    assert response.status_code == 302
    confirmed = set(Assessment.objects.filter(source="analyst").values_list("pk", flat=True))
    assert confirmed == {rows["sure"].pk, rows["sure_partial"].pk, rows["decided"].pk}


def test_another_bureaus_ids_posted_by_hand_are_not_confirmed(
    analyst_client, rows, other_bureau_assessment, model_floor
):
    Assessment.objects.filter(pk=other_bureau_assessment.pk).update(confidence=0.99, status="fulfilled")

    page = _action(analyst_client, [other_bureau_assessment.pk, rows["sure"].pk])
    assert [a.pk for a in page.context["eligible"]] == [rows["sure"].pk]
    assert dict(page.context["skipped"]) == {BULK_SKIP_BUREAU + "或已不存在": 1}

    response = _action(analyst_client, [other_bureau_assessment.pk], post="yes")

    assert response.status_code == 302
    other_bureau_assessment.refresh_from_db()
    assert (other_bureau_assessment.source, other_bureau_assessment.version) == ("machine", 1)


def test_the_service_itself_skips_another_bureau(analyst, other_bureau_assessment):
    Assessment.objects.filter(pk=other_bureau_assessment.pk).update(confidence=0.99, status="fulfilled")

    outcome = assessments_bulk_confirm(user=analyst, assessments=[other_bureau_assessment], min_confidence=0.8)

    assert outcome.confirmed == [] and outcome.skipped == {BULK_SKIP_BUREAU: 1}
    assert Assessment.objects.get(pk=other_bureau_assessment.pk).source == "machine"


def test_a_row_decided_after_the_page_was_shown_is_skipped_not_overwritten(
    analyst_client, make_user, bureau, rows, model_floor
):
    ids = [rows["sure"].pk, rows["sure_partial"].pk]
    assert len(_action(analyst_client, ids).context["eligible"]) == 2
    colleague = make_user("zs-colleague", "analyst", [bureau])
    assessment_decide(assessment=rows["sure"], user=colleague, expected_version=1, status="partial", note="只建成一半")

    _action(analyst_client, ids, post="yes")

    row = Assessment.objects.get(pk=rows["sure"].pk)
    assert (row.status, row.confirmed_by, row.note, row.version) == ("partial", colleague, "只建成一半", 2)
    assert Assessment.objects.get(pk=rows["sure_partial"].pk).source == "analyst"


def test_a_viewer_is_not_offered_the_action_and_cannot_post_it(client, make_user, bureau, rows):
    client.force_login(make_user("zs-viewer", "viewer", [bureau]))

    page = client.get(CHANGELIST)
    assert page.status_code == 200 and "确认所选机器建议" not in page.content.decode()
    client.post(CHANGELIST, {"action": "bulk_confirm", "_selected_action": [rows["sure"].pk], "post": "yes"})

    assert Assessment.objects.get(pk=rows["sure"].pk).source == "machine"


def test_a_superuser_confirms_any_bureau(client, admin_user, other_bureau_assessment, model_floor):
    Assessment.objects.filter(pk=other_bureau_assessment.pk).update(confidence=0.99, status="fulfilled")
    client.force_login(admin_user)

    _action(client, [other_bureau_assessment.pk], post="yes")

    other_bureau_assessment.refresh_from_db()
    assert (other_bureau_assessment.source, other_bureau_assessment.confirmed_by) == ("analyst", admin_user)
