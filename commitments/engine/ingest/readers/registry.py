"""Which reader handles a file: by extension first, by content when the extension says nothing.

Content still wins over the extension when it is unmistakably PDF, Word or HTML (a PDF saved as
".txt" is read as the PDF it is): analysts rename downloads, and refusing a readable report helps
nobody.
"""

from __future__ import annotations

from pathlib import PurePath
from typing import Protocol

from commitments.engine.ingest.readers.base import ReadLimits, ReadResult
from commitments.engine.ingest.readers.doc import DocReader
from commitments.engine.ingest.readers.docx import DocxReader
from commitments.engine.ingest.readers.html import HtmlReader
from commitments.engine.ingest.readers.image import ImageReader
from commitments.engine.ingest.readers.ofd import OfdReader
from commitments.engine.ingest.readers.pdf import PdfReportReader
from commitments.engine.ingest.readers.sniffing import refuse_rtf
from commitments.engine.ingest.readers.text import TextReader

MISNAMED = "文件扩展名是 {extension}，但内容是 {format} 格式，已按 {format} 读取"
FORMAT_NAMES = {
    "txt": "纯文本",
    "html": "网页 (HTML)",
    "docx": "Word (.docx)",
    "doc": "Word 97-2003 (.doc/.wps)",
    "pdf": "PDF",
    "ofd": "OFD 版式文档",
    "image": "图片（扫描页）",
}


class Reader(Protocol):
    format: str
    extensions: tuple[str, ...]

    def sniff(self, data: bytes) -> bool:
        """True when the bytes are clearly this reader's format."""

    def read(self, data: bytes, *, filename: str, limits: ReadLimits) -> ReadResult: ...


# Sniffing order: formats with a signature first, plain text (which takes anything) last.
READERS: tuple[Reader, ...] = (
    PdfReportReader(),
    OfdReader(),
    DocxReader(),
    DocReader(),
    HtmlReader(),
    ImageReader(),
    TextReader(),
)
# Formats whose content outranks a contradicting extension (their sniffing is unambiguous).
_SIGNED_FORMATS = {"pdf", "ofd", "docx", "doc", "html"}

SUPPORTED_EXTENSIONS: tuple[str, ...] = tuple(ext for reader in READERS for ext in reader.extensions)


def _by_extension(extension: str) -> Reader | None:
    return next((reader for reader in READERS if extension in reader.extensions), None)


def _by_content(data: bytes) -> Reader:
    return next(reader for reader in READERS if reader.sniff(data))


def reader_for(data: bytes, *, filename: str) -> tuple[Reader, tuple[str, ...]]:
    """The reader for these bytes, and a warning when the file's name says otherwise."""
    refuse_rtf(data, filename=filename)  # whatever its name: no reader here reads RTF
    extension = PurePath(filename).suffix.lower()
    named = _by_extension(extension)
    sniffed = _by_content(data)
    if named is None or (named.format == "doc" and sniffed.format == "txt" and _is_text(data)):
        return sniffed, ()  # sites serve web pages and text as ".doc" files
    if sniffed is not named and sniffed.format in _SIGNED_FORMATS:
        warning = MISNAMED.format(extension=extension, format=FORMAT_NAMES[sniffed.format])
        return sniffed, (warning,)
    return named, ()


def _is_text(data: bytes) -> bool:
    return b"\x00" not in data[:4096]
