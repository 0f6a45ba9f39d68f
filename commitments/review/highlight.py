"""Marking the shared terms and figures in an evidence sentence, safely.

The text is escaped first and the marks inserted afterwards, so report text never becomes markup.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe


def text_highlight(text: str, terms: Iterable[str]) -> SafeString:
    wanted = sorted({t for t in terms if t and t.strip()}, key=len, reverse=True)
    if not wanted:
        return mark_safe(escape(text))
    # Matched on the raw text, each piece escaped on its own: a term never matches inside an entity
    # ("27" in "&#x27;"); one alternation, longest first, so overlapping terms never nest marks.
    pattern = re.compile("|".join(re.escape(t) for t in wanted))
    pieces, at = [], 0
    for found in pattern.finditer(text):
        pieces.append(f"{escape(text[at : found.start()])}<mark>{escape(found.group(0))}</mark>")
        at = found.end()
    pieces.append(escape(text[at:]))
    return mark_safe("".join(pieces))
