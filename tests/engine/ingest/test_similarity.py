"""Shingle similarity on the real texts: near-copies land above the threshold, different reports of one
bureau far below it."""

from __future__ import annotations

import pytest

from commitments.engine.ingest.readers import read_report, read_report_bytes
from commitments.engine.ingest.similarity import NEAR_DUPLICATE_SIMILARITY, jaccard, shingles, similarity
from tests.helpers import gbk_resaved, paragraphs_of, report_page_html
from tests.paths import DEVSET, seed

# Different reports of one bureau, as the demo and the devset import them.
SAME_BUREAU_DIFFERENT_REPORTS = [
    (seed("001"), DEVSET / "zhongshan_2022_review.synthetic.txt"),
    (seed("003"), DEVSET / "lanling_2022_review.synthetic.txt"),
    (DEVSET / "hailar_2015.gbk.txt", DEVSET / "hailar_2016.gbk.txt"),
    (DEVSET / "hailar_2015_review.txt", DEVSET / "hailar_2015_plan.txt"),
    (DEVSET / "statecouncil_2018_plan.txt", DEVSET / "statecouncil_2018_review.txt"),
]


@pytest.mark.parametrize(("first", "second"), SAME_BUREAU_DIFFERENT_REPORTS, ids=lambda p: p.stem)
def test_different_reports_of_one_bureau_stay_far_below_the_threshold(first, second):
    value = similarity(read_report(first).text, read_report(second).text)

    assert value < NEAR_DUPLICATE_SIMILARITY / 3


def test_one_changed_figure_a_gbk_copy_and_the_web_page_of_a_seed_are_above_it():
    path = seed("001")
    text = read_report(path).text
    raw = path.read_bytes()
    changed = raw.replace("292个".encode(), "293个".encode(), 1)
    gbk = gbk_resaved(path)
    lines = paragraphs_of(path)
    page = report_page_html(title=lines[0], paragraphs=lines).encode("utf-8")

    copies = [
        read_report_bytes(changed, filename="a.txt").text,
        read_report_bytes(gbk, filename="a.txt").text,
        read_report_bytes(page, filename="a.html").text,
    ]

    assert all(copy != text for copy in copies)
    assert all(similarity(text, copy) >= NEAR_DUPLICATE_SIMILARITY for copy in copies)


def test_whitespace_and_full_width_forms_are_no_difference():
    assert similarity("一、新建养老机构 3 家\n二、完善救助", "一、新建养老机构３家二、完善救助") == 1.0


def test_texts_shorter_than_a_shingle_compare_whole():
    assert shingles("养老") == frozenset({"养老"})
    assert jaccard(shingles("养老"), shingles("救助")) == 0.0
    assert jaccard(frozenset(), frozenset()) == 1.0
