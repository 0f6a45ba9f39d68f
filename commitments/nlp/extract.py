"""Run the pipeline over one plan section and return commitments with report offsets."""

from __future__ import annotations

import re

from commitments.extraction import CommitmentSpan, SectionSpan
from commitments.nlp.pipeline import get_pipeline

_HEADING_TAIL = re.compile(r"[ \t\u3000\xa0]*[。:：]?")


def section_body_start(text: str, section: SectionSpan) -> int:
    """Where the section's own heading ends, so that it is neither a commitment nor a topic."""
    if section.heading and text.startswith(section.heading, section.start):
        end = section.start + len(section.heading)
        return _HEADING_TAIL.match(text, end).end()
    return section.start


def extract_commitments(text: str, section: SectionSpan, *, section_index: int = 0) -> list[CommitmentSpan]:
    offset = section_body_start(text, section)
    body = text[offset : section.end]
    doc = get_pipeline()(body)
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
