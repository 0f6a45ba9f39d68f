"""commitments.engine.matching.status: the last status word of a sentence, figures against targets, and the
proposed status from hand-made evidence (no extraction, no embeddings)."""

from __future__ import annotations

import pytest

from commitments.engine.matching.figures import compare_target
from commitments.engine.matching.status import (
    NO_EVIDENCE_BELOW,
    VAGUE_EVIDENCE_BELOW,
    last_cue,
    propose_status,
)
from commitments.engine.nlp.targets import parse_targets
from commitments.engine.types import STATUS_LABELS, EvidenceSpan, Target

STRONG = 0.6


def evidence(text: str, score: float = STRONG) -> EvidenceSpan:
    return EvidenceSpan(text=text, start=0, end=len(text), section_index=0, score=score, parts={"terms": score})


def status_of(*sentences: str, vague: bool = False, targets: tuple[Target, ...] = (), score: float = STRONG):
    return propose_status(vague=vague, targets=targets, evidence=[evidence(s, score) for s in sentences])


# --- last_cue -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sentence", "kind"),
    [
        pytest.param("已完成起草并经两轮征求意见,尚未正式出台", "failed", id="drafted-not-yet-issued"),
        pytest.param("已完成起草，尚未出台", "failed", id="drafted-not-issued"),
        pytest.param("《中山市养老服务规划》编写工作未能按期完成", "failed", id="could-not-finish"),
        pytest.param("康复中心项目目前仍未建成", "failed", id="still-not-built"),
        pytest.param("养老服务综合体项目建设严重滞后", "failed", id="lagging"),
        pytest.param("牵头起草并推动市委出台《办法》", "done", id="drafted-and-issued"),
        pytest.param("完成《中山市养老服务规划》编写", "done", id="completed"),
        pytest.param("全市公办养老机构护理型床位占比达到53.6%", "done", id="reached"),
        pytest.param("启动了《X》编写工作", "progress", id="started-x"),
        pytest.param("启动了《中山市养老服务规划》编写工作", "progress", id="started-plan"),
        pytest.param("《条例》已形成征求意见稿", "progress", id="consultation-draft"),
        pytest.param("“退二进三”工作启动实施", "progress", id="started-to-implement"),
        pytest.param("三级医疗服务体系初步建立", "progress", id="initially-set-up"),
        pytest.param("《方案》已形成征求意见稿,拟于2023年上半年提请印发", "progress", id="to-be-issued-later"),
        pytest.param("受疫情影响,实地试点工作延至2023年开展", "failed", id="postponed"),
        pytest.param("迁址改造项目完成方案设计,计划2023年建成使用", "progress", id="completion-date-ahead"),
        pytest.param("小微企业融资难融资贵问题尚未有效缓解", "progress", id="not-yet-effectively"),
        pytest.param("老旧小区改造尚未全面完成", "progress", id="not-yet-fully"),
        pytest.param("村委会职责任务清单尚未制定出台,村级组织权责边界缺乏统一规范", "failed", id="organisation-noun"),
    ],
)
def test_last_cue_reads_the_last_status_word(sentence, kind):
    cue = last_cue(sentence)
    assert cue is not None and cue[0] == kind, cue
    assert cue[1] in sentence


def test_last_cue_is_none_without_a_status_word():
    assert last_cue("社会救助体系更加完善") is None


# --- compare_target -------------------------------------------------------------------------------


def target(text: str, value: float, unit: str = "%", comparator: str = "=", high: float | None = None) -> Target:
    return Target(text, value, unit, comparator, "", high)


@pytest.mark.parametrize(
    ("planned", "reported", "outcome"),
    [
        (target("超过50%", 50, comparator=">"), target("53.6%", 53.6), "met"),
        (target("超过50%", 50, comparator=">"), target("50%", 50), "met"),
        (target("两千人次", 2000, "人次"), target("1950人次", 1950, "人次"), "near"),
        (target("两千人次", 2000, "人次"), target("1800人次", 1800, "人次"), "missed"),
        (target("增长5.5%", 5.5, comparator="+"), target("增长3%", 3, comparator="+"), "missed"),
        # Upper bounds: lower is better.
        (target("5.5%以内", 5.5, comparator="<="), target("5.0%", 5.0), "met"),
        (target("5.5%以内", 5.5, comparator="<="), target("5.6%", 5.6), "near"),
        (target("5.5%以内", 5.5, comparator="<="), target("7%", 7.0), "missed"),
        (target("控制在30分钟以内", 30, "分钟", "<="), target("28分钟", 28, "分钟"), "met"),
        # 左右 tolerates a little under.
        (target("增长6.5%左右", 6.5, comparator="~"), target("增长6.4%", 6.4, comparator="+"), "met"),
        (target("增长6.5%左右", 6.5, comparator="~"), target("增长5%", 5.0, comparator="+"), "missed"),
        # A range is met from its lower end up.
        (target("增长5%-6%", 5, comparator="range", high=6), target("增长5.5%", 5.5, comparator="+"), "met"),
        (target("增长5%-6%", 5, comparator="range", high=6), target("增长7%", 7, comparator="+"), "met"),
        (target("增长5%-6%", 5, comparator="range", high=6), target("增长3%", 3, comparator="+"), "missed"),
    ],
)
def test_compare_target(planned, reported, outcome):
    assert compare_target(planned, reported) == outcome


