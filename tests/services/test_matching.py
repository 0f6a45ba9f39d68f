"""The matching service on stored reports: evidence and assessments, re-runs, analyst decisions, failures."""

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from commitments.engine.matching import engine
from commitments.engine.matching.model_file import engine_version
from commitments.engine.types import STATUSES
from commitments.models import Assessment, Commitment, Evidence, MatchingRun
from commitments.services.matching import commitments_match
from commitments.services.reports import report_import
from commitments.services.runs import matching_run_create

pytestmark = pytest.mark.django_db


def snapshot() -> tuple:
    """Every matching row as values, primary keys included: equal snapshots mean nothing was rewritten."""
    evidence = list(Evidence.objects.order_by("pk").values())
    assessments = list(Assessment.objects.order_by("pk").values())
    return evidence, assessments, Assessment.history.count()


def plan_commitments(plan_report):
    return Commitment.objects.filter(section__report=plan_report, section__year=2022)


def test_importing_the_next_review_assesses_every_commitment_of_the_plan(zhongshan_pair):
    plan, review = zhongshan_pair
    commitments = plan_commitments(plan)

    assert commitments.count() > 20
    assert Assessment.objects.filter(commitment__in=commitments).count() == commitments.count()
    for commitment in commitments.select_related("assessment"):
        assessment = commitment.assessment
        assert assessment.status in STATUSES
        assert assessment.source == Assessment.Source.MACHINE
        assert 0 <= assessment.confidence <= 1 and assessment.reason
        assert (assessment.machine_status, assessment.machine_reason) == (assessment.status, assessment.reason)
        assert assessment.engine_version == engine_version()
        rows = list(commitment.evidence.order_by("rank"))
        assert len(rows) <= 3
        assert [row.rank for row in rows] == list(range(1, len(rows) + 1))
        assert [row.score for row in rows] == sorted((row.score for row in rows), reverse=True)
        for row in rows:
            assert row.section.report == review and row.section.kind == "review" and row.section.year == 2022
            assert review.text[row.start : row.end] == row.text
        if assessment.status == "no_evidence":
            assert assessment.evidence_text == ""
        elif rows:
            assert assessment.evidence_text == rows[0].text


def test_vague_commitments_are_unverifiable_unless_the_review_reports_on_them(zhongshan_pair):
    plan, _ = zhongshan_pair
    vague = plan_commitments(plan).filter(vague=True)

    assert vague.exists()
    for status, reason in vague.values_list("assessment__status", "assessment__reason"):
        assert status == "unverifiable" or "表述笼统" in reason


def test_matching_twice_rewrites_nothing(zhongshan_pair):
    plan, _ = zhongshan_pair
    before = snapshot()

    first = commitments_match(bureau=plan.bureau)
    second = commitments_match(bureau=plan.bureau, year=2022)

    assert snapshot() == before
    assert (first.pairs, first.changed) == (second.pairs, second.changed) == (1, 0)
    assert first.commitments == plan_commitments(plan).count()
    assert Evidence.objects.count() <= 3 * first.commitments


def test_an_analyst_decision_survives_matching_and_a_disagreement_is_flagged(zhongshan_pair):
    plan, _ = zhongshan_pair
    analyst = User.objects.create_user("analyst2")
    assessment = Assessment.objects.filter(commitment__in=plan_commitments(plan), commitment__vague=False).first()
    machine_status = assessment.status
    decided = "not_fulfilled" if machine_status != "not_fulfilled" else "fulfilled"
    confirmed_at = timezone.now()
    Assessment.objects.filter(pk=assessment.pk).update(
        source=Assessment.Source.ANALYST,
        status=decided,
        reason="分析员：年终报告未见落实",
        evidence_text="分析员选定的证据",
        note="已电话核实",
        confirmed_by=analyst,
        confirmed_at=confirmed_at,
        machine_status="",
    )

    outcome = commitments_match(bureau=plan.bureau)

    assessment.refresh_from_db()
    assert (assessment.status, assessment.reason, assessment.evidence_text, assessment.note) == (
        decided,
        "分析员：年终报告未见落实",
        "分析员选定的证据",
        "已电话核实",
    )
    assert (assessment.source, assessment.confirmed_by, assessment.confirmed_at) == ("analyst", analyst, confirmed_at)
    assert assessment.machine_status == machine_status
    assert assessment.machine_disagrees is True
    assert outcome.skipped_analyst == 1 and outcome.changed == 1
    assert assessment.history.first().machine_status == machine_status


def test_an_analyst_who_agrees_with_the_machine_is_not_flagged(zhongshan_pair):
    plan, _ = zhongshan_pair
    assessment = Assessment.objects.filter(commitment__in=plan_commitments(plan)).first()
    Assessment.objects.filter(pk=assessment.pk).update(source=Assessment.Source.ANALYST, machine_disagrees=True)

    commitments_match(bureau=plan.bureau)

    assessment.refresh_from_db()
    assert assessment.machine_disagrees is False
    assert assessment.source == "analyst"


def test_commitments_whose_review_is_missing_get_no_assessment(zhongshan_pair, seed):
    lanling = report_import(path=seed("003")).report
    waiting = Commitment.objects.filter(section__report=lanling)

    outcome = commitments_match()

    assert waiting.exists()
    assert not Assessment.objects.filter(commitment__in=waiting).exists()
    assert not Evidence.objects.filter(commitment__in=waiting).exists()
    assert outcome.no_review == waiting.count()
    assert ("兰陵县民政局", 2022, "") in outcome.missing_reviews
    assert outcome.pairs == 1


