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
