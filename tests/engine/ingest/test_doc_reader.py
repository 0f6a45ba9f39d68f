"""Word 97-2003 (.doc) reports, as government sites attach them: the fixture was written by a real
word processor (LibreOffice, see tests/fixtures/make_doc_fixtures.py) from seed 001."""

from __future__ import annotations

import datetime
import random

import olefile
import pytest

from commitments.engine.evaluation import analyse_text
from commitments.engine.ingest.readers import ReportReadError, read_report, read_report_bytes
from commitments.models import Commitment
from commitments.services.reports import report_import
from tests.helpers import seed_article
from tests.paths import REPO

DOC = REPO / "tests" / "fixtures" / "zhongshan_2021_report.doc"
TITLE = "2021年民政工作总结和2022年工作计划"
TABLE = ["指标\t2021年\t2022年目标\t备注", "社区养老服务站（个）\t20\t30", "低保标准（元/月）\t\t1200\t按年调整"]
WIDE = [
    "序号\t工作任务\t牵头单位\t配合单位\t一季度\t二季度\t三季度\t四季度\t备注",
    "1\t建成社区养老服务站30个\t养老服务科\t各镇街\t选址\t建设\t建设\t验收",
]


def lines(text: str) -> list[str]:
    return [line.strip() for line in text.split("\n") if line.strip()]


def read_error(data: bytes, filename: str = "plan.doc") -> str:
    with pytest.raises(ReportReadError) as caught:
        read_report_bytes(data, filename=filename)
    return caught.value.reason


def fib_offset(data: bytes) -> int:
    """Where the WordDocument stream (its File Information Block first) lies in the file."""
    with olefile.OleFileIO(bytes(data)) as ole:
        head = ole.openstream("WordDocument").read()[:32]
    return data.index(head)


def test_it_reads_the_text_title_and_date_of_a_doc():
    result = read_report(DOC)

    assert (result.format, result.title, result.published) == ("doc", TITLE, datetime.date(2022, 1, 29))
    text = lines(result.text)
    article = seed_article()
    # Every paragraph, in order; a manual line break inside one starts a new line.
    assert text[0] == TITLE
    assert [line for line in text if line in article] == article
    assert "（本段换行后续写）" in text
    # A table row is a line of cells, empty ones too (its row end is told by paragraph properties);
    # the page header, the footer and its PAGE field code are not read.
    assert text[-7:-2] == TABLE + WIDE  # a wide row's end is in the Data stream (sprmPHugePapx)
    assert text[-2] == "中山市民政局" and text.count("中山市民政局") == 1
    assert not any("PAGE" in line for line in text)


def test_a_doc_gives_the_same_sections_and_commitments_as_its_text():
    from_doc = analyse_text(read_report(DOC).text, title=TITLE)
    from_text = analyse_text(
        "\n".join([TITLE, *seed_article(), *TABLE, *WIDE, "中山市民政局", "2022年1月29日"]), title=TITLE
    )

    assert [(s.kind, s.year) for s in from_doc.sections if s.kind != "other"] == [("review", 2021), ("plan", 2022)]
    assert [c.text for c in from_doc.commitments] == [c.text for c in from_text.commitments]
    assert len(from_doc.commitments) > 50


@pytest.mark.django_db
def test_a_doc_is_imported_like_any_report(tmp_path):
    path = tmp_path / "2022年工作计划.doc"
    path.write_bytes(DOC.read_bytes())

    outcome = report_import(path=path)

    assert outcome.status == "imported", outcome.reason
    assert outcome.report.source_format == "doc" and outcome.report.bureau.name == "中山市民政局"
    assert Commitment.objects.filter(section__report=outcome.report).count() == outcome.commitments > 50


def test_text_deleted_in_tracked_changes_is_left_out():
    # Word keeps deleted text in the file; read as it stands, the draft would promise 20 and 30 stations.
    result = read_report(REPO / "tests" / "fixtures" / "tracked_changes.doc")

    assert lines(result.text) == ["2022年工作计划", "建成30个社区养老服务站。", "完善养老服务体系。"]