def test_a_review_that_disappears_takes_the_machine_proposals_with_it(zhongshan_pair):
    plan, review = zhongshan_pair
    kept = Assessment.objects.filter(commitment__in=plan_commitments(plan)).first()
    Assessment.objects.filter(pk=kept.pk).update(source=Assessment.Source.ANALYST)
    review.delete()

    outcome = commitments_match(bureau=plan.bureau)

    assert list(Assessment.objects.all()) == [kept]
    assert not Evidence.objects.exists()
    assert outcome.no_review == plan_commitments(plan).count()


def test_an_engine_crash_leaves_the_previous_rows_intact(zhongshan_pair, monkeypatch):
    plan, _ = zhongshan_pair
    before = snapshot()

    def crash(*args, **kwargs):
        raise RuntimeError("engine exploded")

    monkeypatch.setattr(engine, "match_commitments", crash)
    run = matching_run_create(bureau=plan.bureau)

    with pytest.raises(RuntimeError, match="engine exploded"):
        commitments_match(bureau=plan.bureau, run=run)

    assert snapshot() == before
    run.refresh_from_db()
    assert run.state == MatchingRun.State.FAILED and "engine exploded" in run.error and run.finished_at


def test_an_engine_crash_during_import_does_not_fail_the_import(seed, devset_dir, monkeypatch):
    monkeypatch.setattr(engine, "match_commitments", lambda *a, **k: 1 / 0)
    report_import(path=seed("001"))

    outcome = report_import(path=devset_dir / "zhongshan_2022_review.synthetic.txt", bureau_name="中山市民政局")

    assert outcome.status == "imported"
    assert "匹配出错" in outcome.reason
    assert not Assessment.objects.exists()
    failed = MatchingRun.objects.get(trigger=MatchingRun.Trigger.IMPORT, state=MatchingRun.State.FAILED)
    assert failed.scope_year == 2022 and "ZeroDivisionError" in failed.error


def test_an_import_without_a_broker_is_listed_as_a_done_run(zhongshan_pair):
    plan, _ = zhongshan_pair

    run = MatchingRun.objects.get(trigger=MatchingRun.Trigger.IMPORT, scope_year=2022, changed__gt=0)

    count = plan_commitments(plan).count()
    assert (run.state, run.total, run.done, run.changed) == (MatchingRun.State.DONE, count, count, count)
    assert run.scope_bureau == plan.bureau and run.engine_version == engine_version()


def test_an_import_while_its_scope_is_being_matched_leaves_a_queued_run(seed, devset_dir):
    plan = report_import(path=seed("001")).report
    MatchingRun.objects.create(
        scope_bureau=plan.bureau, scope_year=2022, state=MatchingRun.State.RUNNING, heartbeat_at=timezone.now()
    )

    outcome = report_import(path=devset_dir / "zhongshan_2022_review.synthetic.txt", bureau_name="中山市民政局")

    assert outcome.status == "imported" and "匹配出错" in outcome.reason
    waiting = MatchingRun.objects.get(trigger=MatchingRun.Trigger.IMPORT, state=MatchingRun.State.QUEUED)
    assert "正在进行" in waiting.error and waiting.enqueued_at is None


def test_a_run_reports_its_progress(zhongshan_pair):
    plan, _ = zhongshan_pair
    run = matching_run_create(bureau=plan.bureau, year=2022)
    assert run.state == MatchingRun.State.QUEUED

    commitments_match(bureau=plan.bureau, year=2022, run=run)

    run.refresh_from_db()
    count = plan_commitments(plan).count()
    assert (run.state, run.total, run.done, run.changed) == (MatchingRun.State.DONE, count, count, 0)
    assert run.started_at <= run.finished_at
    assert run.engine_version == engine_version()


def test_placeholder_bureaus_are_never_matched(zhongshan_pair):
    plan, _ = zhongshan_pair
    Assessment.objects.all().delete()
    plan.bureau.is_placeholder = True
    plan.bureau.save()

    outcome = commitments_match()

    assert (outcome.pairs, outcome.commitments) == (0, 0)
    assert not Assessment.objects.exists()


def test_a_plan_imported_after_its_review_is_matched_on_import(seed, devset_dir):
    report_import(path=devset_dir / "zhongshan_2022_review.synthetic.txt", bureau_name="中山市民政局")

    plan = report_import(path=seed("001")).report

    commitments = plan_commitments(plan)
    assert Assessment.objects.filter(commitment__in=commitments).count() == commitments.count()


def test_the_demo_brings_next_year_reviews_of_its_bureaus_and_matches_them(seeds_dir, devset_dir):
    from commitments.models import Assessment, Report
    from commitments.services.demo import demo_setup

    outcome = demo_setup(seeds_dir=seeds_dir, reviews_dir=devset_dir)

    reviews = [o for o in outcome.imports if "review" in o.source]
    assert sorted(o.bureau_name for o in reviews) == ["中山市民政局", "兰陵县民政局"]
    assert not Report.objects.filter(source__contains="statecouncil").exists()
    matched = Assessment.objects.filter(commitment__section__year=2022)
    assert set(matched.values_list("commitment__section__report__bureau__name", flat=True)) == {
        "中山市民政局",
        "兰陵县民政局",
    }
