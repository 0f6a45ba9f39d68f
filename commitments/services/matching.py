"""Writes of the matching step: evidence and machine assessments for every plan commitment.

A commitment of plan year N is matched against its bureau's review of year N, normally the review
part of the bureau's next report. The engine runs outside any transaction; what it proposes is
written in one transaction per plan section. Decisions an analyst took are never overwritten: a
later machine run only records its own proposal beside them and flags a disagreement.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.utils import timezone

from commitments.models import Bureau, Commitment, MatchingRun, Report, Section
from commitments.queue import EnqueueFailed
from commitments.selectors.matching_inputs import commitment_span, review_for, section_span
from commitments.services.match_results import no_review_save, results_save
from commitments.services.runs import (
    ScopeBusy,
    holder_gone,
    matching_run_create,
    matching_run_finish,
    matching_run_request,
    matching_run_start,
)

logger = logging.getLogger(__name__)


@dataclass
class MatchOutcome:
    pairs: int = 0  # engine runs: (plan section, review report)
    commitments: int = 0  # commitments that got a machine proposal
    changed: int = 0  # commitments whose assessment or evidence changed
    skipped_analyst: int = 0  # of those, decided by an analyst: their decision was kept
    no_review: int = 0  # commitments of a plan year whose review is not imported yet
    missing_reviews: list[tuple[str, int, str]] = field(default_factory=list)  # (bureau, year, period)

    def add(self, other: MatchOutcome) -> None:
        for name in ("pairs", "commitments", "changed", "skipped_analyst", "no_review"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.missing_reviews += other.missing_reviews

    def summary(self) -> str:
        """One line in Chinese for the analyst (admin message, command output)."""
        return (
            f"计划—回顾 {self.pairs} 对，匹配承诺 {self.commitments} 条，其中有变化 {self.changed} 条；"
            f"保留分析员结论 {self.skipped_analyst} 条；尚无回顾的承诺 {self.no_review} 条"
        )


def commitments_match(
    *, bureau: Bureau | None = None, year: int | None = None, run: MatchingRun | None = None, force: bool = False
) -> MatchOutcome:
    """Match the commitments of every plan year in scope against the review of that year.

    `bureau` and `year` (a plan year) narrow the scope; placeholder bureaus are never matched, their
    reports come from unrelated publishers. Engine errors propagate (a job retries) after `run` is
    marked failed; plan sections finished before the error keep their new rows. With a `run`, the
    run's scope is locked first: ScopeBusy when another live run of that scope is running (unless
    `force`, which takes the scope over).
    """
    plan_sections = _plan_sections_in_scope(bureau=bureau, year=year)
    if run is not None:
        matching_run_start(run, total=Commitment.objects.filter(section__in=plan_sections).count(), force=force)

    outcome = MatchOutcome()
    try:
        by_bureau: dict[int, list[Section]] = defaultdict(list)
        for section in plan_sections:
            by_bureau[section.report.bureau_id].append(section)
        for sections in by_bureau.values():
            _bureau_match(sections, outcome=outcome, run=run)
    except Exception as exc:
        if run is not None:
            matching_run_finish(run, changed=outcome.changed, error=exc)
        raise
    if run is not None:
        matching_run_finish(run, changed=outcome.changed)
    return outcome


def scope_rematch(
    *,
    bureau: Bureau | None = None,
    year: int | None = None,
    trigger: str = MatchingRun.Trigger.MANUAL,
    keep_when_busy: bool = False,
    force: bool = False,
) -> tuple[MatchingRun, MatchOutcome]:
    """Match a scope now, in this process, as a run the runs list shows: create the run, then match.

    ScopeBusy when a live run holds the scope: the run is dropped (it never started), or with
    `keep_when_busy` stays queued for the periodic check. Engine errors propagate after the run is
    marked failed.
    """
    run = matching_run_create(bureau=bureau, year=year, trigger=trigger)
    try:
        return run, commitments_match(bureau=bureau, year=year, run=run, force=force)
    except ScopeBusy as busy:
        if keep_when_busy:
            MatchingRun.objects.filter(pk=run.pk).update(error=f"{busy}，稍后重做")
        else:
            run.delete()
        raise


def runs_pending_finish() -> list[MatchingRun]:
    """Embedded default (no broker): do now the runs that an interrupted process left queued or running.

    Called by the commands and pages that show matching results, so that a report whose import was
    killed midway gets matched without a worker. With a broker the periodic check does this instead.
    """
    if not settings.CELERY_TASK_ALWAYS_EAGER:
        return []
    finished = []
    waiting = MatchingRun.objects.filter(state__in=[MatchingRun.State.QUEUED, MatchingRun.State.RUNNING])
    for run in waiting.select_related("scope_bureau").order_by("pk"):
        if run.state == MatchingRun.State.RUNNING and not holder_gone(run):
            continue
        try:
            commitments_match(bureau=run.scope_bureau, year=run.scope_year, run=run)
        except ScopeBusy:
            continue
        except Exception:
            logger.exception("finishing the interrupted run %s failed", run.pk)
            continue
        finished.append(run)
    return finished


def matcher_problem() -> str | None:
    """Why the engine cannot match now (its model file missing, unreadable or made for other
    features), or None: said in Chinese where a match failed, instead of "see the log"."""
    # The engine loads spaCy, jieba and numpy: imported on first use, not whenever Django starts.
    from commitments.engine.matching.learned import current_model
    from commitments.engine.matching.model_file import ModelError

    try:
        current_model()
    except ModelError as exc:
        return str(exc)
    return None


def commitments_match_for_report(*, report: Report) -> MatchOutcome | None:
    """After an import: match what the new report can affect, the plan years it reviews or plans.

    Cheap when nothing can be matched (no engine run without a review). Never raises: the import has
    already succeeded, and `rematch` can repeat the matching later; None tells that it failed.
    """
    if report.bureau.is_placeholder:
        return MatchOutcome()
    years = report_plan_years(report=report)
    if not settings.CELERY_TASK_ALWAYS_EAGER:
        # Workers do it: one queued run per plan year (sent again by the periodic check if the queue was down).
        failed = False
        for year in years:
            try:
                matching_run_request(bureau=report.bureau, year=year, trigger=MatchingRun.Trigger.IMPORT)
            except EnqueueFailed:
                failed = True
        return None if failed else MatchOutcome()
    runs_pending_finish()  # what an interrupted earlier import left unmatched
    total = MatchOutcome()
    for year in years:
        # A run row here too, so the runs list shows what an import matched in eager mode (the demo).
        try:
            _, outcome = scope_rematch(
                bureau=report.bureau, year=year, trigger=MatchingRun.Trigger.IMPORT, keep_when_busy=True
            )
        except ScopeBusy:
            # The run stays queued: the periodic check (or `rematch`) does it once the scope is free.
            return None
        except Exception:
            logger.exception("matching after the import of report %s failed (plan year %s)", report.pk, year)
            return None
        total.add(outcome)
    return total


def report_plan_years(*, report: Report) -> list[int]:
    """The plan years a report can affect: those it reviews and those it plans."""
    years = report.sections.filter(kind__in=["review", "plan"]).values_list("year", flat=True)
    return sorted({y for y in years if y})


def plan_years_for(*, bureau_ids: list[int]) -> list[int]:
    """The plan years of these bureaus' reports, for choosing a re-match's scope."""
    years = Section.objects.filter(kind=Section.Kind.PLAN, report__bureau__in=bureau_ids, year__isnull=False)
    return sorted(set(years.values_list("year", flat=True)))


def _plan_sections_in_scope(*, bureau: Bureau | None, year: int | None) -> list[Section]:
    sections = (
        Section.objects.select_related("report__bureau")
        .filter(kind=Section.Kind.PLAN, year__isnull=False, report__bureau__is_placeholder=False)
        .order_by("report__bureau__name", "year", "report__pk", "order")
    )
    if bureau is not None:
        sections = sections.filter(report__bureau=bureau)
    if year is not None:
        sections = sections.filter(year=year)
    return list(sections)


def _bureau_match(plan_sections: list[Section], *, outcome: MatchOutcome, run: MatchingRun | None) -> None:
    # The engine loads spaCy, jieba and numpy: imported on first match, not whenever Django starts.
    from commitments.engine.matching import engine

    bureau = plan_sections[0].report.bureau
    reports = list(Report.objects.filter(bureau=bureau).order_by("pk"))
    sections_of: dict[int, list[Section]] = defaultdict(list)
    for section in Section.objects.filter(report__bureau=bureau).order_by("report_id", "order"):
        sections_of[section.report_id].append(section)
    corpus = tuple(report.text for report in reports)  # one object per bureau, so the engine may cache on it

    for plan_section in plan_sections:
        commitments = list(plan_section.commitments.order_by("order", "pk"))
        if not commitments:
            continue
        found = review_for(plan_section, reports=reports, sections_of=sections_of)
        if found is None:
            outcome.no_review += len(commitments)
            outcome.missing_reviews.append((bureau.name, plan_section.year, plan_section.period))
            changed = no_review_save(commitments)
        else:
            review_report, review_sections = found
            results = engine.match_commitments(
                [commitment_span(c, section_index=plan_section.order) for c in commitments],
                review_report.text,
                [section_span(s) for s in review_sections],
                corpus=corpus,
                use_embeddings=settings.MATCH_EMBEDDINGS,
            )
            if len(results) != len(commitments):
                raise RuntimeError(
                    f"matching engine returned {len(results)} results for {len(commitments)} commitments"
                )
            outcome.pairs += 1
            changed, analyst = results_save(commitments, results, review_sections)
            outcome.commitments += len(commitments)
            outcome.skipped_analyst += analyst
        outcome.changed += changed
        if run is not None:
            run.done += len(commitments)
            run.changed = outcome.changed
            run.heartbeat_at = timezone.now()  # the scope lock stays ours while this moves
            run.save(update_fields=["done", "changed", "heartbeat_at"])
