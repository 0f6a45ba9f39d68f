"""Double coding: draw a sample, record a second analyst's independent judgement, measure agreement.

The first coding of an item is the assessment an analyst confirmed; the second is a SecondCoding by a
different analyst of the same bureau who never saw the first. Agreement counts an item only once both
exist, so a sample can be second-coded before the first analyst gets to it.
"""

from __future__ import annotations

import math
import random
from collections import defaultdict
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, QuerySet

from commitments import selectors
from commitments.agreement import Agreement, cohen_kappa
from commitments.matching.types import STATUS_LABELS
from commitments.models import Assessment, Bureau, DoubleCodingSample, SecondCoding

SEED_LIMIT = 2**31


@dataclass(frozen=True)
class AgreementRow:
    bureau: Bureau
    year: int
    sampled: int  # items in the sample
    second_coded: int  # items with a second coding
    agreement: Agreement  # over the items with both codings


def double_coding_sample_draw(
    *, bureau: Bureau, year: int, user, size: int | None = None, share: float | None = None, seed: int | None = None
) -> DoubleCodingSample:
    """Mark a random sample of the bureau's assessments of that plan year for second coding.

    The candidates are shuffled in primary-key order by a seeded generator and the first `size` taken,
    so the same seed draws the same items and a larger size only adds items. Drawing again replaces the
    bureau-year's sample; second codings already made are kept.
    """
    if not selectors.user_may_edit_bureau(user=user, bureau_id=bureau.pk):
        raise PermissionDenied("只有负责该单位的分析员可以抽样")
    if (size is None) == (share is None):
        raise ValidationError("请给出抽样数或抽样比例（二选一）")
    candidates = list(
        Assessment.objects.filter(commitment__section__report__bureau=bureau, commitment__section__year=year)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    if not candidates:
        raise ValidationError(f"{bureau} {year}年没有可抽样的评估")
    if share is not None:
        if not 0 < share <= 1:
            raise ValidationError("抽样比例须在 0 到 1 之间")
        size = math.ceil(share * len(candidates))
    if size < 1:
        raise ValidationError("抽样数至少为 1")
    size = min(size, len(candidates))
    if seed is None:
        seed = random.SystemRandom().randrange(SEED_LIMIT)
    random.Random(seed).shuffle(candidates)
    with transaction.atomic():
        sample, _ = DoubleCodingSample.objects.update_or_create(
            bureau=bureau, year=year, defaults={"size": size, "seed": seed, "drawn_by": user}
        )
        sample.assessments.set(candidates[:size])
    return sample


def second_coding_queue(*, user) -> QuerySet[Assessment]:
    """Sampled items nobody has second-coded yet that this user may code: of their bureaus, not confirmed
    by themselves."""
    ids = _codable_bureau_ids(user)
    queue = (
        selectors.assessments_for_user(user)
        .filter(double_coding_samples__isnull=False, second_codings__isnull=True)
        .exclude(confirmed_by=user)
        .distinct()
        .order_by("pk")
    )
    return queue if ids is None else queue.filter(commitment__section__report__bureau_id__in=ids)


def sampled_assessments_for_user(user) -> QuerySet[Assessment]:
    return selectors.assessments_for_user(user).filter(double_coding_samples__isnull=False).distinct()


def second_coding_check(*, assessment: Assessment, user) -> None:
    """Why this user may not second-code the item, if they may not."""
    if not selectors.user_may_edit_bureau(user=user, bureau_id=assessment.commitment.section.report.bureau_id):
        raise PermissionDenied("只读账户或非本人负责的单位，不能复核")
    if assessment.confirmed_by_id == user.pk:
        raise PermissionDenied("该评估由你确认，须由另一位分析员独立复核")
    if not assessment.double_coding_samples.exists():
        raise PermissionDenied("该评估不在双人复核抽样中")


def second_coding_save(*, assessment: Assessment, user, status: str, evidence_text: str = "", note: str = ""):
    """Record (or revise) the user's independent judgement; one second coder per item."""
    if status not in STATUS_LABELS:
        raise ValidationError({"status": "未知状态"})
    with transaction.atomic():
        current = (
            Assessment.objects.select_for_update(of=("self",))
            .select_related("commitment__section__report")
            .get(pk=assessment.pk)
        )
        second_coding_check(assessment=current, user=user)
        if current.second_codings.exclude(coder=user).exists():
            raise ValidationError("该评估已由另一位分析员复核")
        coding, _ = SecondCoding.objects.update_or_create(
            assessment=current,
            coder=user,
            defaults={"status": status, "evidence_text": evidence_text.strip(), "note": note.strip()},
        )
    return coding


def agreement_pairs(*, user, bureau_id: int | None = None, year: int | None = None) -> dict:
    """(bureau id, plan year) → (first labels, second labels) over the items both analysts coded.

    The first label is the assessment's status when an analyst other than the second coder confirmed it.
    """
    codings = SecondCoding.objects.filter(
        assessment__in=selectors.assessments_for_user(user),
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
    bureau_ids = selectors.bureau_ids_for_user(user)
    samples = DoubleCodingSample.objects.all()
    codings = SecondCoding.objects.filter(assessment__in=selectors.assessments_for_user(user))
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
    if not user.is_active or not user.groups.filter(name=selectors.ANALYST_GROUP).exists():
        return set()
    return selectors.bureau_ids_for_user(user)
