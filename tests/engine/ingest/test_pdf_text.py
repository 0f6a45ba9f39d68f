"""A PDF's text as printed: page numbers and running headers/footers are taken out (left in, they cut
paragraphs in two and read as lines of the report), a page set glyph by glyph is put back on its
lines, and radical code points a font maps its glyphs to are read as the characters they show."""

from __future__ import annotations

import io

import pytest
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

from commitments.engine.evaluation import analyse_text
from commitments.engine.ingest.readers import read_report_bytes
from commitments.engine.ingest.readers.furniture import strip_furniture
from tests.helpers import hard_wrap
from tests.paths import DEVSET

TITLE = "中山市民政局2022年工作计划"
LINES_PER_PAGE = 24


def printed_pdf(
    text: str, *, header: str | None, footer: str | None, header_on_first: bool = False, glyphs: bool = False
) -> bytes:
    """`text` set at 28 characters a line and flowed over pages, as an office prints a report, with
    a running header (from the second page on, unless `header_on_first`) and a footer (`{page}`,
    `{pages}` filled in) on every page. With `glyphs`, every character is placed on its own, as
    typesetting systems do: a paragraph's first line indented by two characters."""
    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    lines = hard_wrap(text).split("\n")
    starts = {hard_wrap(paragraph).split("\n")[0] for paragraph in text.split("\n")}
    pages = [lines[i : i + LINES_PER_PAGE] for i in range(0, len(lines), LINES_PER_PAGE)]
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer)
    for number, page in enumerate(pages, start=1):
        pdf.setFont("STSong-Light", 12)
        if header and (number > 1 or header_on_first):
            pdf.drawString(60, 800, header)
        y = 770
        for line in page:
            if glyphs:
                x = 84 if line in starts else 60
                for ch in line:
                    pdf.drawString(x, y, ch)
                    x += 6 if ch.isascii() else 12
            else:
                pdf.drawString(60, y, line)
            y -= 28
        if footer:
            pdf.drawString(280, 40, footer.format(page=number, pages=len(pages)))
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


@pytest.fixture(scope="module")
def plan():
    text = (DEVSET / "zhongshan_2022_plan.txt").read_text(encoding="utf-8")
    return "\n".join([TITLE, *(line.strip() for line in text.splitlines() if line.strip())])


@pytest.mark.parametrize(
    ("header", "footer", "header_on_first"),
    [
        (TITLE, "— {page} —", False),
        (TITLE, "- {page} -", True),  # the title once, though the first page prints the header too
        ("中山市民政局", "第 {page} 页 共 {pages} 页", False),
        (None, "{page}", False),
    ],
)
def test_a_printed_report_is_read_without_its_page_furniture(plan, header, footer, header_on_first):
    data = printed_pdf(plan, header=header, footer=footer, header_on_first=header_on_first)

    result = read_report_bytes(data, filename="plan.pdf")

    assert result.text == plan  # whole paragraphs, across page breaks; the title once
    if header:
        assert f"已去掉每页重复印出的页眉或页脚：“{header}”" in result.warnings


def test_a_report_set_glyph_by_glyph_is_read_in_lines_and_paragraphs(plan):
    data = printed_pdf(plan, header=TITLE, footer="- {page} -", glyphs=True)

    result = read_report_bytes(data, filename="plan.pdf")

    # pypdf's plain mode gives one character a line for such pages; the text comes back whole, its
    # paragraphs indented as printed.
    assert [line.strip() for line in result.text.split("\n")] == plan.split("\n")
    assert any(w.startswith("第 1、2、3") and "逐字排版" in w for w in result.warnings)


@pytest.mark.parametrize("glyphs", [False, True], ids=["lines", "glyphs"])
def test_a_printed_report_gives_the_commitments_of_its_text(plan, glyphs):
    data = printed_pdf(plan, header=TITLE, footer="第 {page} 页 共 {pages} 页", glyphs=glyphs)

    printed = analyse_text(read_report_bytes(data, filename="plan.pdf").text, year=2022)
    flat = analyse_text(plan, year=2022)

    assert [c.text for c in printed.commitments] == [c.text for c in flat.commitments]
    assert len(flat.commitments) > 50


def test_lines_of_the_report_itself_stay():
    body = [f"（{n}）完成第{n}项工作任务" for n in range(1, 7)]
    pages = [
        "\n".join(["一、加强养老服务", "养老服务体系", *body, "提高低保标准。"]),
        "\n".join(["二、加强社会救助", *body[:3], "养老服务体系", *body[3:], "提高低保标准。"]),
        "\n".join(["三、加强基层治理", *body[:3], "养老服务体系", *body[3:], "提高低保标准。"]),
    ]

    stripped = strip_furniture(pages)

    # The pages' first headings differ; the short line repeats but stands at an edge of one page
    # only; the last lines repeat but are sentences; list items differ only in their numbers.
    assert stripped.pages == pages
    assert stripped.repeated == ()


