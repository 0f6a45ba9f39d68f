"""Hard-wrapped text: which line breaks were made by the layout, not by the writer.

Text taken from a PDF keeps its printed lines. An official document is set at 28 characters a line
(GB/T 9704), a web page saved as text at whatever its column was; a line that stops mid-sentence at
that width goes on in the next line. Lines that stop mid-sentence at other widths are headings, list
items and table cells, and end where they stop.
"""

from __future__ import annotations

import functools
import re

from commitments.engine.ingest.headings import heading_level

SENTENCE_END = "。；;！!？?"
BREAK_AFTER = SENTENCE_END + "：:”」』)）"
_WS = " \t\u3000\xa0\r"
# Zero-width characters a web page leaves on lines of their own where an empty inline element stood
# ("达到74.4" / "\u200b" / "万亿元，增长6.7%"): such a line is not there, it neither ends a paragraph nor
# starts one.
ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff"
# A line that starts with one of these goes on the sentence above it ("细颗粒物（PM" / "2.5" / "）浓度…").
CONTINUATION_START = "）)]】，,、。；;：:%％”」』"
ENUMERATOR_RE = re.compile(
    r"(?:\d{1,2}|[一二三四五六七八九十]{1,3})[、.．](?!\d)|[（(](?:\d{1,2}|[一二三四五六七八九十]{1,3})[）)]"
)

LONG_LINE = 50  # a line this long that stops mid-sentence was wrapped, whatever the text's width
TOLERANCE = 2.5  # widths are measured in Han characters; digits and Latin letters count 1/2
MIN_WIDTH = 15
MIN_LINES = 5
SHARE = 0.6  # of the lines that stop mid-sentence, this share must have the same width
NARROW_SHARE = 0.1  # and at most this share of all lines may be wider


# A printed page number on a line of its own: "— 3 —", "-3-", "3", "第3页", "3/12", "第 3 页 共 12 页";
# not a year standing alone on a cover ("2022").
PAGE_NUMBER_LINE_RE = re.compile(
    r"^[\s—–\-－_·]*(?:第\s*)?\d{1,3}(?:\s*页)?(?:\s*[/／]\s*\d{1,3})?(?:\s*页)?"
    r"(?:[\s,，/／]*共\s*\d{1,3}\s*页)?[\s—–\-－_·]*$"
)


def _numbered(body: str) -> bool:
    """A line that starts with a heading's number ("(一)", "二、") starts a paragraph, indented or not."""
    found = heading_level(body, 0)
    return bool(found and found[0] <= 2)


def indented(line: str) -> bool:
    return line[:1] in ("\u3000", " ", "\t", "\xa0")


_NARROW_RE = re.compile(r"[^\u2e80-\U0010ffff\t\n\r]")


def display_width(line: str) -> float:
    """Printed width in Han characters; an indent counts (a full-width space 1, a space 1/2)."""
    narrow = len(_NARROW_RE.findall(line))
    return len(line) - line.count("\n") - line.count("\r") - narrow / 2


@functools.lru_cache(maxsize=8)
def text_wrap_width(text: str) -> float | None:
    """wrap_width of a whole report, measured once however many parts of the engine ask."""
    return wrap_width(text.split("\n"))


def wrap_width(lines: list[str]) -> float | None:
    """The width the text was wrapped at, or None when its lines were not wrapped.

    Wrapped: most lines that stop mid-sentence have one width, and hardly any line is wider (a
    report with a paragraph per line has headings of like length, but its paragraphs are wider).
    """
    contents = [line.rstrip(_WS) for line in lines if line.strip(_WS)]
    widths = sorted(display_width(c) for c in contents if c[-1] not in BREAK_AFTER)
    widths = [w for w in widths if w >= MIN_WIDTH]
    if len(widths) < MIN_LINES:
        return None
    typical = widths[len(widths) // 2]
    close = sum(abs(w - typical) <= TOLERANCE for w in widths)
    wider = sum(display_width(c) > typical + TOLERANCE for c in contents)
    return typical if close >= SHARE * len(widths) and wider <= NARROW_SHARE * len(contents) else None


def invisible(line: str) -> bool:
    """A line holding nothing but zero-width characters (and spaces): skipped, not a blank line."""
    return line.strip(_WS) != "" and line.strip(_WS + ZERO_WIDTH) == ""


def goes_on(
    line: str, width: float | None, *, next_indented: bool = False, carried: bool = False, next_line: str = ""
) -> bool:
    """Whether `line` was cut by the layout and its paragraph goes on below.

    At the text's wrap width even a line ending in 。 goes on (the sentence ended at the margin by
    chance), unless the next line is indented as a new paragraph is. `carried`: `line` itself went on
    the line above it mid-sentence, so a short line that stops mid-sentence is a piece of that
    sentence (a web page's inline element on a line of its own: "新建" / "高速铁路" / "投产里程…"), not
    a paragraph's end; so is a line that ends one sentence and stops inside the next ("…稳中向好。国内
    生产总值达到74.4"). A `next_line` that starts with a closing mark always goes on the sentence.
    """
    line = line.rstrip(_WS + ZERO_WIDTH)
    content = line.lstrip(_WS + ZERO_WIDTH)
    if not content:
        return False
    if next_line.lstrip(_WS + ZERO_WIDTH)[:1] in tuple(CONTINUATION_START):
        return True
    full = width is not None and display_width(line) >= width - TOLERANCE
    if content[-1] in BREAK_AFTER:
        return full and not next_indented
    # A line that ends one sentence and stops inside the next, or inside brackets or quotes, was
    # cut, whatever its length; not a table row, whose cells end where they end.
    unfinished = "\t" not in content and (
        any(mark in SENTENCE_END for mark in content[:-1])
        or content.count("（") > content.count("）")
        or content.count("“") > content.count("”")
    )
    # Those are weaker signs than a number opening the next line: a list item starts there.
    weak = (carried or unfinished) and not ENUMERATOR_RE.match(next_line.lstrip(_WS + ZERO_WIDTH))
    return len(content) >= LONG_LINE or (not next_indented and (full or weak))


def unwrap(text: str) -> str:
    """`text` with the layout's line breaks taken out (and the indentation after them)."""
    lines = text.split("\n")
    width = text_wrap_width(text)
    out: list[list[str]] = []  # pieces per paragraph, joined once: += on a long paragraph is quadratic
    previous, carried = "", False
    for line in lines:
        body = line.lstrip(_WS)
        if width is not None and PAGE_NUMBER_LINE_RE.match(line):
            continue  # "— 3 —" between two pages: the paragraph goes on over it
        if invisible(line):
            carried = carried or bool(previous.strip(_WS))  # an inline element stood there: mid-paragraph
            continue
        starts = indented(line) or _numbered(body)
        if out and body and goes_on(previous, width, next_indented=starts, carried=carried, next_line=body):
            out[-1].append(body)
            carried = True
        else:
            out.append([line])
            carried = False
        previous = line
    return "\n".join("".join(pieces) for pieces in out)
