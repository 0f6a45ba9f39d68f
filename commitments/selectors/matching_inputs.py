"""Reads that assemble the engine's input from the database: which review a plan section is matched
against, and the engine's spans for sections and commitments. Matching (services/matching.py) and the
analysts' decisions as training data (selectors/decisions.py) read them the same way."""

from __future__ import annotations

import dataclasses

from commitments.engine.types import CommitmentSpan, SectionSpan, Target
from commitments.models import Commitment, Report, Section


def review_for(
    plan_section: Section, *, reports: list[Report], sections_of: dict[int, list[Section]]
) -> tuple[Report, list[Section]] | None:
    """The report holding the review of the plan's year, and those review sections.

    The plan's own report is left out: its review part covers an earlier period. Reports of year N+1
    come first (the usual place), then the others nearest in year.
    """
    from commitments.engine.matching import engine

    year = plan_section.year

    def preference(report: Report) -> tuple:
        return (report.year != year + 1, report.year is None, abs((report.year or 0) - (year + 1)), report.pk)

    for report in sorted(reports, key=preference):
        if report.pk == plan_section.report_id:
            continue
        sections = sections_of.get(report.pk, [])
        indexes = engine.review_sections_for([section_span(s) for s in sections], year=year, period=plan_section.period)
        if indexes:
            return report, [sections[i] for i in indexes]
    return None


def section_span(section: Section) -> SectionSpan:
    return SectionSpan(
        kind=section.kind,
        year=section.year,
        period=section.period,
        heading=section.heading,
        start=section.start,
        end=section.end,
    )


TARGET_FIELDS = {f.name for f in dataclasses.fields(Target)}


def commitment_span(commitment: Commitment, *, section_index: int) -> CommitmentSpan:
    return CommitmentSpan(
        text=commitment.text,
        start=commitment.start,
        end=commitment.end,
        section_index=section_index,
        topic_path=tuple(commitment.topic_path),
        documents=tuple(commitment.documents),
        targets=tuple(
            Target(**{k: v for k, v in t.items() if k in TARGET_FIELDS})
            for t in commitment.targets
            if isinstance(t, dict)
        ),
        actions=tuple(commitment.actions),
        deadline=commitment.deadline,
        vague=commitment.vague,
    )
