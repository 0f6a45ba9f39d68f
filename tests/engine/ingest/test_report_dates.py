"""The date a report bears (its dateline, or the date it is signed with) places the parts whose
headings write no year: 过去一年工作回顾 in a report of 2016-02-19 is the review of 2015."""

from __future__ import annotations

import datetime

import pytest

from commitments.engine.evaluation import analyse_text
from commitments.engine.ingest.readers import read_report_bytes
from commitments.services.reports import report_import
from tests.paths import DEVSET

BODY = "\n".join(f"（{n}）第{n}项工作已经推进，成效明显，群众满意度持续提高。" for n in range(1, 16))


@pytest.fixture(scope="module")
def hailar_2016() -> str:
    return (DEVSET / "hailar_2016.gbk.txt").read_bytes().decode("gb18030")


def yearless(report: str) -> str:
    """The real report with its part headings' years replaced by words relative to its date."""
    return report.replace("“十二五”时期和2015年工作回顾", "“十二五”时期和过去一年工作回顾").replace(
        "三、2016年工作安排", "三、今年工作安排"
    )


def read(text: str):
    return read_report_bytes(text.encode("utf-8"), filename="report.txt")


def parts(extraction) -> list[tuple[str, int | None]]:
    return [(s.kind, s.year) for s in extraction.sections if s.kind != "other" and not s.period]


def test_headings_without_a_year_are_placed_by_the_reports_dateline(hailar_2016):
    document = read(yearless(hailar_2016))
    assert document.published == datetime.date(2016, 2, 19)  # "——2016年2月19日在…会议上"

    placed = analyse_text(document.text, title=document.title, published=document.published)
    written = analyse_text(read(hailar_2016).text, title=document.title)

    assert placed.report_year == 2016
    assert parts(placed) == [("review", 2015), ("plan", 2016)] == parts(written)
    assert [c.text for c in placed.commitments] == [c.text for c in written.commitments]
    assert (
        "标题未写明年份，按报告日期（2016-02-19）推定：“一、“十二五”时期和过去一年工作回顾”为 2015 年；"
        "“三、今年工作安排”为 2016 年"
    ) in placed.warnings


def test_without_the_date_such_headings_stay_without_a_year(hailar_2016):
    document = read(yearless(hailar_2016))

    extraction = analyse_text(document.text, title=document.title)

    assert extraction.report_year is None
    assert all(year is None for _, year in parts(extraction))


@pytest.mark.parametrize(
    ("review", "plan", "signed", "years"),
    [
        ("今年工作总结", "明年工作计划", "二〇二一年十二月二十日", [("review", 2021, ""), ("plan", 2022, "")]),
        ("过去一年工作回顾", "今年工作安排", "2022年3月4日", [("review", 2021, ""), ("plan", 2022, "")]),
        # Late in the year the year past is the one ending, and the new one is the next.
        ("过去一年工作回顾", "明年工作打算", "2022年12月20日", [("review", 2022, ""), ("plan", 2023, "")]),
        ("过去一年工作回顾", "新的一年工作安排", "2023年1月10日", [("review", 2022, ""), ("plan", 2023, "")]),
        # A mid-year report: the year so far, and its second half.
        (
            "今年以来工作开展情况",
            "下半年工作打算",
            "2022年7月10日",
            [("review", 2022, "上半年"), ("plan", 2022, "下半年")],
        ),
        # No year named at all: a report dated late in the year plans for the next.
        ("主要工作成效", "下步工作打算", "2021年12月20日", [("review", 2021, ""), ("plan", 2022, "")]),
        ("主要工作成效", "工作打算", "2022年3月4日", [("review", 2021, ""), ("plan", 2022, "")]),
        ("2020年工作总结", "2021年工作计划", "2021年12月20日", [("review", 2020, ""), ("plan", 2021, "")]),
    ],
)
def test_a_report_signed_at_its_end_is_placed_by_that_date(review, plan, signed, years):
    text = f"民政工作报告\n一、{review}\n{BODY}\n二、{plan}\n{BODY}\n某某县民政局\n{signed}"
    document = read(text)

    extraction = analyse_text(document.text, title=document.title, published=document.published)

    assert [(s.kind, s.year, s.period) for s in extraction.sections if s.kind != "other"] == years
    assert extraction.report_year == years[-1][1]


