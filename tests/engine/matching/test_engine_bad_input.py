"""The matching engine on bad input (issue 3): silent reviews, huge plans, the wrong year,
identical texts, numbers in Chinese, ranges and 左右. No database: the engine is pure Python."""

from __future__ import annotations

from collections import Counter

import pytest

from commitments.engine.analyse import analyse_text
from commitments.engine.matching.engine import match_commitments, review_sections_for
from commitments.engine.types import STATUSES, SectionSpan
from tests.paths import DEVSET, read_seed

YEAR = 2022


def plan_report(body: str, year: int = YEAR) -> str:
    return f"{year}年工作计划\n{body}\n"


def review_report(body: str, year: int = YEAR) -> str:
    return f"{year}年工作总结\n{body}\n"


def review_sections(review_text: str, year: int = YEAR) -> list[SectionSpan]:
    sections = analyse_text(review_text, year=year + 1).sections
    return [sections[i] for i in review_sections_for(sections, year=year)]


def match(plan_body: str, review_body: str):
    """(commitments, results) for a plan part and a review part of `YEAR`, as the product runs them."""
    plan, review = plan_report(plan_body), review_report(review_body)
    commitments = analyse_text(plan, year=YEAR).commitments
    sections = review_sections(review)
    assert sections, "the review part of the year was not found"
    results = match_commitments(commitments, review, sections, corpus=[plan, review])
    assert len(results) == len(commitments)
    return commitments, results


def only(plan_body: str, review_body: str):
    commitments, results = match(plan_body, review_body)
    assert len(commitments) == 1, [c.text for c in commitments]
    return commitments[0], results[0]


@pytest.fixture(scope="module")
def zhongshan_plan() -> str:
    return (DEVSET / "zhongshan_2022_plan.txt").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def zhongshan_commitments(zhongshan_plan):
    commitments = analyse_text(zhongshan_plan, year=YEAR).commitments
    assert len(commitments) > 20 and any(c.vague for c in commitments)
    return commitments


# --- a review with no sentences -----------------------------------------------------------------


@pytest.mark.parametrize(
    "review_text",
    [
        review_report(""),
        review_report("。。。；；！！\n……——\n，、"),
        review_report("1234 5678\n（一）\n"),
    ],
    ids=["empty", "punctuation", "no-han"],
)
def test_a_review_without_sentences_leaves_every_commitment_without_evidence(zhongshan_commitments, review_text):
    sections = review_sections(review_text) or [SectionSpan("review", YEAR, "", "", 0, len(review_text))]

    results = match_commitments(zhongshan_commitments, review_text, sections, corpus=[review_text])

    assert len(results) == len(zhongshan_commitments)
    for commitment, result in zip(zhongshan_commitments, results, strict=True):
        assert result.status == "no_evidence", commitment.text  # silence, however the plan is worded
        assert ("笼统" in result.reason) == commitment.vague
        assert result.evidence == () and result.reason and 0 <= result.confidence <= 1


def test_an_empty_review_section_list_is_silence_too(zhongshan_commitments):
    results = match_commitments(zhongshan_commitments, "", [])

    assert {r.status for r in results} == {"no_evidence"}
    assert len(results) == len(zhongshan_commitments)


# --- a plan with 2,000 commitments --------------------------------------------------------------


def test_a_plan_with_two_thousand_commitments_gets_two_thousand_results():
    # Real plan sentences: the devset plan parts, in a different order each round, until 2,000.
    bodies = [
        (DEVSET / name).read_text(encoding="utf-8").split("\n", 1)[1]
        for name in (
            "statecouncil_2018_plan.txt",
            "hailar_2015_plan.txt",
            "zhongshan_2022_plan.txt",
            "lanling_2022_plan.txt",
            "qianjiang_2020h2_plan.txt",
        )
    ]
    rounds = [bodies[i:] + bodies[:i] for i in range(4)]  # about 2,300 commitments
    plan = plan_report("\n".join(body for order in rounds for body in order))
    commitments = analyse_text(plan, year=YEAR).commitments
    assert len(commitments) >= 2000
    commitments = commitments[:2000]
    review = (DEVSET / "zhongshan_2022_review.synthetic.txt").read_text(encoding="utf-8")

    results = match_commitments(commitments, review, review_sections(review), corpus=[plan, review])

    assert len(results) == 2000
    assert all(r.status in STATUSES and len(r.evidence) <= 3 for r in results)
    statuses = Counter(r.status for r in results)
    assert statuses["fulfilled"] and statuses["no_evidence"], statuses


