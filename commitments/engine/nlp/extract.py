"""Run the pipeline over one plan section and return commitments with report offsets."""

from __future__ import annotations

import re

from commitments.engine.ingest.wrapping import SENTENCE_END, text_wrap_width
from commitments.engine.nlp.pipeline import get_pipeline
from commitments.engine.types import CommitmentSpan, SectionSpan

CHUNK_CHARS = 20_000
_HEADING_TAIL = re.compile(r"[ \t\u3000\xa0]*[。:：]?")


def section_body_start(text: str, section: SectionSpan) -> int:
    """Where the section's own heading ends, so that it is neither a commitment nor a topic."""
    if section.heading and text.startswith(section.heading, section.start):
        end = section.start + len(section.heading)
        return _HEADING_TAIL.match(text, end).end()
    return section.start


def paragraph_chunks(text: str, start: int, end: int, size: int | None = None):
    """(start, end) pieces of at most `size` characters, cut at line ends, and at the end of a
    sentence where one is in reach (a hard-wrapped line ends mid-sentence). A line longer than a
    piece is cut inside: kept whole, a 5 MB report on one line took 200 s (spaCy and jieba slow
    down on long Docs)."""
    size = size or CHUNK_CHARS
    while start < end:
        cut = end if end - start <= size else _sentence_line_end(text, start, start + size)
        if cut <= start:  # one enormous line
            cut = _inside_line_cut(text, start, start + size)
        yield start, cut
        start = cut


# Where a line too long for a piece is cut: after a sentence end, else after a comma, else anywhere.
_LINE_CUTS = (re.compile(f"[{SENTENCE_END}]"), re.compile(r"[，,、：:]"))


def _inside_line_cut(text: str, start: int, limit: int) -> int:
    """The last sentence end (or comma) in the second half of the piece, else the piece's end."""
    floor = start + (limit - start) // 2
    for marks in _LINE_CUTS:
        ends = [found.end() for found in marks.finditer(text, floor, limit)]
        if ends:
            return ends[-1]
    return limit


def _sentence_line_end(text: str, start: int, limit: int) -> int:
    """The last line end before `limit` that ends a sentence or a paragraph, if one is in the second
    half of the piece; the last line end otherwise."""
    last = text.rfind("\n", start, limit) + 1
    pos, floor = last, start + (limit - start) // 2
    while pos > max(start, floor):
        line_start = text.rfind("\n", start, pos - 1) + 1
        content = text[line_start : pos - 1].rstrip(" \t\u3000\xa0\r")
        if not content or content[-1] in SENTENCE_END:
            return pos
        pos = line_start
    return last


def report_wrap_width(text: str) -> float:
    """The report's wrap width for the layout component: 0 when it is not hard-wrapped."""
    return text_wrap_width(text) or 0.0


def extract_commitments(text: str, section: SectionSpan, *, section_index: int = 0) -> list[CommitmentSpan]:
    nlp = get_pipeline()
    found: list[CommitmentSpan] = []
    topics: dict[int, str] = {}
    # spaCy's tokenizer alignment grows faster than linearly with Doc length: read long sections
    # in paragraph-aligned chunks, carrying the open headings from one chunk to the next.
    width = report_wrap_width(text)
    for start, end in paragraph_chunks(text, section_body_start(text, section), section.end):
        doc = nlp.make_doc(text[start:end])
        doc._.wrap_width = width
        doc._.topics_in = topics
        for _, component in nlp.pipeline:
            doc = component(doc)
        topics = doc._.topics_out
        found.extend(_commitments_of(doc, start, section_index))
    return found


def _commitments_of(doc, offset: int, section_index: int) -> list[CommitmentSpan]:
    body = doc.text
    return [
        CommitmentSpan(
            text=body[span._.char_start : span._.char_end],
            start=offset + span._.char_start,
            end=offset + span._.char_end,
            section_index=section_index,
            topic_path=span._.topic_path,
            documents=span._.documents,
            targets=span._.targets,
            actions=span._.actions,
            deadline=span._.deadline,
            vague=span._.vague,
        )
        for span in doc.spans.get("commitments", [])
    ]
