"""Scanned pages read by OCR: Tesseract with its simplified-Chinese data (Debian's tesseract-ocr and
tesseract-ocr-chi-sim), offline, through pytesseract; PDF pages rasterised by pypdfium2.

OCR takes seconds a page, so it never runs inside a web request: ReadLimits.ocr_max_pages is 0 there,
and a scan then raises NeedsOcr, which the upload hands to a job. Whoever runs it may follow it page by
page (and stop it) through `ocr_progress`. The text is tidied as Tesseract's Chinese needs: no spaces
between Han characters, ASCII punctuation beside Han characters made full-width, as the report printed it.
"""

from __future__ import annotations

import contextvars
import os
import re
import shutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from commitments.engine.ingest.readers.base import ReportReadError

LANGUAGE = "chi_sim"
DPI = 200
CONFIG = "--psm 6"  # a page of uniform text: the columns of a work report; faster than automatic layout
MAX_PAGE_PIXELS = 7_000 * 10_000  # an A3 page at 600 dpi; a larger page is rendered smaller
LOW_CONFIDENCE = 80.0  # a page whose mean word confidence is below this is listed for the analyst

NEEDS_OCR = "{what}没有文本层（扫描件），需要文字识别（OCR）：上传页面会把它转入后台导入，命令行导入会直接识别"
NO_ENGINE = "{what}没有文本层（扫描件），需要文字识别（OCR），但本机未安装 Tesseract 中文识别（tesseract-ocr、tesseract-ocr-chi-sim）"
TOO_MANY_PAGES = "扫描件共 {pages} 页，超过了文字识别每份 {limit} 页的上限"
NO_CHINESE = "文字识别（OCR）没有在扫描件中识别出中文，可能不是中文报告、图像太模糊或是空白页"
RECOGNISED = "正文由文字识别（OCR，Tesseract）得到，共 {pages} 页，平均置信度 {mean:.0f}%（各页：{each}）"
EACH_SHOWN = 30  # pages whose confidence the import lists one by one; a longer scan shows the lowest
LOW_PAGES = "第 {pages} 页识别置信度低于 {floor:.0f}%，请对照原件核对"

_HAN = r"\u3400-\u9fff"
_MARKS = r"，。、；：！？（）“”《》·,.;:!?()+%\-"
# Tesseract puts a space between every two Chinese characters and around punctuation; Chinese has none.
_GAP = re.compile(rf"(?<=[{_HAN}{_MARKS}\d])[ \t]+(?=[{_HAN}{_MARKS}])|(?<=[{_HAN}{_MARKS}])[ \t]+(?=\d)")
_FULL = {",": "，", ":": "：", ";": "；", "(": "（", ")": "）", "?": "？", "!": "！"}
_HALF_BESIDE_HAN = re.compile(rf"(?<=[{_HAN}）])[,:;()?!]|[,:;()?!](?=[{_HAN}（])")
_HAN_CHAR = re.compile(rf"[{_HAN}]")

# Told (page done, pages) after each page; may raise to stop (the import then writes nothing).
ocr_progress: contextvars.ContextVar[Callable[[int, int], None] | None] = contextvars.ContextVar(
    "ocr_progress", default=None
)


class NeedsOcr(ReportReadError):
    """A scan met where OCR is not run (a web request): the caller hands the file to a job."""


@dataclass(frozen=True)
class PageText:
    text: str
    confidence: float  # mean word confidence, 0–100


def engine_missing() -> str | None:
    """Why OCR cannot run here (no tesseract, no Chinese data), or None."""
    if shutil.which("tesseract") is None:
        return "tesseract"
    import pytesseract

    try:
        languages = pytesseract.get_languages(config="")
    except (pytesseract.TesseractError, OSError):
        return "tesseract"
    return None if LANGUAGE in languages else LANGUAGE


def refuse_scan(what: str, *, pages: int, max_pages: int) -> None:
    """NeedsOcr where OCR is not allowed; the reasons it cannot run otherwise."""
    if max_pages <= 0:
        raise NeedsOcr(NEEDS_OCR.format(what=what))
    if engine_missing():
        raise ReportReadError(NO_ENGINE.format(what=what))
    if pages > max_pages:
        raise ReportReadError(TOO_MANY_PAGES.format(pages=pages, limit=max_pages))


def tidy(text: str) -> str:
    text = _GAP.sub("", text)
    return _HALF_BESIDE_HAN.sub(lambda m: _FULL[m.group()], text)


