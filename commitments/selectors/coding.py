"""Reads of double coding: the second coder's queue, the sample, and the agreement figures."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Count, QuerySet

from commitments.engine.agreement import Agreement, cohen_kappa
from commitments.engine.types import STATUS_LABELS
from commitments.models import Assessment, Bureau, DoubleCodingSample, SecondCoding
from commitments.selectors.access import ANALYST_GROUP, bureau_ids_for_user
from commitments.selectors.lists import assessments_for_user


@dataclass(frozen=True)
class AgreementRow:
    bureau: Bureau
    year: int
    sampled: int  # items in the sample
    second_coded: int  # items with a second coding
    agreement: Agreement  # over the items with both codings


def second_coding_queue(*, user) -> QuerySet[Assessment]:
    """Sampled items nobody has second-coded yet that this user may code: of their bureaus, not confirmed
    by themselves."""
    ids = _codable_bureau_ids(user)
    queue = (
        assessments_for_user(user)
        .filter(double_coding_samples__isnull=False, second_codings__isnull=True)
        .exclude(confirmed_by=user)
        .distinct()
        .order_by("pk")
    )
    return queue if ids is None else queue.filter(commitment__section__report__bureau_id__in=ids)


def sampled_assessments_for_user(user) -> QuerySet[Assessment]:
    return assessments_for_user(user).filter(double_coding_samples__isnull=False).distinct()


def agreement_pairs(*, user, bureau_id: int | None = None, year: int | None = None) -> dict:
    """(bureau id, plan year) → (first labels, second labels) over the items both analysts coded.

    The first label is the assessment's status when an analyst other than the second coder confirmed it.
    """
    codings = SecondCoding.objects.filter(
        assessment__in=assessments_for_user(user),
        assessment__source=Assessment.Source.ANALYST,
    ).select_related("assessment__commitment__section__report")
    if bureau_id is not None:
        codings = codings.filter(assessment__commitment__section__report__bureau_id=bureau_id)
    if year is not None:
        codings = codings.filter(assessment__commitment__section__year=year)
    pairs: dict = defaultdict(lambda: ([], []))
    counted: set[int] = set()
    for coding in codings.order_by("created_at", "pk"):
        assessment = coding.assessment
        if assessment.pk in counted or assessment.confirmed_by_id in (None, coding.coder_id):
            continue
        counted.add(assessment.pk)
        section = assessment.commitment.section
        first, second = pairs[(section.report.bureau_id, section.year)]
        first.append(assessment.status)
        second.append(coding.status)
    return dict(pairs)


def agreement_rows(*, user) -> list[AgreementRow]:
    """One row per bureau and plan year that has a sample or second codings, visible to the user."""
    bureau_ids = bureau_ids_for_user(user)
    samples = DoubleCodingSample.objects.all()
    codings = SecondCoding.objects.filter(assessment__in=assessments_for_user(user))
    if bureau_ids is not None:
        samples = samples.filter(bureau_id__in=bureau_ids)
    sampled = {(s.bureau_id, s.year): s.size_drawn for s in samples.annotate(size_drawn=Count("assessments"))}
    coded: dict = defaultdict(set)
    for assessment_id, bureau_id, year in codings.values_list(
        "assessment_id", "assessment__commitment__section__report__bureau_id", "assessment__commitment__section__year"
    ):
        coded[(bureau_id, year)].add(assessment_id)
    pairs = agreement_pairs(user=user)
    keys = set(sampled) | set(coded)
    bureaus = Bureau.objects.in_bulk({bureau_id for bureau_id, _ in keys})
    rows = [
        AgreementRow(
            bureau=bureaus[bureau_id],
            year=year,
            sampled=sampled.get((bureau_id, year), 0),
            second_coded=len(coded.get((bureau_id, year), ())),
            agreement=cohen_kappa(*pairs.get((bureau_id, year), ([], [])), labels=list(STATUS_LABELS)),
        )
        for bureau_id, year in keys
        if year is not None
    ]
    return sorted(rows, key=lambda row: (row.bureau.name, -row.year))


def user_may_code(user) -> bool:
    ids = _codable_bureau_ids(user)
    return ids is None or bool(ids)


def _codable_bureau_ids(user) -> set[int] | None:
    """The bureaus the user may code for; None means all (a superuser)."""
    if user.is_active and user.is_superuser:
        return None
    if not user.is_active or not user.groups.filter(name=ANALYST_GROUP).exists():
        return set()
    return bureau_ids_for_user(user)