@pytest.mark.parametrize(
    "closing",
    ["力争2022年12月31日前全部完成", "本办法自2023年1月1日施行", "2\t完善养老服务体系\t市民政局\t2022年12月31日"],
)
def test_a_deadline_or_a_table_row_at_the_end_is_not_the_reports_date(closing):
    document = read(f"民政工作报告\n一、主要工作成效\n{BODY}\n二、下步工作打算\n{BODY}\n{closing}")

    assert document.published is None


@pytest.mark.django_db
def test_an_imported_report_without_written_years_gets_them_from_its_date(tmp_path, hailar_2016):
    path = tmp_path / "海拉尔区政府工作报告.txt"
    path.write_text(yearless(hailar_2016), encoding="utf-8")

    outcome = report_import(path=path, bureau_name="海拉尔区人民政府")

    assert outcome.status == "imported", outcome.reason
    report = outcome.report
    assert report.year == 2016 and report.published == datetime.date(2016, 2, 19)
    assert [(s.kind, s.year) for s in report.sections.filter(kind__in=["review", "plan"], period="")] == [
        ("review", 2015),
        ("plan", 2016),
    ]
    assert any("按报告日期（2016-02-19）推定" in w for w in report.warnings)


@pytest.mark.parametrize(
    ("title", "review", "plan", "dated", "parts"),
    [
        # A year in the title wins over the date (a December summary posted in January).
        ("2021年工作总结和2022年工作计划", "今年工作总结", "明年工作计划", (2022, 1, 10), [(2021, ""), (2022, "")]),
        # Without it, a plan for 明年 posted in January was written the December before.
        ("民政工作报告", "今年工作总结", "明年工作计划", (2022, 1, 10), [(2021, ""), (2022, "")]),
        # Mid-year reports: the year so far, then the rest of it.
        (
            "民政工作报告",
            "今年以来工作开展情况",
            "下一步工作打算",
            (2022, 7, 5),
            [(2022, "上半年"), (2022, "下一阶段")],
        ),
        (
            "民政工作报告",
            "前三季度工作情况",
            "第四季度工作打算",
            (2022, 10, 15),
            [(2022, "前三季度"), (2022, "第四季度")],
        ),
        ("民政工作报告", "下半年工作总结", "明年工作计划", (2023, 1, 15), [(2022, "下半年"), (2023, "")]),
        # 新的一年 is the year after the one reviewed.
        ("民政工作报告", "今年工作总结", "新的一年工作打算", (2022, 9, 20), [(2022, ""), (2023, "")]),
        ("政府工作报告", "过去一年工作回顾", "新的一年工作安排", (2023, 1, 10), [(2022, ""), (2023, "")]),
    ],
)
def test_relative_years_and_periods_are_placed_by_the_date_as_a_reader_would(title, review, plan, dated, parts):
    text = f"{title}\n一、{review}\n{BODY}\n二、{plan}\n{BODY}"

    extraction = analyse_text(text, title=title, published=datetime.date(*dated))

    assert [(s.kind, s.year, s.period) for s in extraction.sections if s.kind != "other"] == [
        ("review", *parts[0]),
        ("plan", *parts[1]),
    ]


@pytest.mark.parametrize(
    "signature",
    [
        "中山市自然资源局 2022年1月29日",
        "广西壮族自治区民政厅\u30002022年1月29日",
        "中山市民政局办公室 2022年1月29日印发",
    ],
)
def test_a_signature_is_read_whatever_the_issuer_is_called(signature):
    document = read(f"民政工作报告\n一、主要工作成效\n{BODY}\n二、下步工作打算\n{BODY}\n{signature}")

    assert document.published == datetime.date(2022, 1, 29)