def cleaned(image):
    """The page as Tesseract reads it best: the red channel (a red seal over the text goes pale, black
    text stays black), speckles removed (median filter), and turned straight (the angle, within ±3°,
    whose rows of ink are sharpest: the projection profile)."""
    from PIL import ImageFilter

    grey = image.convert("RGB").split()[0] if image.mode not in ("1", "L") else image.convert("L")
    grey = grey.filter(ImageFilter.MedianFilter(3))
    angle = skew_angle(grey)
    if angle:
        grey = grey.rotate(angle, expand=True, fillcolor=255)
    return grey


def skew_angle(grey) -> float:
    import numpy as np

    small = grey.resize((max(1, grey.width // 4), max(1, grey.height // 4)))
    best, best_score = 0.0, -1.0
    for angle in np.arange(-3.0, 3.01, 0.25):
        ink = np.asarray(small.rotate(float(angle), fillcolor=255)) < 128
        rows = ink.sum(axis=1).astype(float)
        score = float(np.square(np.diff(rows)).sum())
        if score > best_score:
            best, best_score = float(angle), score
    return best


def image_text(image) -> PageText:
    """One page image (PIL) read by Tesseract."""
    import pytesseract

    os.environ.setdefault("OMP_THREAD_LIMIT", "1")  # Tesseract's threads cost more than they save on a busy machine
    data = pytesseract.image_to_data(cleaned(image), lang=LANGUAGE, config=CONFIG, output_type=pytesseract.Output.DICT)
    lines: dict[tuple[int, int, int], list[str]] = {}
    confidences = []
    for word, conf, block, paragraph, line in zip(
        data["text"], data["conf"], data["block_num"], data["par_num"], data["line_num"], strict=True
    ):
        if not word.strip():
            continue
        lines.setdefault((block, paragraph, line), []).append(word)
        if float(conf) >= 0:
            confidences.append(float(conf))
    text = "\n".join(tidy(" ".join(words)) for words in lines.values())
    return PageText(text, sum(confidences) / len(confidences) if confidences else 0.0)


def pages_text(images: Iterable, total: int) -> list[PageText]:
    """Every page read, progress told after each."""
    progress = ocr_progress.get()
    pages = []
    for number, image in enumerate(images, start=1):
        pages.append(image_text(image))
        if progress is not None:
            progress(number, total)
    return pages


def pdf_images(data: bytes):
    """The pages of a PDF as images at DPI, one at a time (a 300-page scan never sits in memory whole)."""
    import pypdfium2

    document = pypdfium2.PdfDocument(data)
    try:
        for index in range(len(document)):
            page = document[index]
            try:
                width, height = page.get_size()  # points
                # At most MAX_PAGE_PIXELS, whatever page size the file claims (a poster-sized box would be GBs).
                scale = min(DPI / 72, (MAX_PAGE_PIXELS / max(width * height, 1.0)) ** 0.5)
                yield page.render(scale=scale).to_pil()
            finally:
                page.close()
    finally:
        document.close()


def pdf_page_count(data: bytes) -> int:
    import pypdfium2

    document = pypdfium2.PdfDocument(data)
    try:
        return len(document)
    finally:
        document.close()


def recognised(pages: list[PageText]) -> tuple[str, list[str]]:
    """The pages' texts joined, and the warnings the import shows; ReportReadError when nothing Chinese."""
    joined = "\n".join(p.text for p in pages)
    if len(_HAN_CHAR.findall(joined)) < 10:
        raise ReportReadError(NO_CHINESE)
    mean = sum(p.confidence for p in pages) / len(pages)
    numbered = list(enumerate(pages, start=1))
    if len(numbered) > EACH_SHOWN:
        numbered = sorted(sorted(numbered, key=lambda n: n[1].confidence)[:EACH_SHOWN])
    each = "，".join(f"第 {i} 页 {p.confidence:.0f}%" for i, p in numbered)
    if len(pages) > EACH_SHOWN:
        each = f"最低的 {EACH_SHOWN} 页：{each}"
    warnings = [RECOGNISED.format(pages=len(pages), mean=mean, each=each)]
    low = [str(i) for i, p in enumerate(pages, start=1) if p.confidence < LOW_CONFIDENCE]
    if low:
        warnings.append(LOW_PAGES.format(pages="、".join(low), floor=LOW_CONFIDENCE))
    return joined, warnings
