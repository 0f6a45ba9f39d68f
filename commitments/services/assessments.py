"""Writes of the analysts: confirming a machine proposal or deciding another status.

Each write locks the assessment, checks the user may decide for its bureau and that nobody saved it
since the user loaded it (optimistic locking on `version`), and leaves a history row naming the user.
Bulk confirmation and revert follow the same rules; history is only ever added to.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from commitments.engine.types import STATUS_LABELS
from commitments.models import Assessment, Report
from commitments.selectors.access import user_may_edit_bureau
from commitments.selectors.lists import bulk_confirm_split
from commitments.selectors.review_pane import review_found
from commitments.services.busy import retry_when_busy


class StaleAssessment(Exception):
    """Someone saved the assessment after the user opened it."""

    def __init__(self, assessment: Assessment):
        self.assessment = assessment
        who = assessment.confirmed_by or "机器匹配"
        super().__init__(
            f"保存冲突：该评估已被{who}修改（当前为“{assessment.get_status_display()}”，版本 {assessment.version}），"
            "你的修改未保存。请查看最新内容后重新提交。"
        )


@retry_when_busy
def assessment_confirm(*, assessment: Assessment, user, expected_version: int) -> Assessment:
    """Take the machine's proposal as the analyst's decision."""
    with transaction.atomic():
        current = _locked(assessment=assessment, user=user, expected_version=expected_version)
        current.source = Assessment.Source.ANALYST
        current.machine_disagrees = False
        return _save(current, user=user, reason="分析员确认机器建议")


@dataclass(frozen=True)
class EvidenceSpot:
    """Where chosen evidence stands: a report and offsets in its text (as Evidence rows keep them)."""

    report_id: int
    start: int
    end: int


@retry_when_busy
def assessment_decide(
    *,
    assessment: Assessment,
    user,
    expected_version: int,
    status: str,
    evidence_text: str = "",
    evidence_at: EvidenceSpot | None = None,
    note: str = "",
    failure_reason: str = "",
) -> Assessment:
    """Record the analyst's own status, with the evidence they chose, a note and a failure reason.

    Evidence given with its place (`evidence_at`) must be that text of a review of the commitment's
    bureau; its text is then taken from the report, so what is stored is what the review says.
    """
    if status not in STATUS_LABELS:
        raise ValidationError({"status": "未知状态"})
    if failure_reason and failure_reason not in Assessment.FailureReason.values:
        raise ValidationError({"failure_reason": "未知的未完成原因"})
    if status == "not_fulfilled" and not failure_reason:
        raise ValidationError({"failure_reason": "状态为“未完成”时须选择未完成原因"})
    with transaction.atomic():
        current = _locked(assessment=assessment, user=user, expected_version=expected_version)
        current.status = status
        current.source = Assessment.Source.ANALYST
        current.evidence_text = evidence_text.strip()
        spot = _evidence_spot(current, evidence_text, evidence_at) if evidence_at else None
        if spot is not None:
            current.evidence_text = _report_text(spot.report_id)[spot.start : spot.end]
        current.evidence_report_id = spot.report_id if spot else None
        current.evidence_start = spot.start if spot else None
        current.evidence_end = spot.end if spot else None
        current.note = note.strip()
        current.failure_reason = failure_reason if status == "not_fulfilled" else ""
        current.machine_disagrees = bool(current.machine_status) and current.machine_status != status
        return _save(current, user=user, reason=f"分析员判定为{STATUS_LABELS[status]}")


@dataclass
class BulkConfirmOutcome:
    confirmed: list[Assessment] = field(default_factory=list)
    skipped: Counter = field(default_factory=Counter)  # skip reason (Chinese) -> count


@retry_when_busy
def assessments_bulk_confirm(*, user, assessments: Iterable[Assessment], min_confidence: float) -> BulkConfirmOutcome:
    """Confirm many machine proposals at once, in one transaction.

    The rows are locked and sorted again here, so a row an analyst decided after the confirmation page
    was shown (or one of another bureau, or below the floor) is skipped, never overwritten.
    """
    if not 0 <= min_confidence <= 1:
        raise ValidationError({"min_confidence": "置信度下限须在 0 到 1 之间"})
    ids = [a.pk for a in assessments]
    outcome = BulkConfirmOutcome()
    with transaction.atomic():
        locked = (
            Assessment.objects.select_for_update(of=("self",))
            .select_related("commitment__section__report")
            .filter(pk__in=ids)
            .order_by("pk")
        )
        eligible, outcome.skipped = bulk_confirm_split(user=user, assessments=locked, min_confidence=min_confidence)
        for assessment in eligible:
            assessment.source = Assessment.Source.ANALYST
            assessment.machine_disagrees = False
            outcome.confirmed.append(_save(assessment, user=user, reason="分析员批量确认机器建议"))
    return outcome


REVERTED_FIELDS = (
    "status",
    "evidence_text",
    "evidence_report_id",
    "evidence_start",
    "evidence_end",
    "note",
    "failure_reason",
    "source",
)


@retry_when_busy
def assessment_revert(*, assessment: Assessment, history_id: int, user, expected_version: int) -> Assessment:
    """Restore the decision of an earlier version as a new version; the history keeps every row.

    Restoring a machine version makes the row a machine proposal again (with that run's confidence and
    reason): later machine runs may change it, as they may change any unconfirmed proposal.
    """
    with transaction.atomic():
        current = _locked(assessment=assessment, user=user, expected_version=expected_version)
        record = current.history.filter(history_id=history_id).exclude(history_type="-").first()
        if record is None:
            raise ValidationError("该评估没有这个历史版本")
        for name in REVERTED_FIELDS:
            setattr(current, name, getattr(record, name))
        when = timezone.localtime(record.history_date).strftime("%Y-%m-%d %H:%M")
        reason = f"恢复到 {when} 的版本（版本 {record.version}，{STATUS_LABELS.get(record.status, record.status)}）"
        if record.source == Assessment.Source.MACHINE:
            current.confidence = record.confidence
            current.reason = record.reason
            current.machine_disagrees = False
            # A machine proposal is confirmed by nobody; the history row still names who restored it.
            return _save(current, user=user, reason=reason, confirmed=False)
        current.machine_disagrees = bool(current.machine_status) and current.machine_status != current.status
        return _save(current, user=user, reason=reason)


def _report_text(report_id: int) -> str:
    return Report.objects.values_list("text", flat=True).get(pk=report_id)


def _evidence_spot(assessment: Assessment, text: str, at: EvidenceSpot) -> EvidenceSpot:
    """The place `at`, trimmed of surrounding blanks, once checked to hold `text` inside the review the
    commitment is matched against (the one the review page shows); a ValidationError says what does not fit."""
    found = review_found(assessment.commitment)
    report, sections = found if found is not None else (None, [])
    within = (
        report is not None
        and at.report_id == report.pk
        and any(s.start <= at.start and at.end <= s.end for s in sections)
    )
    if not (0 <= at.start < at.end) or not within:
        raise ValidationError({"evidence_paste": "证据位置不在该承诺所对照的回顾之内"})
    quoted = _report_text(at.report_id)[at.start : at.end]
    start = at.start + (len(quoted) - len(quoted.lstrip()))
    end = at.end - (len(quoted) - len(quoted.rstrip()))
    if start >= end or quoted.strip() != text.strip():
        raise ValidationError({"evidence_paste": "证据与回顾原文在该位置的文字不符，请重新选取"})
    return EvidenceSpot(at.report_id, start, end)


def _locked(*, assessment: Assessment, user, expected_version: int) -> Assessment:
    current = (
        Assessment.objects.select_for_update(of=("self",))
        .select_related("commitment__section__report", "confirmed_by")
        .get(pk=assessment.pk)
    )
    if not user_may_edit_bureau(user=user, bureau_id=current.commitment.section.report.bureau_id):
        raise PermissionDenied("无权修改该单位的评估")
    if current.version != expected_version:
        raise StaleAssessment(current)
    return current


def _save(assessment: Assessment, *, user, reason: str, confirmed: bool = True) -> Assessment:
    assessment.confirmed_by = user if confirmed else None
    assessment.confirmed_at = timezone.now() if confirmed else None
    assessment.version += 1
    assessment._history_user = user
    assessment._change_reason = reason
    assessment.save()
    return assessment


def evidence_places_follow(report: Report) -> int:
    """After the report's text was replaced: each evidence placed in it is found again in the new text (the
    occurrence nearest its old place) or loses its place, keeping its text; the count of places changed.

    Not a new history version: the decision stands, only where its words lie in the new text changed.
    Call inside the replacing transaction, so that no page sees the new text with the old offsets.
    """
    text = report.text
    changed = []
    for assessment in Assessment.objects.select_for_update().filter(evidence_report=report).order_by("pk"):
        quoted = assessment.evidence_text
        if quoted and text[assessment.evidence_start : assessment.evidence_end] == quoted:
            continue
        places = list(_occurrences(text, quoted)) if quoted else []
        if places:
            start = min(places, key=lambda i: abs(i - (assessment.evidence_start or 0)))
            assessment.evidence_start, assessment.evidence_end = start, start + len(quoted)
        else:
            assessment.evidence_report, assessment.evidence_start, assessment.evidence_end = None, None, None
        changed.append(assessment)
    Assessment.objects.bulk_update(changed, ["evidence_report", "evidence_start", "evidence_end"], batch_size=500)
    return len(changed)


def _occurrences(text: str, quoted: str) -> Iterable[int]:
    at = text.find(quoted)
    while at >= 0:
        yield at
        at = text.find(quoted, at + 1)
