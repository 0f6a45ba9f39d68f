"""`report_structure`: paragraphs, headings and line-wrap repair, set before the sentencizer runs.

Government reports reach us flattened in many ways: one paragraph per line, hard-wrapped lines
(PDF, Word exports with page numbers such as "16、" glued to the next line), headings on lines of
their own without a full stop. The sentencizer only knows punctuation; this component tells it where
paragraphs and headings begin and end.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

from spacy.attrs import IDX, SENT_START
from spacy.language import Language
from spacy.tokens import Doc

from commitments.engine.ingest.headings import heading_level, lead_at
from commitments.engine.ingest.wrapping import goes_on, indented, invisible, wrap_width

# "强调以下几点: 一是…": a list that starts inside a paragraph, after a colon.
INLINE_LIST_RE = re.compile(
    r"[：:][ \t\u3000]*(?=[一二三四五六七八九十]{1,3}是|第[一二三四五六七八九十]{1,3}[，,、]|[（(][一二三四五六七八九十\d]{1,3}[）)])"
)
PAGE_NUMBER_RE = re.compile(r"\d{1,3}、(?=[。，,；;、\u4e00-\u9fff“])")
_WS = " \t\u3000\xa0\r"


@dataclass(frozen=True)
class Heading:
    start: int  # of the enumerator
    body_start: int  # after the enumerator
    end: int  # after the heading text and its closing punctuation
    level: int
    title: str


if not Doc.has_extension("paragraph_starts"):
    Doc.set_extension("paragraph_starts", default=None)
if not Doc.has_extension("headings"):
    Doc.set_extension("headings", default=None)
if not Doc.has_extension("skipped_chars"):
    Doc.set_extension("skipped_chars", default=None)
if not Doc.has_extension("wrap_width"):
    Doc.set_extension("wrap_width", default=None)  # of the whole report, when the Doc is a piece of it


def analyse_layout(text: str, width: float | None = None) -> tuple[list[int], list[Heading], list[tuple[int, int]]]:
    """Paragraph start offsets, headings, and page-number artifacts to skip.

    `width`: the width the report was hard-wrapped at (see ingest.wrapping; 0 when it is not), when
    `text` is only a piece of it; measured on `text` when None.
    """
    paragraph_starts: list[int] = []
    headings: list[Heading] = []
    skipped: list[tuple[int, int]] = []
    previous_line = ""
    pos = 0
    lines = text.split("\n")
    width = (width if width is not None else wrap_width(lines)) or None
    carried = False
    for line in lines:
        content = line.strip(_WS)
        start = pos + len(line) - len(line.lstrip(_WS))
        pos += len(line) + 1
        if invisible(line):  # left by a web page's inline element: the paragraph goes on over it
            carried = carried or bool(previous_line.strip(_WS))
            continue
        if not content:
            previous_line = ""  # an empty line ends a paragraph
            continue
        wrapped = goes_on(
            previous_line, width, next_indented=indented(line), carried=carried, next_line=content
        ) and not _starts_heading(text, start)
        carried = wrapped
        if wrapped:
            artifact = PAGE_NUMBER_RE.match(text, start)
            if artifact:
                skipped.append((artifact.start(), artifact.end()))
        else:
            paragraph_starts.append(start)
            heading = heading_at(text, start, start + len(content))
            if heading:
                headings.append(heading)
        previous_line = line
    return paragraph_starts, headings, skipped


def _starts_heading(text: str, pos: int) -> bool:
    found = heading_level(text, pos)
    return bool(found and found[0] <= 2) or lead_at(text, pos) is not None


def heading_at(text: str, start: int, line_end: int) -> Heading | None:
    """A numbered heading starting at `start`: its text runs to the first full stop or the line end."""
    found = heading_level(text, start)
    if not found:
        return None
    level, body_start = found
    stop = re.compile(r"[。！!？?；;:：]").search(text, body_start, line_end)
    end = stop.end() if stop else line_end
    title = text[body_start : stop.start() if stop else line_end].strip(_WS)
    if not title or len(title) > 60:
        return None
    return Heading(start, body_start, end, level, title)


@Language.factory("report_structure")
class ReportStructure:
    """Marks paragraph and heading boundaries as sentence starts; records headings on the Doc."""

    def __init__(self, nlp: Language, name: str):
        self.name = name

    def __call__(self, doc: Doc) -> Doc:
        paragraph_starts, headings, skipped = analyse_layout(doc.text, doc._.wrap_width)
        doc._.paragraph_starts = paragraph_starts
        doc._.headings = headings
        doc._.skipped_chars = skipped
        boundaries = set(paragraph_starts) | {h.end for h in headings}
        boundaries |= {m.end() for m in INLINE_LIST_RE.finditer(doc.text)}
        token_starts = doc.to_array([IDX])
        sent_starts = doc.to_array([SENT_START])  # all 0 here: left to the sentencizer
        for boundary in boundaries:
            i = bisect.bisect_left(token_starts, boundary)
            if 0 < i < len(doc):
                sent_starts[i] = 1
        # One bulk write: Token.is_sent_start scans the whole Doc on every assignment.
        doc.from_array([SENT_START], sent_starts)
        return doc