# --- a review of another year than asked --------------------------------------------------------


def test_a_review_of_another_year_is_not_taken_for_the_year_asked():
    # Seed 001 is the 2022 report: its review part is of 2021, its plan of 2022.
    sections = analyse_text(read_seed("001")).sections

    assert review_sections_for(sections, year=2022) == []
    assert [sections[i].year for i in review_sections_for(sections, year=2021)] == [2021]


def test_a_plan_part_is_never_taken_for_a_review(zhongshan_plan):
    assert review_sections_for(analyse_text(zhongshan_plan, year=YEAR).sections, year=YEAR) == []


# --- identical plan and review text -------------------------------------------------------------


def test_identical_plan_and_review_text_finds_each_commitment_in_its_own_sentence(zhongshan_plan):
    body = zhongshan_plan.split("\n", 1)[1]
    plan, review = plan_report(body), review_report(body)
    commitments = analyse_text(plan, year=YEAR).commitments
    sections = review_sections(review)

    results = match_commitments(commitments, review, sections, corpus=[plan, review])

    assert len(results) == len(commitments) > 20
    for commitment, result in zip(commitments, results, strict=True):
        assert result.status in STATUSES
        assert result.evidence, commitment.text
        best = result.evidence[0].text
        assert commitment.text in best or best in commitment.text, (commitment.text, best)


# --- numbers written in Chinese -----------------------------------------------------------------


def test_a_percentage_written_in_chinese_is_compared_with_the_reported_figure():
    commitment, result = only("一、养老服务\n养老床位占比达到百分之五十。", "一、养老服务\n养老床位占比达到52%。")

    assert [t.value for t in commitment.targets] == [50.0]
    assert result.status == "fulfilled", result.reason
    assert "百分之五十" in result.reason and "52%" in result.reason


def test_a_count_written_in_chinese_that_the_review_falls_short_of_is_not_fulfilled():
    commitment, result = only(
        "一、人才培养\n全年培训养老护理员两千人次。", "一、人才培养\n全年培训养老护理员1800人次。"
    )

    assert [t.value for t in commitment.targets] == [2000.0]
    # 1,800 of 2,000 is a count target missed, not a failed growth target: the engine says partial.
    assert result.status == "partial", result.reason
    assert "两千人次" in result.reason and "1800人次" in result.reason


# --- ranges and 左右 -----------------------------------------------------------------------------


def test_a_figure_inside_a_planned_range_is_fulfilled():
    _, result = only("一、经济发展\n地区生产总值增长5%-6%。", "一、经济发展\n地区生产总值增长5.5%。")

    assert result.status == "fulfilled", result.reason
    assert "5.5%" in result.reason


def test_growth_far_below_a_planned_range_is_not_fulfilled():
    _, result = only("一、经济发展\n地区生产总值增长5%-6%。", "一、经济发展\n地区生产总值增长3%。")

    assert result.status == "not_fulfilled", result.reason


def test_about_tolerates_a_little_under():
    _, result = only("一、经济发展\n地区生产总值增长6.5%左右。", "一、经济发展\n地区生产总值增长6.4%。")

    assert result.status == "fulfilled", result.reason


def test_about_does_not_tolerate_a_growth_target_missed_by_far():
    _, result = only("一、经济发展\n地区生产总值增长6.5%左右。", "一、经济发展\n地区生产总值增长5%。")

    assert result.status == "not_fulfilled", result.reason
    assert "6.5%" in result.reason and "5%" in result.reason
