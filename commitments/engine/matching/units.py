"""Split review sections into evidence units (sentences and `；`-clauses) with their heading path."""

from __future__ import annotations

import re
from collections.abc import Sequence

from commitments.engine.ingest.headings import lead_at
from commitments.engine.nlp.extract import paragraph_chunks, report_wrap_width, section_body_start
from commitments.engine.nlp.pipeline import get_pipeline
from commitments.engine.types import ReviewUnit, SectionSpan

HAN_RE = re.compile(r"[\u4e00-\u9fff]")
# The sentence that opens a review's account of its problems: the paragraph it begins is about
# what is not yet achieved ("在充分肯定成绩的同时，要清醒看到我国发展面临的问题和挑战。").
PROBLEMS_INTRO_RE = re.compile(
    r"清醒(?:地)?(?:看到|认识到?)|(?:还|仍然?|也)(?:存在|面临)(?:着)?(?:一些|不少|诸多)?(?:问题|不足|困难|短板)|"
    r"(?:问题|困难|差距)和不足|不足之处"
)
# "针对工作中还存在的问题，开展…": before the problems are named, the paragraph says what was done about them.
ADDRESSED_RE = re.compile(r"针对|解决|整改|破解")
# "（主要是：）必须坚持…": a lesson the review draws or a requirement it states, not a result it reports.
LESSON_RE = re.compile(r"(?:[^，。；]{0,6}[：:])?必须")  # matched at a unit's start
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
            problem_paragraphs = _problem_paragraphs(body, doc._.paragraph_starts)
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
                if len(HAN_RE.findall(body[a:b])) < MIN_HAN or LESSON_RE.match(body, a, b):
                    continue
                path = tuple(topics[k] for k in sorted(topics))
                problem = section.kind == "other" or _in(problem_paragraphs, a)
                units.append(ReviewUnit(body[a:b], start + a, start + b, index, path, problem))
    return units


def problem_spans(text: str, sections: Sequence[SectionSpan]) -> list[tuple[int, int]]:
    """(start, end) in `text` of the review's account of its problems, as `review_units` flags its units:
    a section of kind "other" whole, and the paragraphs whose opening announces problems. For the review
    page, which shades them."""
    nlp = get_pipeline()
    structure = nlp.get_pipe("report_structure")
    width = report_wrap_width(text)
    spans: list[tuple[int, int]] = []
    for section in sections:
        if section.kind == "other":
            spans.append((section.start, section.end))
            continue
        for start, end in paragraph_chunks(text, section_body_start(text, section), section.end):
            doc = nlp.make_doc(text[start:end])
            doc._.wrap_width = width
            doc = structure(doc)
            spans.extend((start + a, start + b) for a, b in _problem_paragraphs(doc.text, doc._.paragraph_starts))
    return spans


def _problem_paragraphs(body: str, starts: list[int]) -> list[tuple[int, int]]:
    """(start, end) of the paragraphs whose opening (its first two sentences: "思危方能居安。在充分
    肯定成绩的同时，要清醒看到…") announces an account of problems."""
    bounds = [*sorted(starts), len(body)]
    found = []
    for start, end in zip(bounds, bounds[1:], strict=False):
        opening = "。".join(re.split(r"[。！!？?]", body[start:end], maxsplit=2)[:2])
        intro = PROBLEMS_INTRO_RE.search(opening)
        if intro and not ADDRESSED_RE.search(opening, 0, intro.start()):
            found.append((start, end))
    return found


def _in(spans: list[tuple[int, int]], pos: int) -> bool:
    return any(a <= pos < b for a, b in spans)


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start] in CLOSING:
        start += 1
    while end > start and text[end - 1] in CLOSING:
        end -= 1
    return start, end
