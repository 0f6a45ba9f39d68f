"""Which reader handles a file: by extension first, by content when the extension says nothing.

Content still wins over the extension when it is unmistakably PDF, Word or HTML (a PDF saved as
".txt" is read as the PDF it is): analysts rename downloads, and refusing a readable report helps
nobody.
"""

from __future__ import annotations

from pathlib import PurePath
from typing import Protocol

from commitments.ingest.readers.base import ReadResult, ReportReadError
from commitments.ingest.readers.docx import LEGACY_OFFICE, OLE_MAGIC, DocxReader
from commitments.ingest.readers.html import HtmlReader
from commitments.ingest.readers.pdf import PdfReportReader
from commitments.ingest.readers.text import TextReader

MISNAMED = "文件扩展名是 {extension}，但内容是 {format} 格式，已按 {format} 读取"
FORMAT_NAMES = {"txt": "纯文本", "html": "网页 (HTML)", "docx": "Word (.docx)", "pdf": "PDF"}
LEGACY_EXTENSIONS = (".doc", ".wps", ".dot")


class Reader(Protocol):
    format: str
    extensions: tuple[str, ...]

    def sniff(self, data: bytes) -> bool:
        """True when the bytes are clearly this reader's format."""

    def read(self, data: bytes, *, filename: str) -> ReadResult: ...


# Sniffing order: formats with a signature first, plain text (which takes anything) last.
READERS: tuple[Reader, ...] = (PdfReportReader(), DocxReader(), HtmlReader(), TextReader())
# Formats whose content outranks a contradicting extension (their sniffing is unambiguous).
_SIGNED_FORMATS = {"pdf", "docx", "html"}

SUPPORTED_EXTENSIONS: tuple[str, ...] = tuple(ext for reader in READERS for ext in reader.extensions)


def _by_extension(extension: str) -> Reader | None:
    return next((reader for reader in READERS if extension in reader.extensions), None)


def _by_content(data: bytes) -> Reader:
    return next(reader for reader in READERS if reader.sniff(data))


def reader_for(data: bytes, *, filename: str) -> tuple[Reader, tuple[str, ...]]:
    """The reader for these bytes, and a warning when the file's name says otherwise."""
    extension = PurePath(filename).suffix.lower()
    if data.startswith(OLE_MAGIC) or (extension in LEGACY_EXTENSIONS and not _is_markup_or_text(data)):
        raise ReportReadError(LEGACY_OFFICE)
    named = _by_extension(extension)
    sniffed = _by_content(data)
    if named is None:
        return sniffed, ()
    if sniffed is not named and sniffed.format in _SIGNED_FORMATS:
        warning = MISNAMED.format(extension=extension, format=FORMAT_NAMES[sniffed.format])
        return sniffed, (warning,)
    return named, ()


def _is_markup_or_text(data: bytes) -> bool:
    """Sites often serve web pages as ".doc" files; those are read, real OLE files are not."""
    return data.startswith(b"PK") or HtmlReader().sniff(data) or b"\x00" not in data[:4096]
