"""What every reader returns, the one error it raises, and the text normalisation they share.

Normalisation lives here, in one place, because every later offset (sections, commitments,
evidence) points into `ReadResult.text`: all formats must agree on what that text is.
"""

from __future__ import annotations

import datetime
import re
import unicodedata
from dataclasses import dataclass

from commitments.engine.ingest.readers.metadata import find_published, guess_title, tidy_title
from commitments.engine.ingest.readers.traditional import looks_traditional, to_simplified
from commitments.engine.ingest.wrapping import text_wrap_width, unwrap

TRADITIONAL_WARNING = "文本为繁体中文，已转换为简体"
UNWRAPPED_WARNING = "文本按版面每行约 {width:g} 字折行（常见于 PDF），已把折行合并为段落"
RADICALS_WARNING = "文本中有 {count} 处部首形字符（如“⼯”“⺠”，常见于 PDF 字体映射），已换成对应的汉字"

# PDF fonts often map glyphs to the radical code points rather than the characters: "⼯作" is not
# "工作" to a segmenter, and "⼀、" is no heading. Kangxi radicals have compatibility mappings; the
# simplified radicals of the supplement that are characters of their own are listed.
_RADICALS = {cp: unicodedata.normalize("NFKC", chr(cp)) for cp in range(0x2F00, 0x2FD6)} | {
    ord(radical): character
    for radical, character in zip(
        "⺠⻓⻔⻅⻋⻢⻚⻛⻜⻝⻥⻦⻰⻬⻮⻳⻆⻘⻄⺟⺩⻩⻤⻨⻣⻉⻙⻗⺎⺓⺝",
        "民长门见车马页风飞食鱼鸟龙齐齿龟角青西母王黄鬼麦骨贝韦雨兀幺月",
        strict=True,
    )
}
_RADICAL_RE = re.compile("[" + "".join(map(chr, _RADICALS)) + "]")


class ReadInterrupted(Exception):  # noqa: N818 - not an error: whoever follows the reading stopped it
    """Raised by a progress callback (OCR page by page) to stop reading; never turned into a refusal."""


@dataclass(frozen=True)
class ReadResult:
    text: str
    title: str
    format: str  # "txt" | "html" | "docx" | "pdf"
    encoding: str  # "utf-8", "gb18030", ...; "" for binary formats
    published: datetime.date | None
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class ReadLimits:
    """How much one report may hold once it is unpacked. Each bound keeps a hostile or broken file
    from costing minutes or gigabytes before it is refused; real reports stay far below them."""

    max_chars: int = 2_000_000  # characters of text after decoding (a long report has 100,000)
    html_max_depth: int = 500  # nesting levels of a web page (government pages have about 30)
    html_max_nodes: int = 100_000  # elements of a web page (a 2.6 MB page has 20,000; 100,000 read in ~7 s)
    zip_max_member_bytes: int = 50 * 1024 * 1024  # uncompressed size of one part of a .docx
    zip_max_ratio: int = 100  # uncompressed / compressed size of one large part of a .docx
    zip_max_total_bytes: int = 100 * 1024 * 1024  # uncompressed size of all parts of a .docx
    ocr_max_pages: int = 0  # pages of a scan read by OCR; 0: no OCR here (a web request), NeedsOcr instead


DEFAULT_LIMITS = ReadLimits()


class ReportReadError(Exception):
    """A report that cannot be read; `reason` is shown to the user as is, so it is Chinese and plain."""

    def __init__(self, reason: str, *, filename: str = ""):
        super().__init__(reason)
        self.reason = reason
        self.filename = filename

    def __str__(self) -> str:
        return self.reason


TOO_MANY_CHARS = (
    "报告文字太多：有 {count:,} 字，超过了每份报告 {limit:,} 字的上限：请只导入报告正文，或把它拆成几个文件分别导入"
)


def check_chars(text: str, limits: ReadLimits) -> None:
    """Refuse text beyond the character limit, before sectioning and extraction spend minutes on it."""
    if len(text) > limits.max_chars:
        raise ReportReadError(TOO_MANY_CHARS.format(count=len(text), limit=limits.max_chars))


# Line separators other than \n become \n, so that "one line" means the same in every format.
_LINE_BREAKS = re.compile(r"\r\n?|[\x0b\x0c\x85\u2028\u2029]")
# C0/C1 controls (but \t and \n) and invisible format characters that only break matching later.
_INVISIBLE = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f\u200b-\u200d\u2060\ufeff\ufffe\uffff]")
_TRAILING_SPACE = re.compile(r"[^\S\n]+$", re.MULTILINE)


def normalize_text(text: str) -> str:
    """Line ends to '\\n', controls out, trailing blanks out; full-width indents stay."""
    text = _LINE_BREAKS.sub("\n", text)
    text = _INVISIBLE.sub("", text)
    text = _TRAILING_SPACE.sub("", text)
    return text.strip("\n")


def build_result(
    text: str,
    *,
    format: str,
    encoding: str = "",
    title: str = "",
    published: datetime.date | None = None,
    warnings: tuple[str, ...] | list[str] = (),
    empty_reason: str,
    limits: ReadLimits = DEFAULT_LIMITS,
) -> ReadResult:
    """Finish a reader's raw text the same way for every format.

    Traditional text is converted here rather than in each reader, so that a .docx or a web page
    in traditional characters gets the same treatment as a .txt file.
    """
    check_chars(text, limits)
    text = normalize_text(text)
    if not text.strip():
        raise ReportReadError(empty_reason)
    warnings = list(warnings)
    radicals = len(_RADICAL_RE.findall(text))
    if radicals:
        text = text.translate(_RADICALS)
        title = title.translate(_RADICALS)
        warnings.append(RADICALS_WARNING.format(count=radicals))
    # A report printed at a fixed width (a PDF's text layer, a page saved as text) is stored with its
    # paragraphs whole, so that a word, a figure or "一是" is never cut by a line end downstream.
    width = text_wrap_width(text)
    if width is not None:
        text = unwrap(text)
        warnings.append(UNWRAPPED_WARNING.format(width=width))
    title = tidy_title(title)
    if looks_traditional(text):
        text = to_simplified(text)
        title = to_simplified(title)
        warnings.append(TRADITIONAL_WARNING)
    return ReadResult(
        text=text,
        title=title or guess_title(text),
        format=format,
        encoding=encoding,
        published=published or find_published(text),
        warnings=tuple(dict.fromkeys(warnings)),
    )
