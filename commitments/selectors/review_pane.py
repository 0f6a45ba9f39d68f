"""Reads for the review page's two panes: the review text a commitment was matched against, where its
account of problems stands, and the plan section a commitment belongs to."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache

from commitments.models import Commitment, Report, Section
from commitments.selectors.matching_inputs import review_for, section_span


@dataclass(frozen=True)
class ReviewText:
    """One report's review sections, with the report's text to cut them from."""

    report: Report
    sections: list[Section]
    problems: list[tuple[int, int]] = field(default_factory=list)  # offsets in report.text


def review_found(commitment: Commitment) -> tuple[Report, list[Section]] | None:
    """The review report (without its text) and sections of the commitment's bureau and plan year, found
    as matching finds them; None when the bureau has none (yet)."""
    plan_section = commitment.section
    if plan_section.year is None:
        return None
    bureau_id = plan_section.report.bureau_id
    reports = list(Report.objects.filter(bureau_id=bureau_id).defer("text").order_by("pk"))
    sections_of: dict[int, list[Section]] = defaultdict(list)
    for section in Section.objects.filter(report__bureau_id=bureau_id).order_by("report_id", "order"):
        sections_of[section.report_id].append(section)
    return review_for(plan_section, reports=reports, sections_of=sections_of)


def review_text_for(commitment: Commitment) -> ReviewText | None:
    """The review found by `review_found`, with its report's text and where its problems stand."""
    found = review_found(commitment)
    if found is None:
        return None
    report, sections = found
    report = Report.objects.get(pk=report.pk)  # now with its text
    spans = tuple((s.kind, s.year, s.period, s.heading, s.start, s.end) for s in sections)
    return ReviewText(report=report, sections=sections, problems=list(_problems(report.text, spans)))


@lru_cache(maxsize=64)
def _problems(text: str, spans: tuple) -> tuple[tuple[int, int], ...]:
    """Cached per report text and sections: the layout pass costs a few hundred ms on a long review."""
    from commitments.engine.matching.units import problem_spans  # loads spaCy: on first use only

    sections = [
        section_span(Section(kind=k, year=y, period=p, heading=h, start=a, end=b)) for k, y, p, h, a, b in spans
    ]
    return tuple(problem_spans(text, sections))


def plan_text_for(commitment: Commitment) -> tuple[Section, str, list[Commitment]]:
    """The plan section holding the commitment, its text, and the section's commitments in order."""
    section = commitment.section
    text = Report.objects.values_list("text", flat=True).get(pk=section.report_id)
    siblings = list(section.commitments.order_by("start", "pk").only("pk", "start", "end", "kind", "text"))
    return section, text, siblings
