"""Plain-text reports: government .txt files in UTF-8, GBK/GB18030 or UTF-16.

A saved web page kept as text (navigation lines, "信息来源… 发布日期…") is returned as it is:
sectioning skips the boilerplate, and rewriting it here would shift every offset.
"""

from __future__ import annotations

import re

from commitments.engine.ingest.readers.base import ReadResult, ReportReadError, build_result
from commitments.engine.ingest.readers.encoding import (
    bom_encoding,
    decode_bytes,
    looks_like_bomless_utf16,
    plausibility,
)

EMPTY = "文件为空"
BINARY = "无法识别的文件内容：看起来是二进制文件，不是文本报告"

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


def _looks_binary(data: bytes) -> bool:
    """Binary junk before decoding: a known file signature or control bytes text never has."""
    if bom_encoding(data) or looks_like_bomless_utf16(data):
        return False
    head = data[:65536]
    # "BM" and "MZ" are also how a line of text may start, so they count only with control bytes.
    if head.startswith(_MAGIC) and (not head.startswith((b"BM", b"MZ")) or _CONTROL_BYTES.search(head[:64])):
        return True
    return len(_CONTROL_BYTES.findall(head)) > max(_CONTROL_ALLOWANCE, len(head) * _MAX_CONTROL_SHARE)


class TextReader:
    format = "txt"
    extensions = (".txt", ".text")

    def sniff(self, data: bytes) -> bool:
        return True  # the fallback: anything no other reader claims is tried as text

    def read(self, data: bytes, *, filename: str) -> ReadResult:
        if not data.strip():
            raise ReportReadError(EMPTY)
        if _looks_binary(data):
            raise ReportReadError(BINARY)
        decoded = decode_bytes(data)
        text = decoded.text
        if decoded.undecodable > len(text) * _MAX_UNDECODABLE_SHARE or plausibility(text) < _MIN_PLAUSIBLE_SHARE:
            raise ReportReadError(BINARY)
        return build_result(
            text,
            format=self.format,
            encoding=decoded.encoding,
            warnings=decoded.warnings,
            empty_reason=EMPTY,
        )
