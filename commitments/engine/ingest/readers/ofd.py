"""OFD (GB/T 33190, 版式文档) reports: the text objects of every page, in reading order.

An OFD file is a zip: OFD.xml names the document root (Doc_N/Document.xml), which lists its pages
(Pages/Page_N/Content.xml). Each page's TextObjects carry their text in TextCode elements, placed by the
object's Boundary (x y w h, millimetres from the page's top left) plus the code's X / Y. The codes are read
top to bottom, left to right, grouped into lines by their baseline; page furniture (running heads, page
numbers) goes as in a PDF. PyPI's OFD packages either need a renderer stack or did not read our files, so
this small reader uses lxml (already here) behind the same reader registry.
"""

from __future__ import annotations

import io
import posixpath
import re
import zipfile
from dataclasses import dataclass

from lxml import etree

from commitments.engine.ingest.readers.base import (
    DEFAULT_LIMITS,
    TOO_MANY_CHARS,
    ReadLimits,
    ReadResult,
    ReportReadError,
    build_result,
)
from commitments.engine.ingest.readers.furniture import strip_furniture
from commitments.engine.ingest.readers.zip_guard import archive_check

OFD_NS = "http://www.ofdspec.org/2016"
_LABEL = "OFD"
_REPACK = "，文件可能已损坏或是恶意构造的压缩包。请用 OFD 阅读器打开并另存为 OFD 或 PDF 后再导入"

NOT_OFD = "不是有效的 OFD 文件：文件不是 ZIP 格式，或缺少入口文件 OFD.xml，可能已损坏或只是改了扩展名"
BROKEN = "OFD 文件已损坏，无法解析：{detail}"
ENCRYPTED = "OFD 文件已加密，无法读取正文：请用 OFD 阅读器解密（或另存为未加密的 OFD / PDF）后再导入"
OUTLINES_ONLY = (
    "OFD 文件中没有文字对象：正文只以字形轮廓（路径）或图像保存，无法读取文字；"
    "请用 OFD 阅读器另存为带文字的 PDF，或等扫描件识别（OCR）功能"
)
EMPTY = "OFD 文件中没有文字内容"
RUNNING_LINES = "已去掉每页重复的页眉页脚（如 {lines}）"
TOO_MANY_PAGES = "OFD 文件有 {pages} 页，超过了 {limit} 页的上限"
MAX_PAGES = 5_000

_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, remove_comments=True)
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


@dataclass(frozen=True)
class _Code:
    x: float
    y: float  # baseline, from the page's top
    size: float
    text: str


def is_ofd(data: bytes) -> bool:
    if not data.startswith(b"PK\x03\x04"):
        return False
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return "OFD.xml" in archive.namelist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return False


def _local(tag: object) -> str:
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def _children(element, name: str):
    return [child for child in element.iter() if _local(child.tag) == name]


def _xml(archive: zipfile.ZipFile, name: str):
    try:
        return etree.fromstring(archive.read(name), _PARSER)
    except KeyError as error:
        raise ReportReadError(BROKEN.format(detail=f"缺少内部部件 {name}")) from error
    except etree.XMLSyntaxError as error:
        raise ReportReadError(BROKEN.format(detail=f"{name} 的 XML 格式错误")) from error


def _numbers(value: str | None) -> list[float]:
    return [float(n) for n in _NUMBER.findall(value or "")]


def _resolve(base: str, location: str) -> str:
    """A BaseLoc relative to the part that names it (or absolute from the container's root)."""
    location = location.strip()
    if location.startswith("/"):
        return location.lstrip("/")
    return posixpath.normpath(posixpath.join(posixpath.dirname(base), location))


def _text_of(code) -> str:
    """A TextCode's text; entity references are dropped without losing the text after them."""
    parts = [code.text or ""]
    for child in code:
        parts.append(child.tail or "")
    return "".join(parts)


