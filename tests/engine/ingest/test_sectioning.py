"""Sectioning: report parts, their years and periods, on the real seeds and on hand-made texts."""

from commitments.engine.ingest.sectioning import classify_heading, split_sections
from tests.paths import DEVSET, read_seed


def parts(text, **kwargs):
    sections, year, warnings = split_sections(text, **kwargs)
    return [(s.kind, s.year, s.period) for s in sections if s.kind != "other"], year, warnings


def test_seed_001_page_gives_review_2021_and_plan_2022_despite_breadcrumb_and_title():
    found, year, _ = parts(read_seed("001"))
    assert found == [("review", 2021, ""), ("plan", 2022, "")]
    assert year == 2022


def test_seed_003_plan_heading_is_2022_work_intentions():
    sections, _, _ = split_sections(read_seed("003"))
    plan = [s for s in sections if s.kind == "plan"]
    assert [s.heading for s in plan] == ["三、2022年工作打算"]
    assert [(s.kind, s.year) for s in sections if s.kind == "review"] == [("review", 2021)]


def test_seed_002_trusts_the_body_year_over_the_page_title():
    text = read_seed("002")
    assert "2024年上半年" in text.splitlines()[0]
    found, year, _ = parts(text)
    assert found == [("review", 2020, "上半年"), ("plan", 2020, "下半年")]
    assert year == 2020


def test_seed_000_flattened_report_cut_off_mid_sentence_keeps_its_plan():
    text = read_seed("000")
    sections, _, _ = split_sections(text)
    found = [(s.kind, s.year, s.heading) for s in sections if s.kind != "other"]
    assert found == [("review", 2020, "一、2020年工作回顾"), ("plan", 2021, "二、2021年具体安排")]
    assert sections[-1].end == len(text.rstrip())


def test_seed_004_quarterly_speech_leaves_the_year_unknown():
    found, year, warnings = parts(read_seed("004"))
    assert ("review", None, "第三季度") in found
    assert ("plan", None, "下一阶段") in found
    assert year is None
    assert any("年份记为未知" in w for w in warnings)


def test_problems_part_is_neither_review_nor_plan():
    sections, _, _ = split_sections(read_seed("004"))
    problems = [s for s in sections if "问题" in s.heading]
    assert [s.kind for s in problems] == ["other"]


def test_page_furniture_after_the_report_is_left_out():
    sections, _, _ = split_sections(read_seed("003"))
    text = read_seed("003")
    assert "扫一扫" not in text[sections[-1].start : sections[-1].end]
    sections, _, _ = split_sections(read_seed("002"))
    assert "题库" not in read_seed("002")[sections[-1].start : sections[-1].end]


def test_plan_part_without_any_heading_is_one_plan_section():
    text = "推进养老服务设施建设，新建社区养老服务站20个。开展低保专项治理行动。"
    sections, _, warnings = split_sections(text, year_hint=2023)
    assert [(s.kind, s.year, s.start, s.end) for s in sections] == [("plan", 2023, 0, len(text))]
    assert warnings


def test_review_heading_without_year_takes_report_year_minus_one():
    text = "一、过去一年工作回顾\n完成了很多工作。\n二、2023年工作计划\n推进养老服务设施建设。"
    found, year, _ = parts(text)
    assert found == [("review", 2022, ""), ("plan", 2023, "")]
    assert year == 2023


def test_analyst_year_hint_fills_unknown_years():
    text = "一、过去一年工作回顾\n完成了很多工作。\n二、下一步工作打算\n推进养老服务设施建设。"
    found, year, _ = parts(text, year_hint=2024)
    assert found == [("review", 2023, ""), ("plan", 2024, "下一阶段")]


def test_unusual_numbering_with_fullwidth_dot_and_spaces():
    text = "一．2019年工作总结\n　　完成了很多工作。\n二． 2020年工作思路\n　　推进养老服务设施建设。"
    found, _, _ = parts(text)
    assert found == [("review", 2019, ""), ("plan", 2020, "")]


def test_five_year_plan_part_has_no_single_year():
    raw = (DEVSET / "hailar_2016.gbk.txt").read_bytes().decode("gb18030").replace("\r\n", "\n")
    found, year, _ = parts(raw)
    assert found == [("review", 2015, ""), ("plan", None, "十三五"), ("plan", 2016, "")]
    assert year == 2016


def test_title_naming_both_parts_is_not_a_section():
    assert classify_heading("2021年民政工作总结和2022年工作计划") == (None, True)
    assert classify_heading("三、对2018年政府工作的建议") == ("plan", False)
    assert classify_heading("二、清醒认识当前民政工作存在的问题") == ("other", False)


def test_text_without_chinese_has_no_sections():
    sections, _, warnings = split_sections("1234 5678 abc")
    assert sections == []
    assert warnings


def test_years_in_chinese_numerals_are_read():
    for zero in "〇零":
        text = f"二{zero}二一年工作总结\n全年新建社区养老服务站20个。\n二{zero}二二年工作计划\n新建社区养老服务站30个。"
        found, _, _ = parts(text)
        assert found == [("review", 2021, ""), ("plan", 2022, "")]


def test_a_one_sentence_paragraph_ending_in_a_task_word_is_not_a_heading():
    text = "2021年工作总结\n全年新建社区养老服务站20个。\n圆满完成全年各项工作任务。\n2022年工作计划\n新建社区养老服务站30个。"
    found, _, _ = parts(text)
    assert found == [("review", 2021, ""), ("plan", 2022, "")]


def test_more_ways_of_naming_the_parts():
    named = {
        "二、2023年工作目标": "plan",
        "三、2023年工作谋划": "plan",
        "三、2023年工作设想": "plan",
        "一、2022年主要做法": "review",
        "一、2022年工作进展": "review",
        "一、2022年工作目标完成情况": "review",
    }
    assert {heading: classify_heading(heading)[0] for heading in named} == named


def test_a_task_tables_header_row_starts_no_part_but_a_heading_with_a_tab_does():
    text = (
        "一、\t2021年工作回顾\n建成社区养老服务站20个。\n"
        "二、\t2022年工作计划\n"
        "序号\t工作任务\t责任单位\t完成时限\n"
        "1\t建成社区养老服务站30个\t养老服务科\t2022年12月底\n"
    )

    found, _, _ = parts(text)
    assert found == [("review", 2021, ""), ("plan", 2022, "")]
