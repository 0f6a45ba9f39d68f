"""Hard-wrapped reports (text taken from a PDF set at 28 characters a line): the layout's line breaks
are told from the writer's, so extraction, sectioning and matching see the same sentences."""

from __future__ import annotations

import re

import pytest

from commitments.engine.evaluation import analyse_text
from commitments.engine.ingest.readers import read_report_bytes
from commitments.engine.ingest.wrapping import unwrap, wrap_width
from commitments.engine.matching.engine import match_commitments, review_sections_for
from tests.helpers import hard_wrap
from tests.paths import DEVSET


def squeezed(text: str) -> str:
    return re.sub(r"\s", "", text)


@pytest.fixture(scope="module")
def plan():
    return (DEVSET / "zhongshan_2022_plan.txt").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def review():
    return (DEVSET / "zhongshan_2022_review.synthetic.txt").read_text(encoding="utf-8")


def test_the_width_of_a_hard_wrapped_report_is_found(plan):
    assert wrap_width(hard_wrap(plan).split("\n")) == pytest.approx(28, abs=1)


def test_a_report_with_a_paragraph_a_line_is_not_taken_for_wrapped():
    # Its headings stop without punctuation and have about the same width, but its paragraphs are wider.
    text = (DEVSET / "hailar_2015_plan.txt").read_text(encoding="utf-8")
    assert wrap_width(text.split("\n")) is None
    assert unwrap(text) == text


def test_unwrap_gives_back_the_paragraphs(plan):
    assert unwrap(hard_wrap(plan)) == plan


def test_a_hard_wrapped_report_is_stored_with_its_paragraphs_whole_and_says_so(plan):
    result = read_report_bytes(hard_wrap(plan).encode("utf-8"), filename="计划.txt")

    assert result.text == read_report_bytes(plan.encode("utf-8"), filename="计划.txt").text
    assert any("折行" in w for w in result.warnings)


def test_a_hard_wrapped_plan_gives_the_same_sections_and_commitments(plan):
    flat = analyse_text(plan, year=2022)
    wrapped = analyse_text(read_report_bytes(hard_wrap(plan).encode("utf-8"), filename="p.txt").text, year=2022)

    assert [(s.kind, s.year) for s in wrapped.sections] == [(s.kind, s.year) for s in flat.sections]
    assert [c.text for c in wrapped.commitments] == [c.text for c in flat.commitments]
    assert [c.targets for c in wrapped.commitments] == [c.targets for c in flat.commitments]


def test_the_pipeline_reads_wrapped_text_it_is_given_directly(plan):
    """Text that did not come through a reader (the API, a test) is read across the layout's lines too."""
    flat, wrapped = analyse_text(plan, year=2022), analyse_text(hard_wrap(plan), year=2022)

    assert [(s.kind, s.year) for s in wrapped.sections] == [(s.kind, s.year) for s in flat.sections]
    found = {squeezed(c.text) for c in flat.commitments}
    same = sum(squeezed(c.text) in found for c in wrapped.commitments)
    assert same >= 0.9 * len(flat.commitments) and len(wrapped.commitments) <= 1.1 * len(flat.commitments)


def test_a_wrapped_line_that_reads_like_a_heading_does_not_start_a_section():
    paragraph = (
        "全年新建社区养老服务站20个，改造提升镇街综合养老服务中心5个，推动居家社区养老服务网络建设工作取得新成效。"
    )
    text = "2022年工作计划\n" + "\n".join([paragraph] * 6)
    wrapped = hard_wrap(text, width=24)
    assert "得新成效。" in wrapped.split("\n")  # a line of its own that reads like a review heading

    sections = analyse_text(wrapped, year=2022).sections

    assert [(s.kind, s.year) for s in sections] == [("plan", 2022)]


