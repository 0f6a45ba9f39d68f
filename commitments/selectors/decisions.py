"""The analysts' confirmed decisions as training data for the matcher: per plan section, the engine's
input (as matching reads it) and, per decided commitment, its status and chosen evidence."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from commitments.engine.types import VERIFIABLE, CommitmentSpan, SectionSpan
from commitments.models import Assessment, Report, Section
from commitments.selectors.matching_inputs import commitment_span, review_for, section_span


@dataclass(frozen=True)
class DecisionInputs:
    name: str
    commitments: list[CommitmentSpan]
    review_text: str
    review_sections: list[SectionSpan]
    corpus: tuple[str, ...]
    items: list[tuple[int, dict]]  # (commitment row, {"id", "kind", "status", "evidence"}) as in a gold file


def decision_inputs() -> list[DecisionInputs]:
    """Every plan section with at least one analyst-confirmed verifiable status whose review is there.
    A decision without chosen evidence still teaches the status, not the ranking."""
    confirmed = {
        a.commitment_id: a
        for a in Assessment.objects.filter(source=Assessment.Source.ANALYST, status__in=VERIFIABLE).only(
            "commitment_id", "status", "evidence_text"
        )
    }
    if not confirmed:
        return []
    plan_sections = (
        Section.objects.filter(kind=Section.Kind.PLAN, year__isnull=False, commitments__in=list(confirmed))
        .select_related("report__bureau")
        .distinct()
        .order_by("report__bureau_id", "year", "pk")
    )
    by_bureau: dict[int, list[Section]] = defaultdict(list)
    for section in plan_sections:
        by_bureau[section.report.bureau_id].append(section)
    inputs = []
    for bureau_id, sections in by_bureau.items():
        reports = list(Report.objects.filter(bureau_id=bureau_id).order_by("pk"))
        sections_of: dict[int, list[Section]] = defaultdict(list)
        for section in Section.objects.filter(report__bureau_id=bureau_id).order_by("report_id", "order"):
            sections_of[section.report_id].append(section)
        corpus = tuple(report.text for report in reports)
        for plan_section in sections:
            found = review_for(plan_section, reports=reports, sections_of=sections_of)
            if found is None:
                continue
            review_report, review_sections = found
            commitments = list(plan_section.commitments.order_by("order", "pk"))
            items = []
            for row, commitment in enumerate(commitments):
                decision = confirmed.get(commitment.pk)
                if decision is None:
                    continue
                evidence = [decision.evidence_text] if decision.evidence_text.strip() else []
                items.append(
                    (
                        row,
                        {"id": str(commitment.pk), "kind": "concrete", "status": decision.status, "evidence": evidence},
                    )
                )
            inputs.append(
                DecisionInputs(
                    name=f"{plan_section.report.bureau.name} {plan_section.year} 分析员决定",
                    commitments=[commitment_span(c, section_index=plan_section.order) for c in commitments],
                    review_text=review_report.text,
                    review_sections=[section_span(s) for s in review_sections],
                    corpus=corpus,
                    items=items,
                )
            )
    return inputs
