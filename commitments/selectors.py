"""Reads: querysets with the counts and joins that lists need, so no list runs a query per row."""

from __future__ import annotations

from django.db.models import Count, QuerySet

from commitments.models import Bureau, Commitment, Report, Section


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
