"""Report readers on input an analyst should not have to debug: every failure is a
`ReportReadError` with a plain Chinese reason, and odd-but-readable files still read."""

from __future__ import annotations

import io
import random
import time
import tracemalloc
import zipfile

import pytest
from opencc import OpenCC
from pypdf import PdfReader, PdfWriter
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen import canvas

from commitments.engine.ingest import readers
from commitments.engine.ingest.readers import ReadLimits, ReportReadError, read_report, read_report_bytes
from commitments.engine.ingest.readers.registry import READERS
from tests.helpers import (
    DEVSET,
    SEEDS,
    ZHONGSHAN_PLAN,
    ZHONGSHAN_SEED,
    docx_with_part,
    paragraphs_of,
    pdf_bytes,
    rtf_bytes,
    write_docx,
)

BINARY = "无法识别的文件内容：看起来是二进制文件，不是文本报告"


def read_error(path) -> ReportReadError:
    with pytest.raises(ReportReadError) as caught:
        read_report(path)
    return caught.value


def png_bytes() -> bytes:
    from PIL import Image

    image = Image.new("RGB", (400, 300), "white")
    for x in range(0, 400, 7):
        for y in range(0, 300, 5):
            image.putpixel((x, y), (x % 256, y % 256, (x * y) % 256))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


# -- Empty and binary ------------------------------------------------------------------------


def test_it_rejects_an_empty_file(tmp_path):
    (tmp_path / "report.txt").write_bytes(b"")

    error = read_error(tmp_path / "report.txt")

    assert error.reason == "文件为空"
    assert error.filename == "report.txt"


@pytest.mark.parametrize("content", [b"  \r\n\t\n   \n", "\ufeff\u3000\u3000\r\n\u3000".encode()])
def test_it_rejects_a_whitespace_only_file(tmp_path, content):
    (tmp_path / "report.txt").write_bytes(content)

    assert read_error(tmp_path / "report.txt").reason == "文件为空"


def test_it_rejects_a_png_renamed_to_txt(tmp_path):
    (tmp_path / "report.txt").write_bytes(png_bytes())

    assert read_error(tmp_path / "report.txt").reason == BINARY


