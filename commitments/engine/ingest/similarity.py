"""How alike two report texts are: Jaccard similarity of their character shingles.

A near-copy of a report (one changed figure, a GBK re-encoding that turned a no-break space into "?",
the web page of the same text) has another SHA-256 but almost the same shingles; imported as a second
report it doubles the bureau's commitments on the scorecards. Different reports of one bureau share
their boilerplate but little else: on the seeds and the devset the closest two (海拉尔 2015 and 2016)
reach 0.11, the near-copies 0.99 and more. A part cut out of a report (the devset's plan files beside
their whole reports) reaches 0.08–0.72: Jaccard is not containment, and such a part is not caught.
Exact sets, no MinHash: a bureau has tens of reports.
"""

from __future__ import annotations

import re
import unicodedata

SHINGLE_CHARS = 5
# At or above this, a new text is taken for another version of an imported one and the analyst is asked.
NEAR_DUPLICATE_SIMILARITY = 0.9

_WHITESPACE = re.compile(r"\s+")


def compact(text: str) -> str:
    """The text as the comparison sees it: NFKC (full-width Latin and digits as ASCII), no whitespace,
    so that line breaks, indents and a reader's paragraphing do not count as differences."""
    return _WHITESPACE.sub("", unicodedata.normalize("NFKC", text))


def shingles(text: str, size: int = SHINGLE_CHARS) -> frozenset[str]:
    """The set of `size`-character substrings of the compacted text (the whole of a shorter one)."""
    chars = compact(text)
    if len(chars) <= size:
        return frozenset({chars}) if chars else frozenset()
    return frozenset(chars[i : i + size] for i in range(len(chars) - size + 1))


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    """|a ∩ b| / |a ∪ b|; two empty sets are alike."""
    if not a and not b:
        return 1.0
    common = len(a & b)
    return common / (len(a) + len(b) - common)


def similarity(a: str, b: str) -> float:
    return jaccard(shingles(a), shingles(b))
