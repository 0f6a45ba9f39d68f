"""PDF reports through their text layer (pypdf); scanned PDFs are refused rather than OCR'd here.

OCR would need a model and minutes per report; telling the analyst is cheaper and honest.
"""

from __future__ import annotations

import io
import logging
import re

from pypdf import PdfReader
from pypdf.errors import DependencyError, PyPdfError

from commitments.ingest.readers.base import ReadResult, ReportReadError, build_result
from commitments.ingest.readers.furniture import strip_furniture

NO_TEXT_LAYER = "PDF 没有文本层（可能是扫描件），请先做 OCR"
GARBLED = "PDF 的文本层无法正确解码（字体缺少 Unicode 映射），请先做 OCR 或另存为 Word 后再导入"
ENCRYPTED = "PDF 已加密，需要密码才能读取：请导入未加密的版本"
ENCRYPTED_NEEDS_CRYPTO = "PDF 已加密（AES），读取它需要安装 cryptography 组件"
BROKEN = "PDF 文件已损坏或格式不正确，无法读取"
NO_PAGES = "PDF 中没有页面"
PAGES_WITHOUT_TEXT = "第 {pages} 页没有文本层（可能是扫描页），这些页的内容未能读取"
PAGES_FAILED = "第 {pages} 页的文字提取失败，这些页的内容未能读取"
RUNNING_LINES = "已去掉每页重复印出的页眉或页脚：{lines}"

logger = logging.getLogger(__name__)

_MIN_TEXT_CHARS = 10
# Fonts without a Unicode map come out as private-use or replacement characters.
_UNMAPPED = re.compile(r"[\ue000-\uf8ff\ufffd]|\(cid:\d+\)")
_MAX_UNMAPPED_SHARE = 0.3


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

    def read(self, data: bytes, *, filename: str) -> ReadResult:
        reader = _open(data)
        try:
            pages = list(reader.pages)
        except (PyPdfError, ValueError, KeyError, TypeError, AttributeError) as error:
            raise ReportReadError(BROKEN) from error
        if not pages:
            raise ReportReadError(NO_PAGES)
        texts, empty, failed = [], [], []
        for number, page in enumerate(pages, start=1):
            try:
                text = page.extract_text() or ""
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
            raise ReportReadError(NO_TEXT_LAYER)
        if len(_UNMAPPED.findall(visible)) > len(visible) * _MAX_UNMAPPED_SHARE:
            raise ReportReadError(GARBLED)
        warnings = []
        if empty:
            warnings.append(PAGES_WITHOUT_TEXT.format(pages=_page_list(empty)))
        if failed:
            warnings.append(PAGES_FAILED.format(pages=_page_list(failed)))
        if furniture.repeated:
            warnings.append(RUNNING_LINES.format(lines="、".join(f"“{line}”" for line in furniture.repeated[:3])))
        return build_result(
            text, format=self.format, title=_title(reader), warnings=warnings, empty_reason=NO_TEXT_LAYER
        )