def test_a_hard_wrapped_pair_is_matched_like_the_flat_one(plan, review):
    def run(plan_text, review_text):
        commitments = analyse_text(plan_text, year=2022).commitments
        sections = analyse_text(review_text, year=2023).sections
        chosen = [sections[i] for i in review_sections_for(sections, year=2022)]
        return match_commitments(
            commitments, review_text, chosen, corpus=[plan_text, review_text], use_embeddings=False
        )

    flat = run(plan, review)
    wrapped_review = hard_wrap(review)
    wrapped = run(hard_wrap(plan), wrapped_review)

    by_text = {squeezed(c.evidence[0].text): c.status for c in flat}
    assert len(wrapped) >= 0.9 * len(flat)
    same = sum(by_text.get(squeezed(r.evidence[0].text)) == r.status for r in wrapped)
    assert same >= 0.85 * len(flat)
    for result in wrapped:
        for ev in result.evidence:
            assert wrapped_review[ev.start : ev.end] == ev.text  # stored as it stands in the report


def test_a_long_wrapped_section_is_read_in_pieces_cut_at_a_sentence_end(plan):
    from commitments.engine.nlp.extract import paragraph_chunks

    wrapped = hard_wrap(plan)
    pieces = list(paragraph_chunks(wrapped, 0, len(wrapped), size=1200))

    assert len(pieces) > 2
    for _, end in pieces[:-1]:
        assert wrapped[:end].rstrip()[-1] in "。；"  # never mid-sentence, though every line end is a cut


def test_page_numbers_between_the_pages_of_a_paragraph_are_dropped(plan):
    lines = hard_wrap(plan).split("\n")
    pages = []
    for page, first in enumerate(range(0, len(lines), 22), start=1):  # GB/T 9704: 22 lines a page
        pages += [*lines[first : first + 22], f"— {page} —"]

    result = read_report_bytes("\n".join(pages).encode("utf-8"), filename="计划.txt")

    assert result.text == read_report_bytes(plan.encode("utf-8"), filename="计划.txt").text


# A web page saved as text keeps a paragraph a line, but an inline element (a figure, a link, a
# subscript) may land on a line of its own, with an empty one left as a zero-width space.
WEB_BROKEN = (
    "——经济运行缓中趋稳、稳中向好。国内生产总值达到74.4\n\u200b\n万亿元，增长6.7%。\n"
    "——基础设施支撑能力持续提升。新建\n高速铁路\n投产里程超过1900公里。\n"
    "污染防治得到加强，细颗粒物（PM\n2.5\n）浓度继续下降。\n"
    "二、2017年工作总体部署\n"
)


def test_inline_elements_on_lines_of_their_own_are_taken_back_into_their_sentence():
    assert unwrap(WEB_BROKEN).split("\n") == [
        "——经济运行缓中趋稳、稳中向好。国内生产总值达到74.4万亿元，增长6.7%。",
        "——基础设施支撑能力持续提升。新建高速铁路投产里程超过1900公里。",
        "污染防治得到加强，细颗粒物（PM2.5）浓度继续下降。",
        "二、2017年工作总体部署",
        "",
    ]


def test_a_paragraph_a_line_report_keeps_its_headings_and_paragraphs():
    text = "一、2016年工作回顾\n过去一年，经济运行稳中向好。\n（一）稳增长\n新增就业1314万人。\n"
    assert unwrap(text) == text


def test_a_numbered_line_starts_a_list_item_even_after_an_unfinished_one():
    text = "凡为过往，皆为序章。全县民政事业发展站到了新的起点\n16、全面强化党建。\n（2）兜牢民生底线。"
    assert unwrap(text) == text


def test_the_review_units_of_a_real_web_page_hold_their_figures_whole():
    from commitments.engine.matching.units import review_units

    for name, year, wanted in (
        ("sampled/statecouncil_2016_review.txt", 2017, "国内生产总值达到74.4万亿元，增长6.7%"),
        ("statecouncil_2018_review.txt", 2019, "细颗粒物（PM2.5）浓度继续下降"),
    ):
        review = (DEVSET / name).read_text(encoding="utf-8")
        sections = [s for s in analyse_text(review, year=year).sections if s.kind == "review"]
        texts = [re.sub(r"\s|\u200b", "", u.text) for u in review_units(review, sections)]
        assert any(wanted in t for t in texts), name


def test_the_rows_of_a_table_saved_as_text_stay_rows():
    text = "序号\t工作任务\t责任单位\n1\t完成养老院改造。建成食堂\t民政局\n2\t开展专项行动\t民政局\n"
    assert unwrap(text) == text
