"""Word (.docx) reports: body paragraphs and tables in document order.

Page headers and footers are left out: they repeat the bureau's name or page numbers, never the
report. Old binary .doc/.wps files have their own reader (doc.py).

A .docx is a zip: its parts are checked against the read limits from the zip directory, then read
once with a bounded read, before python-docx inflates anything (a 1 MB file can hold gigabytes).
"""

from __future__ import annotations

import io
import zipfile

import docx
from docx.table import Table
from docx.text.run import Run
from lxml import etree

from commitments.engine.ingest.readers.base import DEFAULT_LIMITS, ReadLimits, ReadResult, ReportReadError, build_result
from commitments.engine.ingest.readers.doc import OLE_MAGIC, DocReader

EMPTY = "Word 文档中没有文字内容"
NOT_ZIP = "不是有效的 Word (.docx) 文件：文件不是 ZIP 格式，可能已损坏或只是改了扩展名"
NO_DOCUMENT = "不是有效的 Word (.docx) 文件：缺少正文部分 word/document.xml，文件可能已损坏"
BROKEN = "Word (.docx) 文件已损坏，无法解析：{detail}"
_REPACK = "，文件可能已损坏或是恶意构造的压缩包。请在 Word 或 WPS 中打开它，另存为 .docx 后再导入"
PART_TOO_LARGE = "Word (.docx) 文件中的部件 {name} 解压后有 {size}，超过了每个部件 {limit} 的上限" + _REPACK
PARTS_TOO_LARGE = "Word (.docx) 文件的各部件解压后共有 {size}，超过了 {limit} 的上限" + _REPACK
PART_RATIO = "Word (.docx) 文件中的部件 {name} 的压缩比为 {ratio:.0f} 倍，超过了 {limit} 倍的上限" + _REPACK
PART_BROKEN = "Word (.docx) 文件中的部件 {name} 已损坏，或与压缩包目录记录的大小不符" + _REPACK

# A part this small cannot hurt however well it compresses, and legitimate parts do compress well:
# a table of 3,000 like rows is a 1.5 MB document.xml at 196 times. Bombs inflate ~1,000 times.
_RATIO_FLOOR_BYTES = 5 * 1024 * 1024
_READ_CHUNK = 1024 * 1024


def is_docx(data: bytes) -> bool:
    if not data.startswith(b"PK\x03\x04"):
        return False
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return "word/document.xml" in archive.namelist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return False


W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
# Runs under these are not in the text as it reads: deleted or moved away in tracked changes, or
# inside a text box anchored in the paragraph (python-docx leaves text boxes out too).
_NOT_READ = {f"{W}del", f"{W}moveFrom", f"{W}txbxContent"}
# Containers of paragraphs and tables: content controls (公文 templates use them for titles and
# dates) and custom XML; python-docx does not look inside them.
_WRAPPERS = {f"{W}sdt", f"{W}sdtContent", f"{W}customXml"}


def _read(run, paragraph) -> bool:
    parent = run.getparent()
    while parent is not None and parent is not paragraph:
        if parent.tag in _NOT_READ:
            return False
        parent = parent.getparent()
    return True


def paragraph_text(paragraph) -> str:
    """The paragraph as it reads with tracked changes accepted: inserted text (w:ins) and text in
    content controls or smart tags counts, deleted text does not. python-docx's Paragraph.text only
    sees runs that are direct children, and lost "30个" from "建成<ins>30个</ins>社区养老服务站"."""
    return "".join(Run(run, None).text for run in paragraph.iter(f"{W}r") if _read(run, paragraph))


def _cell_lines(cell) -> list[str]:
    return [line for line in _lines(cell._tc, cell) if line.strip()]


def _table_lines(table: Table) -> list[str]:
    """One line per row, cells separated by tabs; a one-cell layout table keeps its paragraphs."""
    lines = []
    for row in table.rows:
        cells = []
        for cell in row.cells:
            # A merged cell is returned once per grid column it spans; read it once.
            if not any(cell._tc is seen._tc for seen in cells):
                cells.append(cell)
        if len(cells) == 1:
            lines.extend(_cell_lines(cells[0]))
        elif cells:
            lines.append("\t".join(" ".join(_cell_lines(cell)) for cell in cells))
    return lines


