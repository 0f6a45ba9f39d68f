"""Report readers: a txt, HTML, .docx or PDF report in, its plain text and metadata out.

The one entry point for every caller (import service, commands, tests). Whatever goes wrong
inside a reader reaches the caller as a `ReportReadError` with a Chinese reason, never as a
traceback, because the reason is shown to an analyst.
"""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path

from commitments.engine.ingest.readers.base import (
    DEFAULT_LIMITS,
    ReadInterrupted,
    ReadLimits,
    ReadResult,
    ReportReadError,
)
from commitments.engine.ingest.readers.registry import FORMAT_NAMES, SUPPORTED_EXTENSIONS, reader_for

__all__ = [
    "SUPPORTED_EXTENSIONS",
    "DEFAULT_MAX_BYTES",
    "DEFAULT_LIMITS",
    "ReadInterrupted",
    "ReadLimits",
    "ReadResult",
    "ReportReadError",
    "read_report",
    "read_report_bytes",
]

DEFAULT_MAX_BYTES = 20 * 1024 * 1024

MISSING = "文件不存在：{path}"
IS_DIRECTORY = "这是一个文件夹，不是文件：{path}"
UNREADABLE = "无法读取文件：{path}（{detail}）"
TOO_LARGE = "文件太大：{size}，超过了导入上限 {limit}"
UNEXPECTED = "读取文件“{filename}”时出错：{format}内容无法解析（{detail}）"

logger = logging.getLogger(__name__)


def _size(count: int) -> str:
    if count < 1024:
        return f"{count} 字节"
    if count < 1024 * 1024:
        return f"{count / 1024:.1f} KB"
    return f"{count / (1024 * 1024):.1f} MB"


def _check_size(size: int, max_bytes: int) -> None:
    if size > max_bytes:
        size_text, limit_text = _size(size), _size(max_bytes)
        if size_text == limit_text:  # just over the limit: rounding would hide the difference
            size_text, limit_text = f"{size} 字节", f"{max_bytes} 字节"
        raise ReportReadError(TOO_LARGE.format(size=size_text, limit=limit_text))


def read_report(
    path: str | Path, *, max_bytes: int = DEFAULT_MAX_BYTES, limits: ReadLimits = DEFAULT_LIMITS
) -> ReadResult:
    """Read one report file; the reader is chosen by extension, or by content when that is unclear.

    `limits` bound what the file may hold once unpacked (characters, a page's nesting, a .docx's
    parts); beyond one the file is refused with a reason rather than read for minutes."""
    path = Path(path)
    try:
        if path.is_dir():
            raise ReportReadError(IS_DIRECTORY.format(path=path), filename=path.name)
        if path.exists() and not path.is_file():
            # A pipe or device would block or never end; only regular files are reports.
            raise ReportReadError(UNREADABLE.format(path=path, detail="不是普通文件"), filename=path.name)
        size = path.stat().st_size
        _check_size(size, max_bytes)
        data = path.read_bytes()
    except FileNotFoundError as error:
        raise ReportReadError(MISSING.format(path=path), filename=path.name) from error
    except PermissionError as error:
        raise ReportReadError(UNREADABLE.format(path=path, detail="没有读取权限"), filename=path.name) from error
    except ReportReadError as error:
        error.filename = path.name
        raise
    except OSError as error:
        detail = error.strerror or type(error).__name__
        raise ReportReadError(UNREADABLE.format(path=path, detail=detail), filename=path.name) from error
    return read_report_bytes(data, filename=path.name, max_bytes=max_bytes, limits=limits)


def read_report_bytes(
    data: bytes, *, filename: str, max_bytes: int = DEFAULT_MAX_BYTES, limits: ReadLimits = DEFAULT_LIMITS
) -> ReadResult:
    """Read an uploaded report; `filename` only chooses the reader and names the file in errors."""
    reader = None
    try:
        _check_size(len(data), max_bytes)
        reader, warnings = reader_for(data, filename=filename)
        result = reader.read(data, filename=filename, limits=limits)
    except ReportReadError as error:
        error.filename = filename
        raise
    except ReadInterrupted:
        raise
    except Exception as error:  # noqa: BLE001 - the analyst gets a reason; the log keeps the traceback
        logger.exception("Reader failed on %s", filename)
        format_name = FORMAT_NAMES.get(reader.format, "") if reader else ""
        detail = f"{type(error).__name__}: {str(error)[:120]}".rstrip(": ")
        raise ReportReadError(
            UNEXPECTED.format(filename=filename, format=format_name, detail=detail), filename=filename
        ) from error
    if warnings:
        result = dataclasses.replace(result, warnings=(*warnings, *result.warnings))
    return result
