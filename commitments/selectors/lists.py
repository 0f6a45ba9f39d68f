"""Reads: querysets with the counts and joins that lists need, so no list runs a query per row."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from commitments.engine.matching.model_file import ModelError, confidence_floor
from commitments.models import Assessment, Bureau, Commitment, Evidence, MatchingRun, Report, Section
from commitments.selectors.access import bureau_ids_editable_by, bureau_ids_for_user


def _count_of(rows: QuerySet, link: str) -> Coalesce:
    """A correlated count of `rows` whose `link` is the outer row: no GROUP BY over the outer row's columns
    (a report's text can hold millions of characters)."""
    counted = rows.filter(**{link: OuterRef("pk")}).order_by().values(link).annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def bureaus_with_counts(user) -> QuerySet[Bureau]:
    """The bureaus a user may see, with how many reports each has."""
    return bureaus_for_user(user).annotate(report_count=_count_of(Report.objects.all(), "bureau"))


def reports_with_counts() -> QuerySet[Report]:
    """Reports for lists: counts by subquery and the text left unloaded (a list never shows it)."""
    return (
        Report.objects.select_related("bureau")
        .defer("text")
        .annotate(
            section_count=_count_of(Section.objects.all(), "report"),
            commitment_count=_count_of(Commitment.objects.all(), "section__report"),
        )
    )


def sections_with_counts() -> QuerySet[Section]:
    # A section's text is a slice of its report's: loaded on the section's own page, never for a list row.
    return (
        Section.objects.select_related("report__bureau")
        .defer("report__text")
        .annotate(commitment_count=_count_of(Commitment.objects.all(), "section"))
    )


def commitments_listed() -> QuerySet[Commitment]:
    # The admin's list_select_related is ignored once a queryset selects related rows: name them all here.
    return Commitment.objects.select_related("section__report__bureau", "assessment").defer("section__report__text")


BULK_SKIP_DECIDED = "已由分析员判定"
BULK_SKIP_BUREAU = "不属于你负责的单位"
BULK_SKIP_UNVERIFIABLE = "机器建议为“无法核验”（含糊承诺），须逐条判断"
BULK_SKIP_LOW = "置信度低于下限"
BULK_CONFIRM_PRECISION = 0.95  # the share of bulk-confirmed proposals that should be right


@dataclass(frozen=True)
class BulkFloor:
    precision: float
    floor: float | None  # None: no confidence reached the precision in the model's cross-validation
    share: float  # of all proposals, the share at or above the floor (cross-validated)

    @property
    def value(self) -> float:
        """The floor applied: 1, above every confidence the engine gives (it caps them at 0.999), when
        none reaches the precision."""
        return self.floor if self.floor is not None else 1.0


def bulk_confirm_floor(precision: float = BULK_CONFIRM_PRECISION) -> BulkFloor:
    """The confidence floor that makes bulk confirmation right `precision` of the time, by the model in
    use's leave-one-pair-out reliability figures."""
    try:
        floor, share = confidence_floor(precision)
    except ModelError:
        floor, share = None, 0.0
    return BulkFloor(precision, floor, share)


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


def runs_for_user(user) -> QuerySet[MatchingRun]:
    """Matching runs of the user's bureaus; a run over all bureaus is a superuser's to see."""
    runs = MatchingRun.objects.select_related("scope_bureau")
    ids = bureau_ids_for_user(user)
    return runs if ids is None else runs.filter(scope_bureau_id__in=ids)


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
    assessments = Assessment.objects.select_related("commitment__section__report__bureau").defer(
        "commitment__section__report__text"
    )
    ids = bureau_ids_for_user(user)
    return assessments if ids is None else assessments.filter(commitment__section__report__bureau_id__in=ids)


def assessment_version_before(assessment: Assessment):
    """The history row of the assessment just before its current version: what an undo restores."""
    return (
        assessment.history.exclude(history_type="-")
        .filter(version__lt=assessment.version)
        .order_by("-version", "-history_id")
        .first()
    )


def with_top_evidence(assessments: QuerySet[Assessment]) -> QuerySet[Assessment]:
    """Each assessment with its best evidence passage's text as `top_evidence` (the queue list shows it)."""
    best = Evidence.objects.filter(commitment_id=OuterRef("commitment_id"), rank=1).values("text")[:1]
    return assessments.annotate(top_evidence=Subquery(best))
