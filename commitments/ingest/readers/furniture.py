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

from commitments.ingest.headings import heading_level
from commitments.ingest.wrapping import PAGE_NUMBER_LINE_RE

EDGE_LINES = 3  # lines at the top and at the bottom of a page where furniture is printed
MAX_CHARS = 40  # furniture is a short line; a paragraph is never taken for it
MIN_PAGES = 2
REPEAT_SHARE = 0.5  # of the pages with text
_DIGITS_RE = re.compile(r"[0-9０-９]+")
_SPACE_RE = re.compile(r"[\s\u3000]+")
_HAN_RE = re.compile(r"[\u4e00-\u9fff]")
_SENTENCE_END_RE = re.compile(r"[。！？；：，、!?;:,]$")


@dataclass(frozen=True)
class Furniture:
    pages: list[str]
    repeated: tuple[str, ...]  # the running header and footer lines taken out, as first printed


def _key(line: str) -> str:
    """The same header on every page, whatever its page number ("第 3 页 共 12 页" → "第#页共#页")."""
    return _DIGITS_RE.sub("#", _SPACE_RE.sub("", line))


def _furniture_like(line: str) -> bool:
    """Short, with words, and neither a sentence (ending in 。) nor an item of a list ("（5）…"),
    whose numbers would otherwise look like page numbers."""
    line = line.strip()
    return (
        len(line) <= MAX_CHARS
        and bool(_HAN_RE.search(line))
        and not _SENTENCE_END_RE.search(line)
        and heading_level(line, 0) is None
    )


def _filled(lines: list[str]) -> list[int]:
    return [i for i, line in enumerate(lines) if line.strip()]


def _edges(lines: list[str]) -> list[int]:
    filled = _filled(lines)
    return sorted(set(filled[:EDGE_LINES]) | set(filled[-EDGE_LINES:]))


def strip_furniture(pages: list[str]) -> Furniture:
    """The pages without their page numbers and running headers/footers.

    On the first page a line at the top stays once: a running header repeats the report's title,
    which the first page prints as its title (and some offices print the header above it too).
    """
    split = [page.split("\n") for page in pages]
    with_text = [i for i, lines in enumerate(split) if any(line.strip() for line in lines)]
    counts: Counter[str] = Counter()
    for lines in split:
        counts.update({_key(lines[i]) for i in _edges(lines) if _furniture_like(lines[i])})
    needed = max(MIN_PAGES, REPEAT_SHARE * len(with_text))
    running = {key for key, count in counts.items() if count >= needed}
    first = with_text[0] if with_text else -1
    cleaned, taken, seen_top = [], {}, set()
    for index, lines in enumerate(split):
        drop = set()
        kept_top = set(_filled(lines)[:EDGE_LINES]) if index == first else set()
        for i in _edges(lines):
            line = lines[i].strip()
            if PAGE_NUMBER_LINE_RE.match(line):
                drop.add(i)
            elif _furniture_like(line) and _key(line) in running:
                if i in kept_top and _key(line) not in seen_top:
                    seen_top.add(_key(line))  # the title, printed once: the header may repeat it
                    continue
                drop.add(i)
                taken.setdefault(_key(line), line)
        kept = [line for i, line in enumerate(lines) if i not in drop]
        filled = _filled(kept)
        # A page's text ends with a line break; left in, it would end the paragraph the next page goes on with.
        cleaned.append("\n".join(kept[filled[0] : filled[-1] + 1]) if filled else "")
    return Furniture(cleaned, tuple(taken.values()))
