"""commitments.engine.matching.units: review sections cut into evidence clauses with their heading path."""

from __future__ import annotations

import pytest

from commitments.engine.analyse import analyse_text
from commitments.engine.matching.units import problem_spans, review_units
from commitments.engine.types import SectionSpan

REVIEW = """2022年工作总结
一、社会救助体系更加完善
（一）兜底保障更加有力
一是低保标准稳步提高。全市城乡低保标准提高到每人每月1100元；二是临时救助覆盖全部镇街，全年实施临时救助3200人次。
（二）流浪乞讨人员救助
开展长期滞留人员寻亲返乡攻坚行动，帮助86名滞留人员返乡。
二、养老服务加快发展
完成《中山市养老服务规划》编写。全市公办养老机构护理型床位占比达到53.6%。
"""
HEADINGS = ("2022年工作总结", "社会救助体系更加完善", "兜底保障更加有力", "流浪乞讨人员救助", "养老服务加快发展")


@pytest.fixture(scope="module")
def sections() -> list[SectionSpan]:
    sections = analyse_text(REVIEW, year=2023).sections
    assert [(s.kind, s.year) for s in sections] == [("review", 2022)]
    return sections


@pytest.fixture(scope="module")
def units(sections):
    return review_units(REVIEW, sections)


def unit_with(units, words: str):
    (unit,) = [u for u in units if words in u.text]
    return unit


def test_units_point_exactly_at_their_text(units):
    assert units
    for unit in units:
        assert REVIEW[unit.start : unit.end] == unit.text
        assert unit.section_index == 0
    assert [u.start for u in units] == sorted(u.start for u in units)


def test_sentences_and_semicolon_clauses_are_units_without_their_closing_mark(units):
    texts = [u.text for u in units]

    assert "全市城乡低保标准提高到每人每月1100元" in texts
    assert "完成《中山市养老服务规划》编写" in texts
    assert "全市公办养老机构护理型床位占比达到53.6%" in texts
    assert unit_with(units, "临时救助3200人次").text.startswith("临时救助覆盖全部镇街")
    assert not any(t.endswith(("。", "；", "，")) for t in texts)


def test_lead_enumerators_are_left_out_of_the_units(units):
    assert not any(u.text.startswith(("一是", "二是")) for u in units)
    assert unit_with(units, "3200人次").text.startswith("临时救助")


def test_headings_are_not_units(units):
    texts = [u.text for u in units]
    assert not any(heading in text for heading in HEADINGS for text in texts)
    assert not any(t.startswith(("一、", "二、", "（一）", "（二）")) for t in texts)


def test_units_carry_the_path_of_headings_above_them(units):
    assert unit_with(units, "1100元").topic_path == ("社会救助体系更加完善", "兜底保障更加有力")
    assert unit_with(units, "寻亲返乡").topic_path == ("社会救助体系更加完善", "流浪乞讨人员救助")
    assert unit_with(units, "养老服务规划").topic_path == ("养老服务加快发展",)
    assert unit_with(units, "53.6%").topic_path == ("养老服务加快发展",)


def test_offsets_count_from_the_start_of_the_report_not_of_the_section():
    prefix = "中山市民政局\n某某说明文字，与回顾无关。\n"
    text = prefix + REVIEW
    sections = analyse_text(text, year=2023).sections
    reviews = [s for s in sections if s.kind == "review"]

    units = review_units(text, reviews)

    assert units and all(text[u.start : u.end] == u.text for u in units)
    assert unit_with(units, "53.6%").start > len(prefix)


def test_only_the_given_sections_are_read(sections):
    other = SectionSpan("review", 2021, "", "", 0, 0)

    units = review_units(REVIEW, [other, *sections])

    assert units and {u.section_index for u in units} == {1}


def test_a_section_without_sentences_has_no_units():
    text = "2022年工作总结\n。。；；\n（一）\n"
    assert review_units(text, [SectionSpan("review", 2022, "", "2022年工作总结", 0, len(text))]) == []


def test_the_reviews_account_of_its_problems_is_marked(sections, units):
    assert not any(u.problem for u in units)
    text = (
        REVIEW + "思危方能居安。在肯定成绩的同时，要清醒看到面临的问题。养老服务供给结构有待优化，基层力量相对薄弱。\n"
    )
    found = review_units(text, analyse_text(text, year=2023).sections)

    problems = [u.text for u in found if u.problem]
    assert problems == [
        "思危方能居安",
        "在肯定成绩的同时，要清醒看到面临的问题",
        "养老服务供给结构有待优化，基层力量相对薄弱",
    ]


@pytest.mark.parametrize(
    "tail",
    [
        "思危方能居安。在肯定成绩的同时，要清醒看到面临的问题。养老服务供给结构有待优化，基层力量相对薄弱。\n",
        "三、存在的问题\n养老服务供给结构有待优化。\n2023年工作计划\n新建社区养老服务站30个。\n",
    ],
)
def test_the_shaded_problem_spans_hold_exactly_the_units_flagged_as_problems(tail):
    """The review page shades `problem_spans`; a unit is flagged a problem exactly when it lies in one."""
    from commitments.engine.matching.engine import review_sections_for

    text = REVIEW + tail
    sections = analyse_text(text, year=2023).sections
    chosen = [sections[i] for i in review_sections_for(sections, year=2022)]
    spans = problem_spans(text, chosen)
    found = review_units(text, chosen)

    assert spans and any(u.problem for u in found)
    for unit in found:
        assert unit.problem == any(a <= unit.start and unit.end <= b for a, b in spans), unit.text


def test_a_problems_part_of_its_own_is_marked():
    text = REVIEW + "三、存在的问题\n养老服务供给结构有待优化。\n2023年工作计划\n新建社区养老服务站30个。\n"
    sections = analyse_text(text, year=2023).sections
    from commitments.engine.matching.engine import review_sections_for

    chosen = [sections[i] for i in review_sections_for(sections, year=2022)]
    found = review_units(text, chosen)

    assert [u.text for u in found if u.problem] == ["养老服务供给结构有待优化"]


def test_a_paragraph_about_what_was_done_about_problems_is_not_an_account_of_problems():
    text = REVIEW + "针对工作中还存在的问题，开展养老机构安全专项整治。全市养老机构全部完成消防改造。\n"
    found = review_units(text, analyse_text(text, year=2023).sections)

    assert not any(u.problem for u in found)


def test_lessons_the_review_draws_are_not_evidence():
    text = REVIEW + "五年来积累了宝贵经验。主要是：必须坚持党委领导，狠抓执行。必须把发展牢牢抓在手上。\n"
    found = [u.text for u in review_units(text, analyse_text(text, year=2023).sections)]

    assert "五年来积累了宝贵经验" in found
    assert not any("必须" in u for u in found)
