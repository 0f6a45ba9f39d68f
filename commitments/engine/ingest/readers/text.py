"""Plain-text reports: government .txt files in UTF-8, GBK/GB18030 or UTF-16 (with or without BOM).

A saved web page kept as text (navigation lines, "信息来源… 发布日期…") is returned as it is:
sectioning skips the boilerplate, and rewriting it here would shift every offset.
"""

from __future__ import annotations

from commitments.engine.ingest.readers.base import DEFAULT_LIMITS, ReadLimits, ReadResult, ReportReadError, build_result
from commitments.engine.ingest.readers.encoding import decode_bytes
from commitments.engine.ingest.readers.sniffing import refuse_binary, refuse_undecodable

EMPTY = "文件为空"


class TextReader:
    format = "txt"
    extensions = (".txt", ".text")

    def sniff(self, data: bytes) -> bool:
        return True  # the fallback: anything no other reader claims is tried as text

    def read(self, data: bytes, *, filename: str, limits: ReadLimits = DEFAULT_LIMITS) -> ReadResult:
        if not data.strip():
            raise ReportReadError(EMPTY)
        refuse_binary(data)
        decoded = decode_bytes(data)
        refuse_undecodable(decoded)
        return build_result(
            decoded.text,
            format=self.format,
            encoding=decoded.encoding,
            warnings=decoded.warnings,
            empty_reason=EMPTY,
            limits=limits,
        )
