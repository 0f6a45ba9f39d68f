"""Reads: querysets with the counts and joins that lists need, so no list runs a query per row."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from django.db.models import Count, QuerySet

from commitments.models import Assessment, Bureau, Commitment, Report, Section
from commitments.selectors.access import bureau_ids_editable_by, bureau_ids_for_user


def bureaus_with_counts() -> QuerySet[Bureau]:
    return Bureau.objects.annotate(report_count=Count("reports", distinct=True))


def reports_with_counts() -> QuerySet[Report]:
    return Report.objects.select_related("bureau").annotate(
        section_count=Count("sections", distinct=True),
        commitment_count=Count("sections__commitments", distinct=True),
    )


def sections_with_counts() -> QuerySet[Section]:
    return Section.objects.select_related("report__bureau").annotate(commitment_count=Count("commitments"))


def commitments_listed() -> QuerySet[Commitment]:
    return Commitment.objects.select_related("section__report__bureau")


BULK_SKIP_DECIDED = "已由分析员判定"
BULK_SKIP_BUREAU = "不属于你负责的单位"
BULK_SKIP_UNVERIFIABLE = "机器建议为“无法核验”（含糊承诺），须逐条判断"
BULK_SKIP_LOW = "置信度低于下限"
BULK_CONFIRM_FLOOR = 0.8


def bulk_confirm_split(
    *, user, assessments: Iterable[Assessment], min_confidence: float
) -> tuple[list[Assessment], Counter]:
    """Which of the selected proposals a bulk confirmation takes, and why each other one is left out.

    "无法核验" rests on the vagueness flag alone, so it is never confirmed unread.
    """
    editable = bureau_ids_editable_by(user)
    eligible: list[Assessment] = []
    skipped: Counter = Counter()
    for assessment in assessments:
        if assessment.source == Assessment.Source.ANALYST:
            skipped[BULK_SKIP_DECIDED] += 1
        elif editable is not None and assessment.commitment.section.report.bureau_id not in editable:
            skipped[BULK_SKIP_BUREAU] += 1
        elif assessment.status == "unverifiable":
            skipped[BULK_SKIP_UNVERIFIABLE] += 1
        elif assessment.confidence < min_confidence:
            skipped[BULK_SKIP_LOW] += 1
        else:
            eligible.append(assessment)
    return eligible, skipped


def review_queue(*, user, disagreements: bool = False) -> QuerySet[Assessment]:
    """Machine proposals nobody confirmed yet, least sure first; or, on request, the analyst decisions
    a later machine run disagrees with."""
    assessments = assessments_for_user(user)
    if disagreements:
        assessments = assessments.filter(source=Assessment.Source.ANALYST, machine_disagrees=True)
    else:
        assessments = assessments.filter(source=Assessment.Source.MACHINE)
    return assessments.order_by("confidence", "pk")


def bureaus_for_user(user) -> QuerySet[Bureau]:
    ids = bureau_ids_for_user(user)
    return Bureau.objects.all() if ids is None else Bureau.objects.filter(pk__in=ids)


def reports_for_user(user) -> QuerySet[Report]:
    reports = reports_with_counts()
    ids = bureau_ids_for_user(user)
    return reports if ids is None else reports.filter(bureau_id__in=ids)


def sections_for_user(user) -> QuerySet[Section]:
    sections = sections_with_counts()
    ids = bureau_ids_for_user(user)
    return sections if ids is None else sections.filter(report__bureau_id__in=ids)


def commitments_for_user(user) -> QuerySet[Commitment]:
    commitments = commitments_listed()
    ids = bureau_ids_for_user(user)
    return commitments if ids is None else commitments.filter(section__report__bureau_id__in=ids)


def assessments_for_user(user) -> QuerySet[Assessment]:
    assessments = Assessment.objects.select_related("commitment__section__report__bureau")
    ids = bureau_ids_for_user(user)
    return assessments if ids is None else assessments.filter(commitment__section__report__bureau_id__in=ids)