# --- propose_status -------------------------------------------------------------------------------


def test_a_programme_started_is_not_a_programme_done():
    # The trap of issue 3: the embedding ranks "启动…编写" above "完成…编写".
    status, confidence, reason = status_of("启动了《中山市养老服务规划》编写工作")

    assert status == "partial"
    assert reason.startswith(STATUS_LABELS["partial"]) and "启动" in reason
    assert 0 < confidence <= 1


def test_a_programme_completed_is_fulfilled():
    status, confidence, reason = status_of("完成《中山市养老服务规划》编写")

    assert status == "fulfilled"
    assert reason.startswith(STATUS_LABELS["fulfilled"]) and "完成" in reason
    assert 0.5 <= confidence <= 1


def test_started_ranked_above_completed_still_is_not_done():
    status, _, _ = status_of("启动了《中山市养老服务规划》编写工作", "完成《中山市养老服务规划》编写")

    assert status == "partial"


def test_a_failure_sentence_is_not_fulfilled():
    status, _, reason = status_of("养老服务综合体项目建设严重滞后")

    assert status == "not_fulfilled"
    assert reason.startswith(STATUS_LABELS["not_fulfilled"]) and "滞后" in reason


def test_a_negated_completion_is_not_fulfilled():
    status, _, reason = status_of("《中山市养老服务规划》编写工作未能按期完成")

    assert status == "not_fulfilled", reason


def test_done_in_one_sentence_and_failed_in_another_is_partial():
    status, _, reason = status_of("建成区级养老服务中心3个", "镇级养老服务中心建设进度滞后")

    assert status == "partial"
    assert "滞后" in reason


def test_done_in_one_clause_and_postponed_in_another_of_the_same_sentence_is_partial():
    status, _, reason = status_of("制定试点实施方案,遴选12个村作为试点单位,受疫情影响,实地试点工作延至2023年开展")

    assert status == "partial"
    assert "延至" in reason


def test_a_sentence_reporting_only_failures_stays_not_fulfilled():
    status, _, _ = status_of("星级评定工作进展缓慢,年内尚无公办机构通过评定")

    assert status == "not_fulfilled"


def test_a_problem_not_fully_resolved_is_partial_not_failed():
    status, _, reason = status_of("小微企业融资难融资贵问题尚未有效缓解")

    assert status == "partial"
    assert "尚未" in reason


@pytest.mark.parametrize("sentence", ["形式主义、官僚主义仍然突出", "占道经营等问题依然存在"])
def test_a_problem_the_review_says_persists_is_partial(sentence):
    status, _, reason = status_of(sentence)

    assert status == "partial", reason


def test_a_problem_the_review_admits_beside_the_report_makes_it_partial():
    reported = evidence("贫困地区自我发展能力稳步提高")
    admitted = EvidenceSpan(**{**reported.__dict__, "text": "深度贫困地区脱贫攻坚困难较多", "problem": True})

    status, _, reason = propose_status(vague=False, targets=(), evidence=[reported, admitted])

    assert status == "partial" and "问题" in reason


def test_a_target_met_stays_fulfilled_whatever_problems_are_named():
    planned = tuple(parse_targets("国内生产总值增长6.5%左右"))
    reported = evidence("国内生产总值增长6.6%")
    admitted = EvidenceSpan(**{**reported.__dict__, "text": "国内经济下行压力加大", "problem": True})

    status, _, _ = propose_status(vague=False, targets=planned, evidence=[reported, admitted])

    assert status == "fulfilled"


def test_no_evidence_is_no_evidence():
    status, confidence, reason = propose_status(vague=False, targets=(), evidence=[])

    assert status == "no_evidence" and reason and confidence >= 0.9


def test_evidence_below_the_threshold_is_no_evidence():
    status, _, _ = status_of("完成《中山市养老服务规划》编写", score=NO_EVIDENCE_BELOW / 2)

    assert status == "no_evidence"


