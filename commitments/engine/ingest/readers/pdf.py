"""PDF reports through their text layer (pypdf); a scan without one is read by OCR (ocr.py) where that
is allowed (a job, the command line), and handed over (NeedsOcr) where it is not (a web request).
"""

from __future__ import annotations

import io
import logging
import re

from pypdf import PdfReader
from pypdf.errors import DependencyError, PyPdfError

from commitments.engine.ingest.readers import ocr
from commitments.engine.ingest.readers.base import DEFAULT_LIMITS, ReadLimits, ReadResult, ReportReadError, build_result
from commitments.engine.ingest.readers.furniture import strip_furniture

NO_TEXT_LAYER = "PDF 没有文本层（可能是扫描件），请先做 OCR"
GARBLED = "PDF 的文本层无法正确解码（字体缺少 Unicode 映射），请先做 OCR 或另存为 Word 后再导入"
ENCRYPTED = "PDF 已加密，需要密码才能读取：请导入未加密的版本"
ENCRYPTED_NEEDS_CRYPTO = "PDF 已加密（AES），读取它需要安装 cryptography 组件"
BROKEN = "PDF 文件已损坏或格式不正确，无法读取"
NO_PAGES = "PDF 中没有页面"
PAGES_WITHOUT_TEXT = "第 {pages} 页没有文本层（可能是扫描页），这些页的内容未能读取"
PAGES_FAILED = "第 {pages} 页的文字提取失败，这些页的内容未能读取"
RUNNING_LINES = "已去掉每页重复印出的页眉或页脚：{lines}"
GLYPH_BY_GLYPH = "第 {pages} 页的文字是逐字排版的，已按版面位置重新拼成文字行"

logger = logging.getLogger(__name__)

_MIN_TEXT_CHARS = 10
# Fonts without a Unicode map come out as private-use or replacement characters.
_UNMAPPED = re.compile(r"[\ue000-\uf8ff\ufffd]|\(cid:\d+\)")
_MAX_UNMAPPED_SHARE = 0.3


# A producer that places every glyph on its own (typesetting systems, some OFD converters) comes
# out of pypdf's plain mode one character a line; its layout mode puts them back on their lines.
_SHATTERED_LINE_CHARS = 2
_SHATTERED_SHARE = 0.5
_SHATTERED_MIN_LINES = 10
_CJK = r"\u3000-\u303f\u3400-\u9fff\uff00-\uffef“”‘’"
_CJK_GAP_RE = re.compile(rf"(?<=[{_CJK}]) +| +(?=[{_CJK}])")


def shattered(text: str) -> bool:
    """Most lines hold one or two characters: the page was set glyph by glyph."""
    lines = [line.strip() for line in text.split("\n") if line.strip()]
    short = sum(len(line) <= _SHATTERED_LINE_CHARS for line in lines)
    return short >= _SHATTERED_MIN_LINES and short >= _SHATTERED_SHARE * len(lines)


def from_layout(text: str) -> str:
    """pypdf's layout-mode text as lines of the report.

    Layout mode pads with spaces wherever glyphs are apart ("30 个", "社区+  物业"); next to a Chinese
    character a space is never part of the text. It also renders the line spacing as blank lines;
    the blank lines every line has are dropped, wider gaps stay. A line's indentation stays: it
    starts a paragraph.
    """
    lines, gaps, blank = [], [], 0
    for line in text.split("\n"):
        body = line.lstrip(" ")
        if not body.strip():
            blank += 1
            continue
        if lines:
            gaps.append(blank)
        lines.append((blank, line[: len(line) - len(body)] + _CJK_GAP_RE.sub("", body.rstrip())))
        blank = 0
    spacing = min(gaps, default=0)
    out = []
    for index, (before, line) in enumerate(lines):
        if index:
            out.extend([""] * (before - spacing))
        out.append(line)
    return "\n".join(out)


def _relaid(page, text: str, number: int) -> tuple[str, bool]:
    """The page in layout mode, or its plain text when layout mode fails on it."""
    try:
        return from_layout(page.extract_text(extraction_mode="layout") or ""), True
    except Exception:  # noqa: BLE001 - the plain text is still the page's text
        logger.warning("Layout-mode extraction failed on page %s", number, exc_info=True)
        return text, False