def _page_codes(page) -> tuple[list[_Code], int]:
    """The page's text codes with absolute positions, and how many path / image objects it draws."""
    codes, drawn = [], 0
    for element in page.iter():
        name = _local(element.tag)
        if name in ("PathObject", "ImageObject"):
            drawn += 1
        if name != "TextObject":
            continue
        box = _numbers(element.get("Boundary")) + [0.0, 0.0]
        size = (_numbers(element.get("Size")) or [3.5])[0]
        for code in _children(element, "TextCode"):
            text = _text_of(code)
            if not text.strip():
                continue
            x = (_numbers(code.get("X")) or [0.0])[0]
            y = (_numbers(code.get("Y")) or [0.0])[0]
            codes.append(_Code(box[0] + x, box[1] + y, size, text))
    return codes, drawn


def _lines(codes: list[_Code]) -> list[str]:
    """Codes on one baseline (within half a character) are one line, read left to right."""
    lines: list[list[_Code]] = []
    for code in sorted(codes, key=lambda c: (c.y, c.x)):
        if lines and abs(code.y - lines[-1][0].y) <= 0.5 * max(code.size, lines[-1][0].size):
            lines[-1].append(code)
        else:
            lines.append([code])
    return ["".join(c.text for c in sorted(line, key=lambda c: c.x)) for line in lines]


class OfdReader:
    format = "ofd"
    extensions = (".ofd",)

    def sniff(self, data: bytes) -> bool:
        return is_ofd(data)

    def read(self, data: bytes, *, filename: str, limits: ReadLimits = DEFAULT_LIMITS) -> ReadResult:
        try:
            archive = zipfile.ZipFile(io.BytesIO(data))
        except (zipfile.BadZipFile, OSError, ValueError) as error:
            raise ReportReadError(NOT_OFD) from error
        with archive:
            names = set(archive.namelist())
            if "OFD.xml" not in names:
                raise ReportReadError(NOT_OFD)
            archive_check(archive, limits, label=_LABEL, repack=_REPACK)
            entry = _xml(archive, "OFD.xml")
            if any(name.lower().endswith("encryptions.xml") for name in names) or _children(entry, "Encryptions"):
                raise ReportReadError(ENCRYPTED)
            roots = [(r.text or "").strip() for r in _children(entry, "DocRoot")]
            if not roots or not roots[0]:
                raise ReportReadError(BROKEN.format(detail="OFD.xml 中没有 DocRoot"))
            title = next((t.text or "" for t in _children(entry, "Title")), "")
            document_path = _resolve("OFD.xml", roots[0])
            document = _xml(archive, document_path)
            pages, drawn, texts, chars = _children(document, "Page"), 0, [], 0
            if not pages:
                raise ReportReadError(BROKEN.format(detail="文档中没有页面"))
            # Each page part once, in the order listed: a document may not list one part a million times.
            locations = list(
                dict.fromkeys(_resolve(document_path, p.get("BaseLoc")) for p in pages if p.get("BaseLoc"))
            )
            if len(locations) > MAX_PAGES:
                raise ReportReadError(TOO_MANY_PAGES.format(pages=len(locations), limit=MAX_PAGES))
            for location in locations:
                codes, page_drawn = _page_codes(_xml(archive, location))
                drawn += page_drawn
                texts.append("\n".join(_lines(codes)))
                chars += len(texts[-1])
                if chars > limits.max_chars:  # stop reading, not at the end: the pages may be many
                    raise ReportReadError(TOO_MANY_CHARS.format(count=chars, limit=limits.max_chars))
        if not any(t.strip() for t in texts):
            raise ReportReadError(OUTLINES_ONLY if drawn else EMPTY)
        furniture = strip_furniture(texts)
        warnings = []
        if furniture.repeated:
            warnings.append(RUNNING_LINES.format(lines="、".join(f"“{line}”" for line in furniture.repeated[:3])))
        return build_result(
            "\n".join(furniture.pages),
            format=self.format,
            title=title.strip(),
            warnings=warnings,
            empty_reason=EMPTY,
            limits=limits,
        )
