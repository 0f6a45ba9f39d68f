"""Counted-ahead scorecard figures (Tally rows), kept true by marking a bureau stale on every write.

Grouping 250k commitments per page view costs about a second in PostgreSQL; the tallies make the list a
read of a few thousand rows. Any save or delete of an assessment, commitment, section or report marks its
bureau stale (one UPDATE, in the writer's transaction); the scorecard pages recount the stale bureaus
before reading (usually none, and a bureau's recount is one grouped query over its own rows). Marking in
the writer's transaction, rather than recounting on commit, keeps it correct inside tests' transactions and
when a job dies: nothing is lost that a later read would not redo.

Bulk writes that bypass model signals (QuerySet.update, bulk_create) call `Bureau.objects…scorecards_mark_stale()`
themselves, where they write.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.db.models import Count, F, Q
from django.db.models.signals import post_save, pre_delete, pre_save
from django.dispatch import receiver

from commitments.engine.types import STATUS_LABELS, VERIFIABLE
from commitments.models import Assessment, Bureau, Commitment, Report, Section, Tally


def counts() -> dict:
    """The conditional counts behind every scorecard figure, over commitments (with their assessment).

    The rate counts (rated_*, confirmed_*) leave out vague commitments whatever their status: a slogan is
    not a promise a review can keep, even when a review happens to praise its field.
    """
    concrete = Q(vague=False)
    by_analyst = concrete & Q(assessment__source=Assessment.Source.ANALYST)
    figures = {"commitments": Count("pk")}
    figures.update({status: Count("pk", filter=Q(assessment__status=status)) for status in STATUS_LABELS})
    figures["awaiting"] = Count("pk", filter=Q(assessment__isnull=True))
    figures["assessed"] = Count("pk", filter=Q(assessment__isnull=False))
    figures["confirmed"] = Count("pk", filter=Q(assessment__source=Assessment.Source.ANALYST))
    figures["vague_commitments"] = Count("pk", filter=Q(kind=Commitment.Kind.VAGUE))
    figures["not_commitments"] = Count("pk", filter=Q(kind=Commitment.Kind.NOT_COMMITMENT))
    figures["rated_fulfilled"] = Count("pk", filter=concrete & Q(assessment__status="fulfilled"))
    figures["rated_partial"] = Count("pk", filter=concrete & Q(assessment__status="partial"))
    figures["rated"] = Count("pk", filter=concrete & Q(assessment__status__in=VERIFIABLE))
    figures["confirmed_fulfilled"] = Count("pk", filter=by_analyst & Q(assessment__status="fulfilled"))
    figures["confirmed_partial"] = Count("pk", filter=by_analyst & Q(assessment__status="partial"))
    figures["confirmed_verifiable"] = Count("pk", filter=by_analyst & Q(assessment__status__in=VERIFIABLE))
    return figures


def bureaus_mark_stale(condition: Q) -> None:
    Bureau.objects.filter(condition).scorecards_mark_stale()


def tallies_refresh(bureau_ids: Iterable[int] | None = None) -> int:
    """Recount the stale bureaus (or the given ones); returns how many were recounted.

    Bureaus another transaction is writing are skipped (their writer leaves them stale for the next read),
    so a page never waits for a running matching job.
    """
    with transaction.atomic():
        bureaus = (
            Bureau.objects.filter(scorecard_stale=True)
            if bureau_ids is None
            else Bureau.objects.filter(pk__in=list(bureau_ids))
        )
        ids = list(bureaus.order_by().select_for_update(skip_locked=True).values_list("pk", flat=True))
        if not ids:
            return 0
        rows = (
            Commitment.objects.filter(section__report__bureau_id__in=ids)
            .values(bureau_ref=F("section__report__bureau_id"), plan_year=F("section__year"))
            .annotate(**counts())
            .order_by()
        )
        fresh = [Tally(bureau_id=row.pop("bureau_ref"), year=row.pop("plan_year"), **row) for row in rows]
        Tally.objects.filter(bureau_id__in=ids).delete()
        Tally.objects.bulk_create(fresh)
        Bureau.objects.filter(pk__in=ids).update(scorecard_stale=False)
    return len(ids)


@receiver(post_save, sender=Assessment)
@receiver(pre_delete, sender=Assessment)
def _assessment_changed(sender, instance: Assessment, **kwargs) -> None:
    bureaus_mark_stale(Q(reports__sections__commitments__pk=instance.commitment_id))


@receiver(post_save, sender=Commitment)
@receiver(pre_delete, sender=Commitment)
def _commitment_changed(sender, instance: Commitment, **kwargs) -> None:
    bureaus_mark_stale(Q(reports__sections__pk=instance.section_id))


@receiver(post_save, sender=Section)
@receiver(pre_delete, sender=Section)
def _section_changed(sender, instance: Section, **kwargs) -> None:
    bureaus_mark_stale(Q(reports__pk=instance.report_id))


@receiver(pre_save, sender=Report)
def _report_moving(sender, instance: Report, **kwargs) -> None:
    """A report moved to another bureau (an analyst's correction) changes the old bureau's figures too."""
    if instance.pk:
        bureaus_mark_stale(Q(reports__pk=instance.pk))


@receiver(post_save, sender=Report)
@receiver(pre_delete, sender=Report)
def _report_changed(sender, instance: Report, **kwargs) -> None:
    bureaus_mark_stale(Q(pk=instance.bureau_id))
