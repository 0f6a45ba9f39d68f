"""The extraction engine's one entry point: report text in, sections and commitments out.

Pure Python (no Django), so that it can be evaluated, benchmarked and run from `extract_file`.
"""

from __future__ import annotations

import datetime

from commitments.engine.ingest.sectioning import split_sections
from commitments.engine.nlp.extract import extract_commitments
from commitments.engine.nlp.kinds import kind_model_version, kinds_call
from commitments.engine.types import CommitmentSpan, Extraction

# 0.3: headings without a year placed by the date; task-table header rows skipped. 0.4: the fitted kind call.
EXTRACT_CODE_VERSION = "extract-0.5"


def engine_version() -> str:
    """The code's version plus the kind model's: a new model changes what is called concrete."""
    return f"{EXTRACT_CODE_VERSION}+{kind_model_version()}"


def analyse_text(
    text: str,
    *,
    title: str = "",
    year: int | None = None,
    published: datetime.date | None = None,
    call_kinds: bool = True,
) -> Extraction:
    """Split a report into sections and extract the commitments of its plan sections.

    `year` is the analyst's hint for the report's own year; years written in the body win over it.
    `published`, the date the report bears, places headings without a year (今年工作安排).
    `call_kinds=False` leaves the rules' vague flag as it is (the kind call's training data).
    """
    sections, report_year, warnings = split_sections(text, title=title, year_hint=year, published=published)
    commitments: list[CommitmentSpan] = []
    for index, section in enumerate(sections):
        if section.kind == "plan":
            commitments.extend(extract_commitments(text, section, section_index=index))
    if call_kinds:
        commitments = kinds_call(commitments, text)
    return Extraction(sections=sections, commitments=commitments, report_year=report_year, warnings=warnings)