def test_it_rejects_a_zip_renamed_to_txt(tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("plan.txt", ZHONGSHAN_PLAN.read_bytes())
    (tmp_path / "report.txt").write_bytes(buffer.getvalue())

    assert read_error(tmp_path / "report.txt").reason == BINARY


def test_it_rejects_random_bytes_renamed_to_txt(tmp_path):
    (tmp_path / "report.txt").write_bytes(random.Random(7).randbytes(50_000))

    assert read_error(tmp_path / "report.txt").reason == BINARY


def test_it_rejects_a_web_page_without_article_text():
    page = "<html><head><title>首页</title></head><body><div class='nav'><a href='/'>首页</a></div></body></html>"

    with pytest.raises(ReportReadError) as caught:
        read_report_bytes(page.encode(), filename="index.html")

    assert caught.value.reason == "网页中没有找到正文文字"


# -- Encodings -------------------------------------------------------------------------------


def test_it_decodes_mixed_gbk_and_utf8_lines_with_a_warning(tmp_path):
    lines = paragraphs_of(ZHONGSHAN_PLAN)
    data = b"\r\n".join(line.encode("utf-8" if index % 3 else "gb18030") for index, line in enumerate(lines))
    (tmp_path / "report.txt").write_bytes(data)

    result = read_report(tmp_path / "report.txt")

    assert result.text.split("\n") == lines
    assert result.encoding == "utf-8+gb18030"
    assert len(result.warnings) == 1
    assert "UTF-8" in result.warnings[0]
    assert "GBK" in result.warnings[0]


def test_it_decodes_short_gbk_lines_that_happen_to_be_valid_utf8(tmp_path):
    # "中" in GBK is D6 D0, which is also a valid two-byte UTF-8 character (Cyrillic "Ӑ").
    lines = ["中", "第一节", *paragraphs_of(ZHONGSHAN_PLAN)[:4]]
    (tmp_path / "report.txt").write_bytes("\r\n".join(lines).encode("gb18030"))

    result = read_report(tmp_path / "report.txt")

    assert result.text.split("\n") == lines
    assert (result.encoding, result.warnings) == ("gb18030", ())


def test_it_drops_a_few_undecodable_bytes_with_a_warning(tmp_path):
    lines = paragraphs_of(ZHONGSHAN_PLAN)
    text = "\n".join(lines)
    (tmp_path / "report.txt").write_bytes(text[:150].encode("gb18030") + b"\xff" + text[150:].encode("gb18030"))

    result = read_report(tmp_path / "report.txt")

    assert result.text.split("\n") == lines
    assert result.warnings == ("有 1 处无法识别的字节，已删除",)


def test_it_reads_a_big5_report_and_converts_it_to_simplified(tmp_path):
    traditional = "2022年工作計劃\n一、完善社會救助體系，全面提升民政服務水平。\n（一）新建社區居家養老服務站292個，實現鎮街全覆蓋。"
    (tmp_path / "report.txt").write_bytes(traditional.encode("big5"))

    result = read_report(tmp_path / "report.txt")

    assert (
        result.text
        == "2022年工作计划\n一、完善社会救助体系，全面提升民政服务水平。\n（一）新建社区居家养老服务站292个，实现镇街全覆盖。"
    )
    assert "文本为繁体中文，已转换为简体" in result.warnings


# -- Size ------------------------------------------------------------------------------------


def test_it_reads_a_5mb_report_well_under_two_seconds(tmp_path):
    seed = ZHONGSHAN_SEED.read_bytes()
    path = tmp_path / "big.txt"
    path.write_bytes(b"\n".join([seed] * (5 * 1024 * 1024 // len(seed) + 1)))

    started = time.perf_counter()
    result = read_report(path)
    elapsed = time.perf_counter() - started

    assert path.stat().st_size > 5 * 1024 * 1024
    assert elapsed < 2.0
    assert result.text.count("2022年工作计划") > 200
    assert result.warnings == ()


def test_it_reads_a_5mb_gb18030_report_well_under_two_seconds(tmp_path):
    report = (DEVSET / "hailar_2015.gbk.txt").read_bytes()
    path = tmp_path / "big.txt"
    path.write_bytes(b"\r\n".join([report] * (5 * 1024 * 1024 // len(report) + 1)))

    started = time.perf_counter()
    # 5 MB of GBK is 2.7 million characters, above the default limit: the decoding speed is measured.
    result = read_report(path, limits=ReadLimits(max_chars=3_000_000))
    elapsed = time.perf_counter() - started

    assert elapsed < 2.0
    assert result.encoding == "gb18030"
    assert "\r" not in result.text


def test_it_rejects_a_file_above_the_size_limit(tmp_path):
    path = tmp_path / "report.txt"
    path.write_bytes(ZHONGSHAN_PLAN.read_bytes())

    reason = read_error_with_limit(path, 4096)

    assert reason == "文件太大：8.7 KB，超过了导入上限 4.0 KB"


def test_it_rejects_an_upload_above_the_size_limit():
    with pytest.raises(ReportReadError) as caught:
        read_report_bytes(b"x" * 2001, filename="report.txt", max_bytes=2000)

    assert caught.value.reason == "文件太大：2001 字节，超过了导入上限 2000 字节"


def read_error_with_limit(path, max_bytes: int) -> str:
    with pytest.raises(ReportReadError) as caught:
        read_report(path, max_bytes=max_bytes)
    return caught.value.reason


# -- Traditional Chinese ---------------------------------------------------------------------


def test_it_converts_traditional_chinese_to_simplified_with_a_warning(tmp_path):
    simplified = SEEDS / "003_63dd4d515c864998.txt"
    (tmp_path / "report.txt").write_text(
        OpenCC("s2t").convert(simplified.read_text(encoding="utf-8")), encoding="utf-8"
    )

    result = read_report(tmp_path / "report.txt")

    assert result.warnings == ("文本为繁体中文，已转换为简体",)
    expected = read_report(simplified).text
    assert len(result.text) == len(expected)
    differing = sum(1 for got, want in zip(result.text, expected, strict=True) if got != want)
    assert differing < len(expected) * 0.002  # OpenCC round trips are not perfect (著/着, 乾/干)


def test_it_converts_a_traditional_docx_and_its_title(tmp_path):
    path = write_docx(
        tmp_path / "plan.docx", ["推進養老服務體系建設。", "完善兒童福利保障體系。"], title="二〇二二年工作計劃"
    )

    result = read_report(path)

    assert result.title == "二〇二二年工作计划"
    assert result.text == "推进养老服务体系建设。\n完善儿童福利保障体系。"
    assert result.warnings == ("文本为繁体中文，已转换为简体",)


def test_it_leaves_simplified_text_with_a_few_traditional_looking_names_alone(tmp_path):
    text = ZHONGSHAN_PLAN.read_text(encoding="utf-8") + "\n参观乾隆年间著名的古建筑。"
    (tmp_path / "report.txt").write_text(text, encoding="utf-8")

    result = read_report(tmp_path / "report.txt")

    assert result.warnings == ()
    assert "乾隆" in result.text


# -- Word ------------------------------------------------------------------------------------


def test_it_rejects_a_docx_that_is_not_a_zip(tmp_path):
    (tmp_path / "plan.docx").write_bytes(ZHONGSHAN_PLAN.read_bytes())

    reason = read_error(tmp_path / "plan.docx").reason

    assert reason.startswith("不是有效的 Word (.docx) 文件")


def test_it_rejects_a_truncated_docx(tmp_path):
    data = write_docx(tmp_path / "full.docx", paragraphs_of(ZHONGSHAN_PLAN)).read_bytes()
    (tmp_path / "plan.docx").write_bytes(data[: len(data) // 2])

    reason = read_error(tmp_path / "plan.docx").reason

    assert reason.startswith("不是有效的 Word (.docx) 文件")


def test_it_rejects_a_zip_without_word_document(tmp_path):
    with zipfile.ZipFile(tmp_path / "plan.docx", "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/styles.xml", "<styles/>")

    reason = read_error(tmp_path / "plan.docx").reason

    assert reason == "不是有效的 Word (.docx) 文件：缺少正文部分 word/document.xml，文件可能已损坏"


def test_it_rejects_a_docx_with_broken_xml(tmp_path):
    source = write_docx(tmp_path / "full.docx", paragraphs_of(ZHONGSHAN_PLAN))
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(tmp_path / "plan.docx", "w") as broken:
        for item in original.infolist():
            content = original.read(item.filename)
            broken.writestr(item, content[:200] if item.filename == "word/document.xml" else content)

    reason = read_error(tmp_path / "plan.docx").reason

    assert reason.startswith("Word (.docx) 文件已损坏，无法解析")


def test_it_rejects_an_empty_docx(tmp_path):
    path = write_docx(tmp_path / "plan.docx", ["", "   "])

    assert read_error(path).reason == "Word 文档中没有文字内容"


# -- PDF -------------------------------------------------------------------------------------


def test_a_pdf_without_text_layer_needs_ocr_where_none_runs_and_one_without_chinese_is_refused(tmp_path):
    from commitments.engine.ingest.readers import ReadLimits
    from commitments.engine.ingest.readers.ocr import NEEDS_OCR, NO_CHINESE, NeedsOcr

    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer)
    pdf.drawImage(ImageReader(io.BytesIO(png_bytes())), 50, 300, width=500, height=375)
    pdf.showPage()
    pdf.save()
    (tmp_path / "scan.pdf").write_bytes(buffer.getvalue())

    refused = read_error(tmp_path / "scan.pdf")  # the default limits: no OCR (as in a web request)
    assert isinstance(refused, NeedsOcr) and refused.reason == NEEDS_OCR.format(what="PDF ")
    with pytest.raises(ReportReadError) as caught:
        read_report(tmp_path / "scan.pdf", limits=ReadLimits(ocr_max_pages=10))
    assert caught.value.reason == NO_CHINESE


def test_it_rejects_a_password_protected_pdf(tmp_path):
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf_bytes([paragraphs_of(ZHONGSHAN_PLAN)[:2]]))))
    writer.encrypt(user_password="secret", owner_password="bureau", algorithm="AES-128")
    writer.write(tmp_path / "locked.pdf")

    assert read_error(tmp_path / "locked.pdf").reason == "PDF 已加密，需要密码才能读取：请导入未加密的版本"


@pytest.mark.parametrize("cut", [0.5, 0.05])
def test_it_rejects_a_truncated_pdf(tmp_path, cut):
    data = pdf_bytes([paragraphs_of(ZHONGSHAN_PLAN)[:3]])
    (tmp_path / "plan.pdf").write_bytes(data[: int(len(data) * cut)])

    reason = read_error(tmp_path / "plan.pdf").reason

    assert reason.startswith("PDF")
    assert "Traceback" not in reason


def test_it_rejects_a_pdf_that_is_only_a_header(tmp_path):
    (tmp_path / "plan.pdf").write_bytes(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\nnot really a pdf\n")

    assert read_error(tmp_path / "plan.pdf").reason == "PDF 文件已损坏或格式不正确，无法读取"


# -- Paths and crashes -----------------------------------------------------------------------


def test_it_rejects_a_missing_file(tmp_path):
    error = read_error(tmp_path / "missing.txt")

    assert error.reason.startswith("文件不存在：")
    assert error.filename == "missing.txt"


def test_it_rejects_a_directory(tmp_path):
    assert read_error(tmp_path).reason.startswith("这是一个文件夹，不是文件：")


def test_it_turns_an_unexpected_reader_crash_into_a_read_error(monkeypatch):
    text_reader = next(reader for reader in READERS if reader.format == "txt")

    def crash(data, *, filename, limits):
        raise RuntimeError("boom")

    monkeypatch.setattr(text_reader, "read", crash)

    with pytest.raises(ReportReadError) as caught:
        read_report_bytes(ZHONGSHAN_PLAN.read_bytes(), filename="计划.txt")

    assert caught.value.reason == "读取文件“计划.txt”时出错：纯文本内容无法解析（RuntimeError: boom）"
    assert caught.value.filename == "计划.txt"


def test_the_package_exports_the_documented_api():
    assert {"read_report", "read_report_bytes", "ReadResult", "ReportReadError", "SUPPORTED_EXTENSIONS"} <= set(
        readers.__all__
    )


# -- Input limits (ReadLimits) ---------------------------------------------------------------


def read_bytes_error(data: bytes, filename: str, **options) -> ReportReadError:
    with pytest.raises(ReportReadError) as caught:
        read_report_bytes(data, filename=filename, **options)
    return caught.value


def test_a_report_above_the_character_limit_is_refused_with_the_limit_named():
    seed = ZHONGSHAN_SEED.read_text(encoding="utf-8")
    text = "\n".join([seed] * (2_000_000 // len(seed) + 1))

    started = time.perf_counter()
    error = read_bytes_error(text.encode("utf-8"), "计划.txt")

    assert time.perf_counter() - started < 2.0
    assert error.reason.startswith(f"报告文字太多：有 {len(text):,} 字，超过了每份报告 2,000,000 字的上限")
    assert "拆成几个文件" in error.reason


def test_the_character_limit_is_the_callers_to_set():
    error = read_bytes_error(ZHONGSHAN_PLAN.read_bytes(), "计划.txt", limits=ReadLimits(max_chars=1000))

    assert "超过了每份报告 1,000 字的上限" in error.reason


@pytest.mark.parametrize(
    "body",
    [
        "<div>" * 100_000 + "一是落实养老服务政策。" + "</div>" * 100_000,
        "<font>" * 50_000 + "一是落实养老服务政策。",  # never closed
    ],
    ids=["100000-nested-divs", "50000-unclosed-tags"],
)
def test_a_page_nested_deeper_than_the_limit_is_refused_at_once(body):
    data = f"<html><body>{body}</body></html>".encode()

    started = time.perf_counter()
    error = read_bytes_error(data, "page.html")

    assert time.perf_counter() - started < 1.0
    assert error.reason.startswith("网页的标签嵌套超过了 500 层的上限")
    assert "另存为 PDF" in error.reason


def test_a_page_with_more_elements_than_the_limit_is_refused():
    data = ("<html><body>" + "<p>新建社区养老服务站30个。</p>" * 2000 + "</body></html>").encode()

    error = read_bytes_error(data, "page.html", limits=ReadLimits(html_max_nodes=1000))

    assert error.reason.startswith("网页的标签超过了 1,000 个的上限")


def test_a_deep_page_within_the_limit_is_read_in_time_linear_in_its_depth():
    # Nested <div class="title">s: every one is furniture-checked and a heading candidate, the two
    # walks that used to look at each element's whole subtree (4,000 levels: 13 s).
    depth = 4000
    body = '<div class="title">' * depth + "一是落实养老服务政策，新建社区养老服务站30个。" + "</div>" * depth
    data = f"<html><head><title>计划</title></head><body>{body}</body></html>".encode()

    started = time.perf_counter()
    result = read_report_bytes(data, filename="page.html", limits=ReadLimits(html_max_depth=depth + 10))

    assert time.perf_counter() - started < 2.0
    assert result.text == "一是落实养老服务政策，新建社区养老服务站30个。"


@pytest.mark.parametrize(
    ("size", "reason"),
    [
        (
            60 * 1024 * 1024,
            "Word (.docx) 文件中的部件 word/document.xml 解压后有 60.0 MB，超过了每个部件 50.0 MB 的上限",
        ),
        (8 * 1024 * 1024, "Word (.docx) 文件中的部件 word/document.xml 的压缩比为"),
    ],
    ids=["too-large", "too-compressed"],
)
def test_a_docx_zip_bomb_is_refused_from_its_directory_before_anything_is_inflated(tmp_path, size, reason):
    source = write_docx(tmp_path / "plan.docx", paragraphs_of(ZHONGSHAN_PLAN)[:3])
    data = docx_with_part(source, "word/document.xml", b" " * size)

    tracemalloc.start()
    try:
        error = read_bytes_error(data, "plan.docx")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()

    assert error.reason.startswith(reason)
    assert "另存为 .docx" in error.reason
    assert peak < 5 * 1024 * 1024


def test_a_docx_whose_directory_understates_a_part_is_refused_without_inflating_it(tmp_path):
    source = write_docx(tmp_path / "plan.docx", paragraphs_of(ZHONGSHAN_PLAN)[:3])
    data = docx_with_part(source, "word/document.xml", b" " * (30 * 1024 * 1024), declared_size=4096)

    tracemalloc.start()
    try:
        error = read_bytes_error(data, "plan.docx")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()

    assert error.reason.startswith("Word (.docx) 文件中的部件 word/document.xml 已损坏，或与压缩包目录记录的大小不符")
    assert peak < 5 * 1024 * 1024


@pytest.mark.parametrize("filename", ["report.html", "report.htm", "report.shtml"])
def test_random_bytes_named_as_a_web_page_are_refused_as_binary(filename):
    error = read_bytes_error(random.Random(7).randbytes(50_000), filename)

    assert error.reason == BINARY


@pytest.mark.parametrize("filename", ["报告.doc", "报告.txt", "报告.rtf", "报告"])
def test_an_rtf_file_is_refused_by_its_format_whatever_its_name(filename):
    data = rtf_bytes(paragraphs_of(ZHONGSHAN_PLAN)[:5])

    error = read_bytes_error(data, filename)

    assert error.reason.startswith("这是 RTF 格式的文件")
    assert "另存为 .docx 后导入" in error.reason
    assert error.filename == filename


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
@pytest.mark.parametrize(
    "path", [ZHONGSHAN_PLAN, DEVSET / "sampled" / "statecouncil_2013_plan.txt"], ids=["zhongshan", "statecouncil"]
)
def test_it_reads_utf16_without_a_bom(path, codec):
    # statecouncil_2013 has almost as many NULs at the low byte's parity (一 is U+4E00) as at the high.
    expected = read_report(path)

    result = read_report_bytes(path.read_text(encoding="utf-8").encode(codec), filename="计划.txt")

    assert (result.text, result.encoding) == (expected.text, "utf-16")


ENTITY_PARAGRAPHS = ["一是落实&xxe;政策。二是完善社会救助体系。", "新建社区养老服务站30个。"]
EXPECTED_TEXT = "一是落实政策。二是完善社会救助体系。\n新建社区养老服务站30个。"
XXE = '<!DOCTYPE {root} [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'


def laughs(levels: int) -> str:
    """A DOCTYPE declaring &lol{levels}; as 10 ** levels "lol"s: billion laughs at 9 levels."""
    declarations = "".join(f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10}">' for n in range(1, levels + 1))
    return '<!DOCTYPE {root} [<!ENTITY lol0 "lol">' + declarations + "]>"


def entity_docx(tmp_path, doctype: str, entity: str = "&xxe;") -> bytes:
    source = write_docx(tmp_path / "plan.docx", [p.replace("&xxe;", "XXE") for p in ENTITY_PARAGRAPHS])
    with zipfile.ZipFile(source) as archive:
        document = archive.read("word/document.xml").decode()
    head, _, rest = document.partition("?>")
    document = head + "?>" + doctype.format(root="w:document") + rest.replace("XXE", entity)
    return docx_with_part(source, "word/document.xml", document.encode())


@pytest.mark.parametrize(("doctype", "entity"), [(XXE, "&xxe;"), (laughs(3), "&lol3;")], ids=["xxe", "laughs"])
def test_a_docx_entity_is_dropped_without_the_text_around_it_and_never_expanded(tmp_path, doctype, entity):
    data = entity_docx(tmp_path, doctype, entity)

    result = read_report_bytes(data, filename="plan.docx")

    assert result.text == EXPECTED_TEXT


def test_a_billion_laughs_docx_is_refused_at_once(tmp_path):
    data = entity_docx(tmp_path, laughs(9), "&lol9;")

    started = time.perf_counter()
    error = read_bytes_error(data, "plan.docx")

    assert time.perf_counter() - started < 2.0
    assert error.reason == "Word (.docx) 文件已损坏，无法解析：内部 XML 格式错误"  # libxml2 stops the amplification


@pytest.mark.parametrize(
    ("doctype", "entity"),
    [("", "&xxe;"), ("<!DOCTYPE html>", "&xxe;"), (XXE, "&xxe;"), (laughs(9), "&lol9;")],
    ids=["none", "html5", "xxe", "billion-laughs"],
)
def test_a_web_page_entity_is_dropped_without_the_text_around_it_and_never_expanded(doctype, entity):
    paragraphs = "".join(f"<p>{p.replace('&xxe;', entity)}</p>" for p in ENTITY_PARAGRAPHS)
    page = doctype.format(root="html") + f"<html><body><div>{paragraphs}</div></body></html>"

    started = time.perf_counter()
    result = read_report_bytes(page.encode(), filename="page.html")

    assert time.perf_counter() - started < 2.0
    assert result.text == EXPECTED_TEXT


def test_known_html_entities_still_read_as_their_characters():
    page = "<html><body><p>一是落实&ldquo;放管服&rdquo;改革&amp;政策&nbsp;措施。</p></body></html>"

    assert read_report_bytes(page.encode(), filename="page.html").text == "一是落实“放管服”改革&政策 措施。"
