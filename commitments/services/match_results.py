"""Writes of one engine result: a commitment's evidence rows and its machine assessment.

Rows are compared before they are written, so a re-run of the same engine changes nothing; a decision an
analyst took is never overwritten: the machine's proposal is recorded beside it and a disagreement flagged."""

from __future__ import annotations

import logging
from collections import defaultdict

from django.db import transaction

from commitments.engine.matching.model_file import engine_version
from commitments.engine.types import MatchResult
from commitments.models import Assessment, Commitment, Evidence, Section

logger = logging.getLogger(__name__)


# Stored scores are rounded so that a re-run of the same engine on the same text compares equal even
# if the last bits of a float sum differ between runs.
DIGITS = 4


MACHINE_FIELDS = ("machine_status", "machine_confidence", "machine_reason", "machine_disagrees")


MACHINE_OWNED_FIELDS = (
    "status",
    "confidence",
    "reason",
    "evidence_text",
    "evidence_report_id",
    "evidence_start",
    "evidence_end",
    "engine_version",
)


def _evidence_rows(commitment: Commitment, result: MatchResult, review_sections: list[Section]) -> list[Evidence]:
    return [
        Evidence(
            commitment=commitment,
            section=review_sections[item.section_index],
            rank=rank,
            text=item.text,
            start=item.start,
            end=item.end,
            score=round(item.score, DIGITS),
            parts={name: round(value, DIGITS) for name, value in item.parts.items()},
            shared_terms=list(item.shared_terms),
            figures=list(item.figures),
            engine_version=engine_version(),
        )
        for rank, item in enumerate(result.evidence[:3], 1)
    ]


def _evidence_key(row: Evidence) -> tuple:
    return (
        row.rank,
        row.section_id,
        row.text,
        row.start,
        row.end,
        row.score,
        row.parts,
        row.shared_terms,
        row.figures,
        row.engine_version,
    )


def results_save(
    commitments: list[Commitment], results: list[MatchResult], review_sections: list[Section]
) -> tuple[int, int]:
    """Write one plan section's proposals; returns (commitments changed, analyst decisions kept)."""
    changed = analyst = 0
    with transaction.atomic():
        alive = set(
            Commitment.objects.select_for_update()
            .filter(pk__in=[c.pk for c in commitments])
            .values_list("pk", flat=True)
        )
        if Section.objects.filter(pk__in=[s.pk for s in review_sections]).count() != len(review_sections):
            # The review was re-extracted meanwhile; its next import or a rematch will do this section.
            logger.info("review sections of %s vanished during matching; skipped", commitments[0].section_id)
            return 0, 0
        assessments = {
            a.commitment_id: a for a in Assessment.objects.select_for_update().filter(commitment_id__in=alive)
        }
        existing: dict[int, list[tuple]] = defaultdict(list)
        for row in Evidence.objects.filter(commitment_id__in=alive).order_by("commitment_id", "rank"):
            existing[row.commitment_id].append(_evidence_key(row))

        stale: list[int] = []
        fresh: list[Evidence] = []
        for commitment, result in zip(commitments, results, strict=True):
            if commitment.pk not in alive:
                continue
            rows = _evidence_rows(commitment, result, review_sections)
            evidence_changed = [_evidence_key(r) for r in rows] != existing.get(commitment.pk, [])
            if evidence_changed:
                stale.append(commitment.pk)
                fresh.extend(rows)
            assessment = assessments.get(commitment.pk)
            if assessment is not None and assessment.source == Assessment.Source.ANALYST:
                analyst += 1
            # A "silent review" verdict has candidates but no evidence: nothing to show as adopted.
            best = rows[0] if rows and result.status != "no_evidence" else None
            assessment_changed = _assessment_save(commitment, assessment, result, best)
            changed += evidence_changed or assessment_changed
        Evidence.objects.filter(commitment_id__in=stale).delete()
        Evidence.objects.bulk_create(fresh)
    return changed, analyst


def _assessment_save(
    commitment: Commitment, assessment: Assessment | None, result: MatchResult, best: Evidence | None
) -> bool:
    """Create or update one assessment from a machine result; True when a row was written."""
    confidence = round(float(result.confidence), DIGITS)
    if assessment is None:
        assessment = Assessment(commitment=commitment, source=Assessment.Source.MACHINE)
    values: dict[str, object] = {
        "machine_status": result.status,
        "machine_confidence": confidence,
        "machine_reason": result.reason,
    }
    if assessment.source == Assessment.Source.ANALYST:
        values["machine_disagrees"] = result.status != assessment.status
    else:
        values.update(
            status=result.status,
            confidence=confidence,
            reason=result.reason,
            evidence_text=best.text if best else "",
            evidence_report_id=best.section.report_id if best else None,
            evidence_start=best.start if best else None,
            evidence_end=best.end if best else None,
            engine_version=engine_version(),
            machine_disagrees=False,
        )
    if assessment.pk is not None and all(getattr(assessment, k) == v for k, v in values.items()):
        return False
    for name, value in values.items():
        setattr(assessment, name, value)
    if assessment.pk is not None:
        assessment.version += 1
    assessment._change_reason = f"机器匹配（{engine_version()}）"
    assessment.save()
    return True


def no_review_save(commitments: list[Commitment]) -> int:
    """No review of the plan's year (any more): drop machine proposals, keep analyst decisions."""
    ids = [c.pk for c in commitments]
    with transaction.atomic():
        machine = list(
            Assessment.objects.select_for_update().filter(commitment_id__in=ids, source=Assessment.Source.MACHINE)
        )
        with_evidence = set(Evidence.objects.filter(commitment_id__in=ids).values_list("commitment_id", flat=True))
        Evidence.objects.filter(commitment_id__in=ids).delete()
        for assessment in machine:
            assessment._change_reason = "回顾已不存在，撤销机器建议"
            assessment.delete()
    return len(with_evidence | {a.commitment_id for a in machine})
