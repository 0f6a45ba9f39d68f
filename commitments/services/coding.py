"""Double coding: draw a sample, record a second analyst's independent judgement, measure agreement.

The first coding of an item is the assessment an analyst confirmed; the second is a SecondCoding by a
different analyst of the same bureau who never saw the first. Agreement counts an item only once both
exist, so a sample can be second-coded before the first analyst gets to it.
"""

from __future__ import annotations

import math
import random

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from commitments.engine.types import STATUS_LABELS
from commitments.models import Assessment, Bureau, DoubleCodingSample, SecondCoding
from commitments.selectors.access import user_may_edit_bureau
from commitments.services.busy import retry_when_busy

SEED_LIMIT = 2**31


@retry_when_busy
def double_coding_sample_draw(
    *, bureau: Bureau, year: int, user, size: int | None = None, share: float | None = None, seed: int | None = None
) -> DoubleCodingSample:
    """Mark a random sample of the bureau's assessments of that plan year for second coding.

    The candidates are shuffled in primary-key order by a seeded generator and the first `size` taken,
    so the same seed draws the same items and a larger size only adds items. Drawing again replaces the
    bureau-year's sample; second codings already made are kept.
    """
    if not user_may_edit_bureau(user=user, bureau_id=bureau.pk):
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


def second_coding_check(*, assessment: Assessment, user) -> None:
    """Why this user may not second-code the item, if they may not."""
    if not user_may_edit_bureau(user=user, bureau_id=assessment.commitment.section.report.bureau_id):
        raise PermissionDenied("只读账户或非本人负责的单位，不能复核")
    if assessment.confirmed_by_id == user.pk:
        raise PermissionDenied("该评估由你确认，须由另一位分析员独立复核")
    if not assessment.double_coding_samples.exists():
        raise PermissionDenied("该评估不在双人复核抽样中")


@retry_when_busy
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