def _page_list(pages: list[int]) -> str:
    shown = "、".join(str(page) for page in pages[:10])
    return shown + (f" 等 {len(pages)} " if len(pages) > 10 else "")


def _open(data: bytes) -> PdfReader:
    try:
        reader = PdfReader(io.BytesIO(data))
    except (PyPdfError, ValueError, KeyError, TypeError, OSError) as error:
        raise ReportReadError(BROKEN) from error
    if reader.is_encrypted:
        try:
            # Many government PDFs carry only an owner password (no printing/copying): readable as is.
            opened = reader.decrypt("")
        except DependencyError as error:
            raise ReportReadError(ENCRYPTED_NEEDS_CRYPTO) from error
        except (PyPdfError, ValueError, KeyError, TypeError) as error:
            raise ReportReadError(ENCRYPTED) from error
        if not opened:
            raise ReportReadError(ENCRYPTED)
    return reader


def _title(reader: PdfReader) -> str:
    try:
        metadata = reader.metadata
        return str(metadata.title or "") if metadata else ""
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError):
        return ""


class PdfReportReader:
    format = "pdf"
    extensions = (".pdf",)

    def sniff(self, data: bytes) -> bool:
        return b"%PDF-" in data[:1024]

    def read(self, data: bytes, *, filename: str, limits: ReadLimits = DEFAULT_LIMITS) -> ReadResult:
        reader = _open(data)
        try:
            pages = list(reader.pages)
        except (PyPdfError, ValueError, KeyError, TypeError, AttributeError) as error:
            raise ReportReadError(BROKEN) from error
        if not pages:
            raise ReportReadError(NO_PAGES)
        texts, empty, failed, placed = [], [], [], []
        for number, page in enumerate(pages, start=1):
            try:
                text = page.extract_text() or ""
                if shattered(text):
                    text, relaid = _relaid(page, text, number)
                    if relaid:
                        placed.append(number)
            except Exception:  # noqa: BLE001 - one bad page must not lose the rest of the report
                logger.warning("Text extraction failed on page %s", number, exc_info=True)
                failed.append(number)
                text = ""
            if not text.strip() and number not in failed:
                empty.append(number)
            texts.append(text)
        furniture = strip_furniture(texts)
        text = "\n".join(furniture.pages)
        visible = re.sub(r"\s+", "", text)
        if len(visible) < _MIN_TEXT_CHARS:
            return self._recognised(data, reader, pages=len(pages), limits=limits)
        if len(_UNMAPPED.findall(visible)) > len(visible) * _MAX_UNMAPPED_SHARE:
            raise ReportReadError(GARBLED)
        warnings = []
        if empty:
            warnings.append(PAGES_WITHOUT_TEXT.format(pages=_page_list(empty)))
        if failed:
            warnings.append(PAGES_FAILED.format(pages=_page_list(failed)))
        if placed:
            warnings.append(GLYPH_BY_GLYPH.format(pages=_page_list(placed)))
        if furniture.repeated:
            warnings.append(RUNNING_LINES.format(lines="、".join(f"“{line}”" for line in furniture.repeated[:3])))
        return build_result(
            text,
            format=self.format,
            title=_title(reader),
            warnings=warnings,
            empty_reason=NO_TEXT_LAYER,
            limits=limits,
        )

    def _recognised(self, data: bytes, reader: PdfReader, *, pages: int, limits: ReadLimits) -> ReadResult:
        """A scan: every page rasterised and read by OCR, then page furniture removed as for a text layer."""
        ocr.refuse_scan("PDF ", pages=pages, max_pages=limits.ocr_max_pages)
        recognised = ocr.pages_text(ocr.pdf_images(data), pages)
        _, warnings = ocr.recognised(recognised)
        furniture = strip_furniture([p.text for p in recognised])
        if furniture.repeated:
            warnings.append(RUNNING_LINES.format(lines="、".join(f"“{line}”" for line in furniture.repeated[:3])))
        return build_result(
            "\n".join(furniture.pages),
            format=self.format,
            title=_title(reader),
            warnings=warnings,
            empty_reason=ocr.NO_CHINESE,
            limits=limits,
        )
