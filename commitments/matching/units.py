"""Split review sections into evidence units (sentences and `；`-clauses) with their heading path."""

from __future__ import annotations

import re
from collections.abc import Sequence

from commitments.extraction import SectionSpan
from commitments.ingest.headings import lead_at
from commitments.matching.types import ReviewUnit
from commitments.nlp.extract import paragraph_chunks, report_wrap_width, section_body_start
from commitments.nlp.pipeline import get_pipeline

HAN_RE = re.compile(r"[\u4e00-\u9fff]")
CLOSING = "。；;！!？?，,、 \t\n\u3000\xa0\r"
MIN_HAN = 4


def review_units(text: str, sections: Sequence[SectionSpan]) -> list[ReviewUnit]:
    """Every clause of the given review sections, in order; headings are kept as units too."""
    nlp = get_pipeline()
    layout = [nlp.get_pipe("report_structure"), nlp.get_pipe("clause_sentencizer")]
    units: list[ReviewUnit] = []
    width = report_wrap_width(text)
    for index, section in enumerate(sections):
        topics: dict[int, str] = {}
        for start, end in paragraph_chunks(text, section_body_start(text, section), section.end):
            doc = nlp.make_doc(text[start:end])
            doc._.wrap_width = width
            for component in layout:
                doc = component(doc)
            headings = {h.start: h for h in doc._.headings}
            body = doc.text
            for sent in doc.sents:
                a, b = _trim(body, sent.start_char, sent.end_char)
                if a >= b:
                    continue
                heading = headings.get(a)
                if heading is not None:
                    for deeper in [k for k in topics if k >= heading.level]:
                        del topics[deeper]
                    topics[heading.level] = heading.title
                    if heading.end >= b or heading.level <= 2:
                        continue  # a heading sums up; the sentences under it are the evidence
                    a = heading.body_start
                else:
                    lead_end = lead_at(body, a)
                    if lead_end is not None:
                        a = lead_end
                a, b = _trim(body, a, b)
                if len(HAN_RE.findall(body[a:b])) < MIN_HAN:
                    continue
                path = tuple(topics[k] for k in sorted(topics))
                units.append(ReviewUnit(body[a:b], start + a, start + b, index, path))
    return units


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start] in CLOSING:
        start += 1
    while end > start and text[end - 1] in CLOSING:
        end -= 1
    return start, end
