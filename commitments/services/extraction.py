"""Writes of what the extraction engine finds in a report: its sections and commitments, first and again.

Re-extraction (a new engine, a new version of the report) keeps every commitment whose text is found
again, with its assessment and history, and keeps an analyst-decided one the engine no longer finds; an analyst's call on a commitment's kind stands."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from commitments.engine import analyse as engine
from commitments.models import Bureau, Commitment, Report, Section

ENGINE_WARNING = "抽取："


@dataclass(frozen=True)
class ReextractOutcome:
    report: Report
    sections: int
    commitments: int


def report_reextract(*, report: Report) -> ReextractOutcome:
    """Replace a report's sections and commitments with what the current engine finds.

    Used when the engine changes. Engine errors propagate (the caller, a job, retries); the old rows
    stay until the new ones are ready. A commitment whose text is found again keeps its row, and so
    its assessment and history; one that an analyst decided and that the engine no longer finds is
    kept too, under the new plan section of its year, and the report says so.
    """
    result = engine.analyse_text(report.text, title=report.title, year=report.year, published=report.published)
    with transaction.atomic():
        report = Report.objects.select_for_update().get(pk=report.pk)
        sections, commitments = reextraction_save(report, result)
    return ReextractOutcome(report=report, sections=sections, commitments=commitments)


def reextraction_save(report: Report, result: engine.Extraction) -> tuple[int, int]:
    """The writes of a re-extraction, in the caller's transaction on the locked row (shared with an
    import that replaces the report's text by a new version)."""
    old_sections = list(report.sections.all())
    old = {
        (c.section.kind, c.section.year, c.text): c
        for c in Commitment.objects.filter(section__report=report).select_related("section", "assessment")
    }
    sections, commitments, kept = extraction_save(report, result, reuse=dict(old))
    gone = [c for c in old.values() if c.pk not in kept]
    orphans = [
        c for c in gone if c.kind_by_analyst or getattr(getattr(c, "assessment", None), "source", "") == "analyst"
    ]
    Commitment.objects.filter(pk__in=[c.pk for c in gone if c not in orphans]).delete()
    notes = _orphans_keep(report, orphans)
    Section.objects.filter(pk__in=[s.pk for s in old_sections]).exclude(commitments__isnull=False).delete()
    if report.year is None:
        report.year = result.report_year
    report.warnings = [w for w in report.warnings if not w.startswith(ENGINE_WARNING)] + [
        ENGINE_WARNING + w for w in [*result.warnings, *notes]
    ]
    report.engine_version = engine.engine_version()
    report.save(update_fields=["year", "warnings", "engine_version"])
    return sections, commitments


def _orphans_keep(report: Report, orphans: list[Commitment]) -> list[str]:
    """Analyst-decided commitments the engine no longer finds: moved under a current section, never lost."""
    notes = []
    for commitment in orphans:
        home = (
            report.sections.filter(kind=commitment.section.kind, year=commitment.section.year)
            .exclude(pk=commitment.section_id)
            .order_by("order")
            .first()
        )
        if home is not None:
            commitment.section = home
        if report.text[commitment.start : commitment.end] != commitment.text:
            # A new version of the text (an import replaced it): the old offsets point at other words.
            at = report.text.find(commitment.text)
            at, length = (at, len(commitment.text)) if at >= 0 else (min(commitment.section.start, len(report.text)), 0)
            commitment.start, commitment.end = at, at + length
        commitment.save(update_fields=["section", "start", "end"])
        notes.append(f"重新抽取后原文中未再识别出“{commitment.text[:30]}”，已保留分析员结论")
    return notes


def extraction_save(
    report: Report, result: engine.Extraction, *, reuse: dict | None = None
) -> tuple[int, int, set[int]]:
    """Write sections and commitments; `reuse` maps (kind, year, text) to rows to update in place."""
    reuse = reuse or {}
    sections = [
        Section.objects.create(
            report=report,
            order=index,
            kind=span.kind,
            year=span.year,
            period=(span.period or "")[:20],
            heading=(span.heading or "")[:300],
            start=span.start,
            end=span.end,
        )
        for index, span in enumerate(result.sections)
    ]
    fresh, updated = [], []
    for order, span in enumerate(result.commitments):
        section = sections[span.section_index]
        row = reuse.pop((section.kind, section.year, span.text), None) or Commitment()
        row.section = section
        row.order = order
        row.text = span.text
        row.topic = span.topic[:300]
        row.topic_path = list(span.topic_path)
        row.start, row.end = span.start, span.end
        row.documents = list(span.documents)
        row.targets = [target.as_dict() for target in span.targets]
        row.actions = list(span.actions)
        row.deadline = (span.deadline or "")[:100]
        if not row.kind_by_analyst:  # an analyst's call on the kind is never overwritten by the machine
            row.kind = span.kind
            row.vague = span.vague
        row.engine_version = engine.engine_version()
        (updated if row.pk else fresh).append(row)
    Commitment.objects.bulk_create(fresh)
    fields = ["section", "order", "text", "topic", "topic_path", "start", "end", "documents", "targets"]
    fields += ["actions", "deadline", "kind", "vague", "engine_version"]
    Commitment.objects.bulk_update(updated, fields, batch_size=500)
    # bulk_create and bulk_update send no signals: the scorecards learn of these rows here.
    Bureau.objects.filter(pk=report.bureau_id).scorecards_mark_stale()
    return len(sections), len(fresh) + len(updated), {row.pk for row in updated}