def test_a_one_page_report_keeps_its_lines_and_loses_its_page_number():
    stripped = strip_furniture(["中山市民政局\n2022\n年度工作计划\n建成10个社区养老服务站。\n- 1 -"])

    assert stripped.pages == ["中山市民政局\n2022\n年度工作计划\n建成10个社区养老服务站。"]  # a year is no page number
    assert stripped.repeated == ()


def test_a_footer_on_the_first_page_goes_and_a_header_repeating_the_title_stays_there():
    pages = [
        "中山市民政局2022年工作计划\n一、加强养老服务\n建成10个社区养老服务站。\n中山市民政局印发",
        "中山市民政局2022年工作计划\n二、加强社会救助\n提高低保标准。\n中山市民政局印发",
        "中山市民政局2022年工作计划\n三、加强基层治理\n完善村规民约。\n中山市民政局印发",
    ]

    stripped = strip_furniture(pages)

    assert stripped.pages == [
        "中山市民政局2022年工作计划\n一、加强养老服务\n建成10个社区养老服务站。",
        "二、加强社会救助\n提高低保标准。",
        "三、加强基层治理\n完善村规民约。",
    ]
    assert stripped.repeated == ("中山市民政局印发", "中山市民政局2022年工作计划")


# What a PDF font with a radical-mapped ToUnicode table puts in the text layer for these characters.
AS_RADICALS = str.maketrans("一工生行人大民长门见", "⼀⼯⽣⾏⼈⼤⺠⻓⻔⻅")


def test_characters_a_font_maps_to_radicals_are_read_as_characters(plan):
    data = printed_pdf(plan.translate(AS_RADICALS), header=None, footer="- {page} -")
    assert "⼯作" in plan.translate(AS_RADICALS)

    result = read_report_bytes(data, filename="plan.pdf")

    assert result.text == plan
    assert any(w.startswith("文本中有") and "部首形字符" in w for w in result.warnings)
    flat = analyse_text(plan, year=2022)
    assert [c.text for c in analyse_text(result.text, year=2022).commitments] == [c.text for c in flat.commitments]


def test_a_glyph_by_glyph_page_that_layout_mode_fails_on_keeps_its_plain_text(plan, monkeypatch):
    from pypdf import PageObject

    plain = PageObject.extract_text

    def layout_fails(self, *args, extraction_mode="plain", **kwargs):
        if extraction_mode == "layout":
            raise ValueError("broken layout")
        return plain(self, *args, **kwargs)

    monkeypatch.setattr(PageObject, "extract_text", layout_fails)
    data = printed_pdf(plan, header=None, footer=None, glyphs=True)

    result = read_report_bytes(data, filename="plan.pdf")

    assert len(result.text.split("\n")) > 1000  # one character a line, but every page kept
    assert not any("逐字排版" in w or "提取失败" in w for w in result.warnings)


def body_lines(page: int) -> list[str]:
    """Seven lines of the report, different on each page (but for their numbers, at the same place)."""
    return [f"第{page}页第{n}行正文，写的是报告本身的内容" for n in range(1, 8)]


def test_the_issuer_signing_the_last_page_stays_though_the_header_names_it_too():
    pages = [
        "\n".join(["中山市民政局2022年工作计划", *body_lines(1)]),
        "\n".join(["中山市民政局", *body_lines(2)]),
        "\n".join(["中山市民政局", *body_lines(3), "中山市民政局", "2022年1月29日"]),
    ]

    stripped = strip_furniture(pages)

    assert stripped.pages[2].split("\n") == [*body_lines(3), "中山市民政局", "2022年1月29日"]
    assert stripped.repeated == ("中山市民政局",)


def test_bare_numbers_go_only_where_they_count_the_pages():
    numbered = ["\n".join([*body_lines(page), str(page)]) for page in (1, 2, 3)]
    figure = ["\n".join([*body_lines(1), "500"]), "\n".join(body_lines(2)), "\n".join(body_lines(3))]

    assert strip_furniture(numbered).pages == ["\n".join(body_lines(page)) for page in (1, 2, 3)]
    assert strip_furniture(figure).pages == figure  # a table's last figure at the foot of a page


def test_deadlines_ending_the_pages_of_a_task_table_stay():
    # A PDF that gives a task table's cells one a line: every page ends with a deadline.
    pages = [
        "\n".join([*body_lines(page), "市民政局", f"2022年{month}月底"]) for page, month in ((1, 6), (2, 9), (3, 12))
    ]

    assert strip_furniture(pages).pages == pages


def test_page_numbers_under_a_footer_and_restarting_in_an_attachment_go():
    numbers = [1, 2, 3, 1, 2]  # the report, then its attachment numbered from 1 again
    pages = ["\n".join([*body_lines(page), str(number), "中山市民政局印发"]) for page, number in enumerate(numbers)]

    stripped = strip_furniture(pages)

    assert stripped.pages == ["\n".join(body_lines(page)) for page in range(len(numbers))]