@pytest.mark.parametrize("filename", ["plan.wps", "plan.docx", "download"])
def test_a_doc_under_another_name_is_read_by_content(filename):
    result = read_report_bytes(DOC.read_bytes(), filename=filename)

    assert result.format == "doc" and lines(result.text)[0] == TITLE


def test_a_web_page_or_text_saved_as_doc_is_still_read():
    page = (
        "<html><head><title>计划</title></head><body><p>2022年工作计划</p><p>建成10个社区养老服务站。</p></body></html>"
    )
    text = "2022年工作计划\n建成10个社区养老服务站。\n"

    assert read_report_bytes(page.encode("gbk"), filename="计划.doc").format == "html"
    assert read_report_bytes(text.encode("gb18030"), filename="计划.doc").format == "txt"


# -- Bad input --------------------------------------------------------------------------------


def test_it_rejects_an_encrypted_doc():
    data = bytearray(DOC.read_bytes())
    data[fib_offset(data) + 0x0B] |= 0x01  # fEncrypted, bit 8 of FibBase's flags

    assert read_error(bytes(data)) == "Word 文档已加密，需要密码才能读取：请导入未加密的版本"


def test_it_explains_that_word_95_files_must_be_saved_again():
    data = bytearray(DOC.read_bytes())
    data[fib_offset(data) + 2 : fib_offset(data) + 4] = (104).to_bytes(2, "little")  # nFib of Word 95

    assert "Word 95 或更早版本" in read_error(bytes(data))


def test_it_says_an_office_file_that_is_no_word_document_is_not_one():
    # The same compound file with its WordDocument stream renamed, as an Excel or PowerPoint file is.
    data = DOC.read_bytes().replace("WordDocument".encode("utf-16-le"), "WordDocumenX".encode("utf-16-le"))

    reason = read_error(data)
    assert read_error(data, filename="targets.xls") == reason
    assert reason.startswith("这是 Office 复合文档，但其中没有 Word 正文") and "另存为 .docx 或 PDF" in reason


@pytest.mark.parametrize("cut", [512, 4096, 20_000])
def test_it_rejects_a_truncated_doc_with_a_reason(cut):
    reason = read_error(DOC.read_bytes()[:cut])

    assert reason.startswith("Word (.doc) 文件已损坏") or reason.startswith("读取文件“plan.doc”时出错")


def test_an_ole_header_with_nothing_behind_it_is_refused_with_a_reason():
    assert read_error(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(4096)).startswith("Word (.doc) 文件已损坏")


@pytest.mark.parametrize("fixture", ["zhongshan_2021_report.doc", "tracked_changes.doc"])
def test_damaged_bytes_give_a_reason_or_text_never_a_crash_or_a_hang(fixture):
    # Seeded: among these damages are summaries that olefile's own metadata parser loops on.
    original = (REPO / "tests" / "fixtures" / fixture).read_bytes()
    rng = random.Random(5)
    for _ in range(200):
        data = bytearray(original)
        for _ in range(rng.choice([5, 20, 100, 400])):
            data[rng.randrange(len(data))] = rng.randrange(256)
        try:
            result = read_report_bytes(bytes(data), filename="plan.doc")
        except ReportReadError as error:
            assert not error.reason.startswith("读取文件")  # the reader's own reason, not a caught crash
        else:
            assert result.text.strip()


def test_in_an_8_bit_piece_only_the_row_end_mark_ends_the_row():
    from commitments.engine.ingest.readers.doc import _mark_row_ends

    # "a", cell end, "b", cell end, row end: one byte each from offset 100; the row's run ends at 105.
    assert _mark_row_ends("a\x07b\x07\x07", 100, 1, {105}) == "a\x07b\x07\x00"
    assert _mark_row_ends("a\x07b\x07\x07", 100, 2, {110}) == "a\x07b\x07\x00"
