"""Marking the shared terms and figures in an evidence sentence, safely.

The text is escaped first and the marks inserted afterwards, so report text never becomes markup.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe


def text_highlight(text: str, terms: Iterable[str]) -> SafeString:
    escaped = escape(text)
    wanted = sorted({escape(t) for t in terms if t and t.strip()}, key=len, reverse=True)
    if not wanted:
        return mark_safe(escaped)
    # One alternation, longest first, so overlapping terms never nest marks or split an entity.
    pattern = re.compile("|".join(re.escape(t) for t in wanted))
    return mark_safe(pattern.sub(lambda m: f"<mark>{m.group(0)}</mark>", escaped))
