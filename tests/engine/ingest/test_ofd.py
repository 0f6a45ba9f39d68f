"""OFD reports (GB/T 33190): the text of every page in reading order, page furniture gone; encrypted files,
glyph outlines, broken containers and zip bombs refused with the reason. Fixtures are written here."""

from __future__ import annotations

import io
import re
import zipfile

import pytest

from commitments.engine.ingest.readers import ReadLimits, read_report_bytes
from commitments.engine.ingest.readers.base import ReportReadError
from commitments.engine.ingest.readers.ofd import ENCRYPTED, NOT_OFD, OUTLINES_ONLY
from commitments.services.reports import report_import
from tests.helpers import hard_wrap, ofd_bytes
from tests.paths import read_seed, seed

pytestmark = pytest.mark.django_db


def seed_lines(prefix: str = "003") -> list[str]:
    """The seed as an official document prints it: paragraphs indented two spaces, wrapped at 28."""
    paragraphs = [p.strip() for p in read_seed(prefix).split("\n") if p.strip()]
    return hard_wrap("\n".join("\u3000\u3000" + p for p in paragraphs)).split("\n")


def squeezed(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.mark.parametrize("layout", ["plain", "scrambled", "split"])
def test_an_ofd_reads_back_the_reports_text_in_reading_order(layout):
    data = ofd_bytes(
        seed_lines(), title="兰陵县民政局工作总结", scramble=layout == "scrambled", split_lines=layout == "split"
    )

    result = read_report_bytes(data, filename="报告.ofd")

    assert result.format == "ofd" and result.title == "兰陵县民政局工作总结"
    expected = squeezed(read_report_bytes(seed("003").read_bytes(), filename="003.txt").text)
    # Page numbers and the running head gone, lines joined; the first page keeps its head once (as a PDF's).
    assert squeezed(result.text) == "中山市民政局文件" + expected
    assert any("页眉页脚" in w for w in result.warnings)


def test_an_ofd_imports_with_the_same_commitments_as_its_text(settings):
    settings.MATCH_EMBEDDINGS = False
    text_report = report_import(path=seed("003")).report
    texts = sorted(c.text for s in text_report.sections.all() for c in s.commitments.all())
    text_report.delete()

    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "兰陵县民政局.ofd"
        path.write_bytes(ofd_bytes(seed_lines()))
        outcome = report_import(path=path)

    assert outcome.status == "imported", outcome.reason
    assert outcome.report.source_format == "ofd"
    assert sorted(c.text for s in outcome.report.sections.all() for c in s.commitments.all()) == texts


def test_an_ofd_named_pdf_is_read_as_ofd_with_a_warning():
    result = read_report_bytes(ofd_bytes(seed_lines()), filename="报告.pdf")
    assert result.format == "ofd" and any("OFD" in w for w in result.warnings)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (ofd_bytes(["一、推进养老服务"] * 3, encrypted=True), ENCRYPTED),
        (ofd_bytes(["一、推进养老服务体系建设"] * 3, outlines=True), OUTLINES_ONLY),
        (b"PK\x03\x04 not really a zip", NOT_OFD),
    ],
    ids=["encrypted", "glyph outlines only", "corrupt zip"],
)
def test_an_unreadable_ofd_is_refused_with_its_reason(data, reason):
    with pytest.raises(ReportReadError) as refused:
        read_report_bytes(data, filename="报告.ofd")
    assert refused.value.reason == reason


def test_a_missing_page_part_is_a_clear_refusal():
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(ofd_bytes(seed_lines()))) as source, zipfile.ZipFile(buffer, "w") as copy:
        for info in source.infolist():
            if not info.filename.endswith("Page_0/Content.xml"):
                copy.writestr(info, source.read(info))
    with pytest.raises(ReportReadError, match="缺少内部部件 Doc_0/Pages/Page_0/Content.xml"):
        read_report_bytes(buffer.getvalue(), filename="报告.ofd")


def test_an_ofd_zip_bomb_is_refused_before_it_is_inflated():
    buffer = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(ofd_bytes(seed_lines()))) as source,
        zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as copy,
    ):
        for info in source.infolist():
            copy.writestr(info.filename, source.read(info))
        copy.writestr("Doc_0/Res/bomb.bin", b"\x00" * (8 * 1024 * 1024))
    with pytest.raises(ReportReadError, match="OFD 文件中的部件 Doc_0/Res/bomb.bin 的压缩比为"):
        read_report_bytes(buffer.getvalue(), filename="报告.ofd", limits=ReadLimits())


def test_a_document_listing_one_page_part_many_times_reads_it_once():
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(ofd_bytes(seed_lines()[:20]))) as source, zipfile.ZipFile(buffer, "w") as copy:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "Doc_0/Document.xml":
                page = b'<ofd:Page ID="10" BaseLoc="Pages/Page_0/Content.xml"/>'
                data = data.replace(page, page * 100_000)
            copy.writestr(info.filename, data)

    result = read_report_bytes(buffer.getvalue(), filename="报告.ofd")

    assert squeezed(result.text).count(squeezed(seed_lines()[1])) == 1


def test_an_ofd_written_by_another_writer_reads_back():
    """tests/fixtures/lanling_plan_easyofd.ofd: the lanling plan part typeset by reportlab (pdf_bytes) and
    converted by PyPI's easyofd 20260427 (`OFD().pdf2ofd(pdf, optional_text=True)`), made here once; its
    own namespace URI and layout differ from ours. (easyofd left the second page's layer empty.)"""
    from tests.paths import REPO

    data = (REPO / "tests" / "fixtures" / "lanling_plan_easyofd.ofd").read_bytes()

    result = read_report_bytes(data, filename="兰陵.ofd")

    assert result.format == "ofd" and result.text.startswith(
        "三、2022年工作打算\n2022年,全县民政系统将积极落实高质量发展要求"
    )
    assert "（一）进一步健全社会救助体系" in result.text or "(一)进一步健全社会救助体系" in result.text