def _lines(element, parent) -> list[str]:
    """Paragraphs and table rows in document order, inside content controls too."""
    lines = []
    for child in element.iterchildren():
        if child.tag == f"{W}p":
            lines.append(paragraph_text(child))
        elif child.tag == f"{W}tbl":
            lines.extend(_table_lines(Table(child, parent)))
        elif child.tag in _WRAPPERS:
            lines.extend(_lines(child, parent))
    return lines


def _megabytes(count: int) -> str:
    return f"{count / (1024 * 1024):.1f} MB"


def _check_directory(archive: zipfile.ZipFile, limits: ReadLimits) -> None:
    """Refuse a zip bomb by what its directory declares, before anything is inflated."""
    total = 0
    for info in archive.infolist():
        if info.file_size > limits.zip_max_member_bytes:
            raise ReportReadError(
                PART_TOO_LARGE.format(
                    name=info.filename,
                    size=_megabytes(info.file_size),
                    limit=_megabytes(limits.zip_max_member_bytes),
                )
            )
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > _RATIO_FLOOR_BYTES and ratio > limits.zip_max_ratio:
            raise ReportReadError(PART_RATIO.format(name=info.filename, ratio=ratio, limit=limits.zip_max_ratio))
        total += info.file_size
    if total > limits.zip_max_total_bytes:
        raise ReportReadError(
            PARTS_TOO_LARGE.format(size=_megabytes(total), limit=_megabytes(limits.zip_max_total_bytes))
        )


def _check_inflated(archive: zipfile.ZipFile, limits: ReadLimits) -> None:
    """Inflate every part once, a chunk at a time and never past its bound, so that a directory
    that lies about a size cannot make python-docx inflate more (zipfile stops at the declared
    size and then fails the part's checksum)."""
    for info in archive.infolist():
        bound = min(info.file_size, limits.zip_max_member_bytes)
        size = 0
        try:
            with archive.open(info) as part:
                while chunk := part.read(_READ_CHUNK):
                    size += len(chunk)
                    if size > bound:
                        break
        except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError, RuntimeError) as error:
            raise ReportReadError(PART_BROKEN.format(name=info.filename)) from error
        if size > bound:
            raise ReportReadError(PART_BROKEN.format(name=info.filename))


def _drop_entities(root) -> None:
    """Entity references stay unresolved (python-docx parses with resolve_entities=False, which
    keeps XXE and billion laughs harmless), but a <w:t>'s text after one is its tail, which
    python-docx never reads: "一是落实&xxe;政策。" read as "一是落实". Dropping the reference and
    keeping its tail keeps the text around it."""
    for entity in list(root.iter(etree.Entity)):
        parent, previous, tail = entity.getparent(), entity.getprevious(), entity.tail or ""
        if previous is not None:
            previous.tail = (previous.tail or "") + tail
        else:
            parent.text = (parent.text or "") + tail
        parent.remove(entity)


def _describe(error: Exception) -> str:
    if isinstance(error, KeyError):
        return f"缺少内部部件 {error}"
    if isinstance(error, SyntaxError):
        return "内部 XML 格式错误"
    return f"{type(error).__name__}: {str(error)[:100]}"


class DocxReader:
    format = "docx"
    extensions = (".docx",)

    def sniff(self, data: bytes) -> bool:
        return is_docx(data)

    def read(self, data: bytes, *, filename: str, limits: ReadLimits = DEFAULT_LIMITS) -> ReadResult:
        if data.startswith(OLE_MAGIC):  # a .doc named .docx: its reader
            return DocReader().read(data, filename=filename, limits=limits)
        if not zipfile.is_zipfile(io.BytesIO(data)):
            raise ReportReadError(NOT_ZIP)
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                names = set(archive.namelist())
                if "word/document.xml" not in names:
                    raise ReportReadError(NO_DOCUMENT)
                _check_directory(archive, limits)
                _check_inflated(archive, limits)
        except (zipfile.BadZipFile, OSError, ValueError) as error:
            raise ReportReadError(NOT_ZIP) from error
        try:
            document = docx.Document(io.BytesIO(data))
            _drop_entities(document.element)
            lines = _lines(document.element.body, document._body)
            title = document.core_properties.title or ""
        except (KeyError, ValueError, zipfile.BadZipFile, OSError, SyntaxError) as error:
            # lxml's XMLSyntaxError is a SyntaxError; a part named in the package but missing is a KeyError.
            raise ReportReadError(BROKEN.format(detail=_describe(error))) from error
        return build_result("\n".join(lines), format=self.format, title=title, empty_reason=EMPTY, limits=limits)
