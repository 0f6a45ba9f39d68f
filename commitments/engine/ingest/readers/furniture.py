"""Page furniture of a PDF: page numbers, running headers and footers printed on every page.

A PDF's text layer keeps them in the text, between the last line of one page and the first of the
next, where they cut a paragraph in two and read as headings or sentences of the report. They are
recognised by position and repetition (the same short line at the edge of most pages, page numbers
aside), never by wording, so a report's own lines are left alone.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from commitments.engine.ingest.headings import heading_level
from commitments.engine.ingest.wrapping import PAGE_NUMBER_LINE_RE

EDGE_LINES = 3  # lines at the top and at the bottom of a page where furniture is printed
MAX_CHARS = 40  # furniture is a short line; a paragraph is never taken for it
MIN_PAGES = 2
REPEAT_SHARE = 0.5  # of the pages with text
_DIGITS_RE = re.compile(r"[0-9０-９]+")
_SPACE_RE = re.compile(r"[\s\u3000]+")
_HAN_RE = re.compile(r"[\u4e00-\u9fff]")
_SENTENCE_END_RE = re.compile(r"[。！？；：，、!?;:,]$")
_CLAUSE_RE = re.compile(r"[，,；;]")  # a header names; it has no clauses
_DATE_RE = re.compile(r"\d\s*年\s*\d{1,2}\s*月|\d\s*年底")  # a deadline cell, not furniture


@dataclass(frozen=True)
class Furniture:
    pages: list[str]
    repeated: tuple[str, ...]  # the running header and footer lines taken out, as first printed


def _key(line: str) -> str:
    """The same header on every page, whatever its page number ("第 3 页 共 12 页" → "第#页共#页")."""
    return _DIGITS_RE.sub("#", _SPACE_RE.sub("", line))


def _furniture_like(line: str) -> bool:
    """Short, with words, and neither a sentence (ending in 。, or with clauses) nor an item of a
    list ("（5）…"), whose numbers would otherwise look like page numbers."""
    line = line.strip()
    return (
        len(line) <= MAX_CHARS
        and bool(_HAN_RE.search(line))
        and not _SENTENCE_END_RE.search(line)
        and not _CLAUSE_RE.search(line)
        and not _DATE_RE.search(line)
        and heading_level(line, 0) is None
    )


def _filled(lines: list[str]) -> list[int]:
    return [i for i, line in enumerate(lines) if line.strip()]


def _edges(lines: list[str]) -> list[tuple[tuple[str, int], int]]:
    """((side, rank from that edge), line index) of the lines where furniture is printed."""
    filled = _filled(lines)
    top = [(("top", rank), i) for rank, i in enumerate(filled[:EDGE_LINES])]
    bottom = [(("bottom", rank), i) for rank, i in enumerate(reversed(filled[-EDGE_LINES:]))]
    return top + bottom


def _page_numbers(split: list[list[str]]) -> set[tuple[int, int]]:
    """(page, line) of the page numbers next to an edge: a decorated one ("— 3 —", "第3页") always, a
    bare one where it counts up with the pages (a figure may end a page)."""
    found: set[tuple[int, int]] = set()
    bare: dict[str, list[tuple[int, int, int]]] = {"top": [], "bottom": []}
    for page, lines in enumerate(split):
        for (side, rank), i in _edges(lines):
            line = lines[i].strip()
            if not PAGE_NUMBER_LINE_RE.match(line):
                continue
            if rank > 1:
                continue
            if not line.isdigit():
                found.add((page, i))
            else:
                bare[side].append((page, i, int(line) - page))
    for numbers in bare.values():
        # Numbers that count the pages share their offset from the page's index (an attachment
        # numbered from 1 again has another); a figure ending one page does not.
        offsets = Counter(offset for _, _, offset in numbers)
        found |= {(page, i) for page, i, offset in numbers if offsets[offset] >= MIN_PAGES}
    return found


def strip_furniture(pages: list[str]) -> Furniture:
    """The pages without their page numbers and running headers/footers.

    A running line is one that stands at the same place (side and rank from the edge) on most
    pages: the issuer signing the last page is not the header that names it on every page. On the
    first page a line at the top stays once: a running header repeats the report's title, which the
    first page prints as its title (and some offices print the header above it too).
    """
    split = [page.split("\n") for page in pages]
    with_text = [i for i, lines in enumerate(split) if any(line.strip() for line in lines)]
    counts: Counter[tuple[tuple[str, int], str]] = Counter()
    for lines in split:
        counts.update({(place, _key(lines[i])) for place, i in _edges(lines) if _furniture_like(lines[i])})
    needed = max(MIN_PAGES, REPEAT_SHARE * len(with_text))
    running = {found for found, count in counts.items() if count >= needed}
    numbers = _page_numbers(split)
    first = with_text[0] if with_text else -1
    cleaned, taken = [], {}
    for index, lines in enumerate(split):
        drop: set[int] = set()
        edges = _edges(lines)
        # Furniture is printed from the edge inwards: the first line of the page's own that is met
        # ends it (a repeated table cell above a deadline that ends each page is no footer).
        for side in ("top", "bottom"):
            for place, i in (edge for edge in edges if edge[0][0] == side):
                line = lines[i].strip()
                if (index, i) in numbers:
                    drop.add(i)
                    continue
                if not _furniture_like(line) or (place, _key(line)) not in running:
                    break
                if index == first and side == "top":
                    # The title, printed once; the header repeating it above the title goes.
                    twins = [j for other, j in edges if other[0] == "top" and j != i and _key(lines[j]) == _key(line)]
                    if not twins:
                        break
                drop.add(i)
                taken.setdefault(_key(line), line)
        kept = [line for i, line in enumerate(lines) if i not in drop]
        filled = _filled(kept)
        # A page's text ends with a line break; left in, it would end the paragraph the next page goes on with.
        cleaned.append("\n".join(kept[filled[0] : filled[-1] + 1]) if filled else "")
    return Furniture(cleaned, tuple(taken.values()))
