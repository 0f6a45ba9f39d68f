"""Traditional → simplified Chinese, so that the NLP layer only ever sees one script.

Detection counts characters that OpenCC's own t2s character table would change: simplified
reports hardly contain any (a stray 乾 or 著 in a name), so a small share is already telling.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

# Share of Han characters that must be traditional-only before the text counts as traditional.
TRADITIONAL_SHARE = 0.02
MIN_TRADITIONAL_CHARS = 5
_SAMPLE_CHARS = 200_000

_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


@functools.cache
def _traditional_chars() -> frozenset[str]:
    import opencc

    table = Path(opencc.__file__).parent / "dictionary" / "TSCharacters.txt"
    chars = set()
    for line in table.read_text(encoding="utf-8").splitlines():
        key, _, values = line.partition("\t")
        if key and values and key != values.split()[0]:
            chars.add(key)
    return frozenset(chars)


@functools.cache
def _converter():
    from opencc import OpenCC

    return OpenCC("t2s")


def looks_traditional(text: str) -> bool:
    """True when a clear share of the Han characters exist only in traditional script."""
    han = _HAN.findall(text[:_SAMPLE_CHARS])
    if not han:
        return False
    traditional = _traditional_chars()
    count = sum(1 for ch in han if ch in traditional)
    return count >= MIN_TRADITIONAL_CHARS and count / len(han) > TRADITIONAL_SHARE


def to_simplified(text: str) -> str:
    if not text:
        return text
    # OpenCC keeps '\n' (it splits on whitespace), so line structure survives the conversion.
    return _converter().convert(text)
