"""Reads of import jobs: a user's own uploads, and whether each one's report is theirs to see."""

from __future__ import annotations

from django.db.models import BooleanField, Case, QuerySet, Value, When

from commitments.models import ImportJob
from commitments.selectors.access import bureau_ids_for_user


def import_jobs_for_user(user) -> QuerySet[ImportJob]:
    """The jobs the user started (a superuser: all), each with `report_shown`: whether its report's bureau
    is one the user sees (an upload may land in a bureau not yet assigned to them)."""
    jobs = ImportJob.objects.select_related("requested_by", "report", "near_duplicate_of")
    ids = bureau_ids_for_user(user)
    if ids is None:
        return jobs.annotate(report_shown=Value(True, output_field=BooleanField()))
    shown = Case(When(report__bureau_id__in=ids, then=Value(True)), default=Value(False), output_field=BooleanField())
    return jobs.filter(requested_by=user).annotate(report_shown=shown)
