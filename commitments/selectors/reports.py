"""Reads about imported reports: which ones a new text may be another version of, which await matching."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q
from django.db.models.functions import Length

from commitments.engine.ingest.similarity import NEAR_DUPLICATE_SIMILARITY, jaccard, shingles
from commitments.models import MatchingRun, Report, Section


@dataclass(frozen=True)
class NearDuplicate:
    report: Report  # without its text (deferred)
    similarity: float  # Jaccard similarity of the shingles, 0–1
    same_source: bool  # imported from a file of the same name

    @property
    def similar(self) -> bool:
        return self.similarity >= NEAR_DUPLICATE_SIMILARITY


def report_near_duplicates(*, bureau_name: str, text: str, source: str) -> list[NearDuplicate]:
    """The bureau's reports that `text` may be another version of, the likeliest first.

    A report is one when its text is nearly the same, or when it came from a file of the same name (a
    bureau re-publishing 2022年工作计划.doc with new content); not so in the placeholder bureau, which
    gathers unrelated reports whose generic file names say nothing. Texts too short to reach the
    threshold are left in the database: a text of n characters has at most n shingles, and the
    similarity is at most the smaller shingle count over the larger.
    """
    new = shingles(text)
    reports = Report.objects.filter(bureau__name=bureau_name).annotate(length=Length("text"))
    name_rule = Q(source=source[:500]) & Q(bureau__is_placeholder=False) if source else Q(pk__in=[])
    rows = reports.filter(Q(length__gte=int(NEAR_DUPLICATE_SIMILARITY * len(new))) | name_rule)
    found: dict[int, tuple[float, bool]] = {}
    for pk, other, other_source, placeholder in rows.values_list("pk", "text", "source", "bureau__is_placeholder"):
        value = jaccard(new, shingles(other))
        same_source = bool(source) and other_source == source[:500] and not placeholder
        if value >= NEAR_DUPLICATE_SIMILARITY or same_source:
            found[pk] = (value, same_source)
    by_pk = Report.objects.select_related("bureau").defer("text").in_bulk(list(found))
    candidates = [
        NearDuplicate(report=by_pk[pk], similarity=value, same_source=same)
        for pk, (value, same) in found.items()
        if pk in by_pk  # not deleted meanwhile
    ]
    # Near-identical text first (the closest first), then same-name reports, the most recent first.
    return sorted(candidates, key=lambda c: (not c.similar, -c.similarity if c.similar else -c.report.pk))


def report_awaits_matching(report: Report) -> bool:
    """True when a plan year the report reviews or plans has had no finished matching run since it came in.

    So it is after an import whose process was killed while matching (the report is there, its
    commitments are not matched): the analyst re-uploading it is offered to match it.
    """
    if report.bureau.is_placeholder:
        return False
    years = {
        y
        for y in report.sections.filter(kind__in=[Section.Kind.REVIEW, Section.Kind.PLAN]).values_list(
            "year", flat=True
        )
        if y
    }
    finished = MatchingRun.objects.filter(
        Q(scope_bureau=report.bureau_id) | Q(scope_bureau__isnull=True),
        state=MatchingRun.State.DONE,
        finished_at__gte=report.imported_at,
    )
    return any(not finished.filter(Q(scope_year=year) | Q(scope_year__isnull=True)).exists() for year in years)
