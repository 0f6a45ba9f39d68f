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
from commitments.engine.ingest.readers.zip_guard import archive_check

EMPTY = "Word 文档中没有文字内容"
NOT_ZIP = "不是有效的 Word (.docx) 文件：文件不是 ZIP 格式，可能已损坏或只是改了扩展名"
NO_DOCUMENT = "不是有效的 Word (.docx) 文件：缺少正文部分 word/document.xml，文件可能已损坏"
BROKEN = "Word (.docx) 文件已损坏，无法解析：{detail}"
# What to do with a refused archive, said after the reason.
_REPACK = "，文件可能已损坏或是恶意构造的压缩包。请在 Word 或 WPS 中打开它，另存为 .docx 后再导入"
_LABEL = "Word (.docx)"


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
                archive_check(archive, limits, label=_LABEL, repack=_REPACK)
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
