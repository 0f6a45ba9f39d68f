"""Bytes that are no report in any format we read: binary junk and RTF.

Shared by the text and HTML readers, so that random bytes are refused the same way whatever the
file is named; an HTML reader given junk would otherwise "find" hundreds of commitments in it.
"""

from __future__ import annotations

import re
from pathlib import PurePath

from commitments.engine.ingest.readers.base import ReportReadError
from commitments.engine.ingest.readers.encoding import Decoded, bom_encoding, looks_like_bomless_utf16, plausibility

BINARY = "无法识别的文件内容：看起来是二进制文件，不是文本报告"
RTF = "这是 RTF 格式的文件{named}，无法直接读取：请在 Word 或 WPS 中打开，另存为 .docx 后导入"

# Signatures of files that are often renamed by mistake (images, archives, Office, PDF).
_MAGIC = (
    b"\x89PNG",
    b"\xff\xd8\xff",
    b"GIF8",
    b"BM",
    b"PK\x03\x04",
    b"PK\x05\x06",
    b"Rar!",
    b"7z\xbc\xaf",
    b"\x1f\x8b",
    b"%PDF-",
    b"\xd0\xcf\x11\xe0",
    b"II*\x00",
    b"MM\x00*",
    b"RIFF",
    b"\x7fELF",
    b"MZ",
)
_CONTROL_BYTES = re.compile(rb"[\x00-\x08\x0e-\x1a\x1c-\x1f]")
# A stray NUL or BEL in a real report is dropped by normalisation; only many of them mean binary.
_CONTROL_ALLOWANCE = 16
_MAX_CONTROL_SHARE = 0.01
_MAX_UNDECODABLE_SHARE = 0.02
_MIN_PLAUSIBLE_SHARE = 0.6
_RTF_MAGIC = b"{\\rtf"


def looks_binary(data: bytes) -> bool:
    """Binary junk before decoding: a known file signature or control bytes text never has."""
    if bom_encoding(data) or looks_like_bomless_utf16(data):
        return False
    head = data[:65536]
    # "BM" and "MZ" are also how a line of text may start, so they count only with control bytes.
    if head.startswith(_MAGIC) and (not head.startswith((b"BM", b"MZ")) or _CONTROL_BYTES.search(head[:64])):
        return True
    return len(_CONTROL_BYTES.findall(head)) > max(_CONTROL_ALLOWANCE, len(head) * _MAX_CONTROL_SHARE)


def refuse_binary(data: bytes) -> None:
    if looks_binary(data):
        raise ReportReadError(BINARY)


def refuse_undecodable(decoded: Decoded) -> None:
    """Text that decoded mostly into nothing or into mojibake was not text to begin with."""
    text = decoded.text
    if decoded.undecodable > len(text) * _MAX_UNDECODABLE_SHARE or plausibility(text) < _MIN_PLAUSIBLE_SHARE:
        raise ReportReadError(BINARY)


def is_rtf(data: bytes) -> bool:
    return data[:64].lstrip(b"\xef\xbb\xbf \t\r\n").startswith(_RTF_MAGIC)


def refuse_rtf(data: bytes, *, filename: str) -> None:
    """RTF is plain ASCII, so the text reader would take its control words for the report."""
    if is_rtf(data):
        extension = PurePath(filename).suffix.lower()
        named = f"（扩展名是 {extension}）" if extension and extension != ".rtf" else ""
        raise ReportReadError(RTF.format(named=named))
