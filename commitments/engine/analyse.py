"""The extraction engine's one entry point: report text in, sections and commitments out.

Pure Python (no Django), so that it can be evaluated, benchmarked and run from `extract_file`.
"""

from __future__ import annotations

import datetime

from commitments.engine.ingest.sectioning import split_sections
from commitments.engine.nlp.extract import extract_commitments
from commitments.engine.types import CommitmentSpan, Extraction

ENGINE_VERSION = "extract-0.3"  # 0.3: headings without a year placed by the date; task-table header rows skipped


def analyse_text(
    text: str, *, title: str = "", year: int | None = None, published: datetime.date | None = None
) -> Extraction:
    """Split a report into sections and extract the commitments of its plan sections.

    `year` is the analyst's hint for the report's own year; years written in the body win over it.
    `published`, the date the report bears, places headings without a year (今年工作安排).
    """
    sections, report_year, warnings = split_sections(text, title=title, year_hint=year, published=published)
    commitments: list[CommitmentSpan] = []
    for index, section in enumerate(sections):
        if section.kind == "plan":
            commitments.extend(extract_commitments(text, section, section_index=index))
    return Extraction(sections=sections, commitments=commitments, report_year=report_year, warnings=warnings)