@pytest.mark.parametrize("score", [None, NO_EVIDENCE_BELOW / 2], ids=["no-evidence", "weak-evidence"])
def test_a_vague_commitment_the_review_is_silent_about_is_not_mentioned(score):
    """Silence is a fact about the review, however vaguely the plan is worded."""
    sentences = () if score is None else ("完成《中山市养老服务规划》编写",)
    status, _, reason = status_of(*sentences, vague=True, score=score or STRONG)

    assert status == "no_evidence"
    assert "笼统" in reason


def test_a_vague_commitment_the_review_only_talks_around_is_unverifiable():
    score = (NO_EVIDENCE_BELOW + VAGUE_EVIDENCE_BELOW) / 2
    status, _, reason = status_of("完成《中山市养老服务规划》编写", vague=True, score=score)

    assert status == "unverifiable"
    assert "笼统" in reason
    assert status_of("完成《中山市养老服务规划》编写", score=score)[0] == "fulfilled"  # a concrete one is judged


def test_a_vague_commitment_the_review_clearly_reports_on_is_judged_and_flagged():
    status, _, reason = status_of("完成《中山市养老服务规划》编写", vague=True)

    # propose_status's rule: a vague commitment is unverifiable unless the review clearly reports on it.
    assert status == "fulfilled"
    assert "笼统" in reason


def test_a_met_target_is_fulfilled_and_the_reason_gives_both_figures():
    planned = Target("超过50%", 50.0, "%", ">", "全市公办养老机构护理型床位占比")

    status, _, reason = status_of("全市公办养老机构护理型床位占比达到53.6%", targets=(planned,))

    assert status == "fulfilled"
    assert "超过50%" in reason and "53.6%" in reason


def test_a_growth_target_missed_by_far_is_not_fulfilled():
    planned = Target("增长5.5%", 5.5, "%", "+", "地区生产总值")

    status, _, reason = status_of("地区生产总值增长3%", targets=(planned,))

    assert status == "not_fulfilled"
    assert "5.5%" in reason and "3%" in reason


@pytest.mark.parametrize("plan", ["地区生产总值增长6.5%左右", "地区生产总值增长5%-6%"], ids=["about", "range"])
def test_a_growth_target_stated_as_about_or_a_range_missed_by_far_is_not_fulfilled(plan):
    planned = tuple(parse_targets(plan))

    status, _, reason = status_of("地区生产总值增长3%", targets=planned)

    assert status == "not_fulfilled", reason


@pytest.mark.parametrize(
    ("plan", "review", "outcome"),
    [
        pytest.param("居民消费价格涨幅3%左右", "居民消费价格上涨2.1%", "met", id="price-rise-under-cap"),
        pytest.param("居民消费价格涨幅3%左右", "居民消费价格上涨4%", "missed", id="price-rise-over-cap"),
        pytest.param("城镇调查失业率5%", "城镇调查失业率4.9%", "met", id="unemployment-below"),
        pytest.param("城乡居民收入增长7%左右", "城乡居民收入增长6%", "missed", id="income-is-not-a-ceiling"),
    ],
)
def test_figures_where_less_is_better_are_ceilings_without_saying_so(plan, review, outcome):
    (planned,), (reported,) = parse_targets(plan), parse_targets(review)

    assert compare_target(planned, reported) == outcome


def test_one_reported_figure_answers_one_planned_figure():
    planned = tuple(parse_targets("城镇新增就业1100万人以上，城镇调查失业率5.5%以内，城镇登记失业率4.5%以内"))

    status, _, reason = status_of("城镇新增就业1361万人、调查失业率稳定在5%左右的较低水平", targets=planned)

    assert status == "fulfilled", reason
    assert "4.5%" not in reason  # the registered rate is not in the review: not compared with the survey rate


def test_a_figure_answers_the_target_whose_subject_it_names():
    planned = tuple(parse_targets("新建改建农村公路20万公里"))

    status, _, reason = status_of(
        "新增高速铁路运营里程4100公里，新建改建高速公路6000多公里、农村公路30多万公里", targets=planned
    )

    assert status == "fulfilled", reason
    assert "30多万公里" in reason


def test_a_figure_summed_over_years_is_not_compared_with_a_years_target():
    planned = tuple(parse_targets("全年投资1.6亿元"))

    status, _, reason = status_of("五年共投资6.2亿元，实施了“菜篮子”工程", targets=planned)

    assert "目标" not in reason  # no comparison of 1.6亿元 with the five years' 6.2亿元


@pytest.mark.parametrize(
    "sentence",
    [
        "推进社会组织党建“十项重点行动”,年内完成其中7项行动任务,社会组织党的组织覆盖率提升至86%",
        "12个村级服务站部分建成并投入使用",
    ],
)
def test_only_some_of_it_done_is_partial_however_the_sentence_ends(sentence):
    status, _, reason = status_of(sentence)

    assert status == "partial", reason
