"""Heading and enumerator patterns of Chinese official documents, shared by sectioning and extraction.

Levels follow the national standard for official documents (GB/T 9704): 一、 > （一） > 1. > （1）;
`一是…` lead clauses sit below whatever heading they follow.
"""

from __future__ import annotations

import re

CN_NUM = "一二三四五六七八九十"
_SPACE = r"[ \t\u3000\xa0]"

# Each pattern matches an enumerator at a heading position; group "num" is the number as written.
LEVEL_PATTERNS: list[tuple[int, re.Pattern[str]]] = [
    (1, re.compile(rf"(?P<num>[{CN_NUM}]{{1,3}})\s*[、.．]")),
    (2, re.compile(rf"[（(]\s*(?P<num>[{CN_NUM}]{{1,3}})\s*[）)]\s*[、.．]?")),
    (3, re.compile(r"(?P<num>\d{1,2})\s*[.．、](?!\d)")),
    (4, re.compile(r"[（(]\s*(?P<num>\d{1,2})\s*[）)]")),
    (4, re.compile(r"(?P<num>[①-⑳])")),
]

# `一是` / `二要` / `第一，` leads inside a paragraph.
LEAD_RE = re.compile(
    rf"(?:(?P<num>[{CN_NUM}]{{1,3}})是|第(?P<num2>[{CN_NUM}]{{1,3}})[，,、]|(?P<num3>[{CN_NUM}])要(?=[^求]))"
)

LINE_START_SPACE_RE = re.compile(rf"{_SPACE}*")


def heading_level(text: str, pos: int) -> tuple[int, int] | None:
    """Return (level, end of enumerator) when an enumerator starts at `pos`, else None."""
    for level, pattern in LEVEL_PATTERNS:
        match = pattern.match(text, pos)
        if match:
            return level, match.end()
    return None


def lead_at(text: str, pos: int) -> int | None:
    """End of a `一是`-style lead enumerator starting at `pos`, or None."""
    match = LEAD_RE.match(text, pos)
    return match.end() if match else None
