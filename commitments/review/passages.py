"""A report's text as the review page's right pane shows it: candidate passages marked and numbered,
the account of problems shaded, shared terms and figures highlighted.

Every piece of text is escaped first and the marks added around the escaped pieces, so report text never
becomes markup. Each run of text carries its offset in the report (`data-at`), so that the page can turn
a selection into offsets of the report text; numbers are drawn by CSS from `data-label`, so the text
nodes hold the report's characters and nothing else.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from commitments.review.highlight import text_highlight


@dataclass(frozen=True)
class Passage:
    """A marked span, in offsets of the report text. `key` is 1–3 for the ranked evidence; "chosen" for
    evidence an analyst took from elsewhere; "plan" for the commitment in its plan section."""

    key: int | str
    start: int
    end: int
    label: str = ""


def marked_text(
    text: str,
    start: int,
    end: int,
    *,
    passages: Sequence[Passage] = (),
    shaded: Iterable[tuple[int, int]] = (),
    terms: Iterable[str] = (),
    context_terms: Iterable[str] = (),
) -> SafeString:
    """text[start:end] as escaped HTML runs; where passages overlap, the earlier one in `passages` wins.
    `terms` are highlighted inside passages, `context_terms` outside them too."""
    shaded = [(max(a, start), min(b, end)) for a, b in shaded if a < end and b > start]
    inside = [p for p in passages if p.start < end and p.end > start and p.start < p.end]
    cuts = {start, end}
    for p in inside:
        cuts.update((max(p.start, start), min(p.end, end)))
    for a, b in shaded:
        cuts.update((a, b))
    bounds = sorted(cuts)
    terms = [t for t in terms if t and t.strip()]
    context_terms = [t for t in context_terms if t and t.strip()]
    labelled: set[str] = set()
    html = []
    for a, b in zip(bounds, bounds[1:], strict=False):
        passage = next((p for p in inside if p.start <= a < p.end), None)
        problem = any(x <= a < y for x, y in shaded)
        classes = ["run"] + (["problem"] if problem else [])
        body = text_highlight(text[a:b], terms if passage is not None else context_terms)
        if passage is None:
            html.append(format_html('<span class="{}" data-at="{}">{}</span>', " ".join(classes), a, body))
            continue
        key = str(passage.key)
        first = key not in labelled
        labelled.add(key)
        classes.append("passage")
        html.append(
            format_html(
                '<span class="{}" data-at="{}" data-key="{}"{}>{}</span>',
                " ".join(classes),
                a,
                key,
                format_html(' id="passage-{}" data-label="{}"', key, passage.label) if first else "",
                body,
            )
        )
    return mark_safe("".join(html))
