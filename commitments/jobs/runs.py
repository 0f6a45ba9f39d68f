"""Jobs around the matching service: model warm-up, doing a run, stale and lost runs, the periodic check.

A job is a MatchingRun row first and a queue message second: the row says what is to be done and how
far it got, the message only wakes a worker. So a lost message (the queue was down, a worker was
killed) costs nothing but time: `matching_runs_recover` sends queued runs again and frees the scope of
runs whose worker died. Running a run twice is harmless (one running run per scope; results are
compared before they are written).
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from commitments.engine import analyse
from commitments.engine.matching.model_file import engine_version
from commitments.models import Assessment, Bureau, Evidence, MatchingRun, Report, Section
from commitments.queue import EnqueueFailed, report_refresh_send, run_send
from commitments.services.extraction import report_reextract
from commitments.services.import_jobs import import_jobs_recover
from commitments.services.matching import commitments_match, report_plan_years
from commitments.services.runs import ScopeBusy, holder_gone, matching_run_request

logger = logging.getLogger(__name__)

# A queued run whose message is not out yet (it waits for its transaction to commit) is left alone
# this long before the periodic check sends it itself.
UNSENT_GRACE_SECONDS = 60


def models_warm() -> None:
    """Load the spaCy pipeline and (when used) the embedding model now, once per worker process."""
    # Imported here: the point of this function is to pay for loading them once, when a worker starts.
    from commitments.engine.matching import embedding
    from commitments.engine.nlp.pipeline import get_pipeline

    started = time.perf_counter()
    get_pipeline()
    if settings.MATCH_EMBEDDINGS:
        embedding.warm_up()
    logger.info("models loaded in process %s (%.1f s)", os.getpid(), time.perf_counter() - started)


def matching_run_execute(*, run_id: int, wait_seconds: float = 0) -> MatchingRun | None:
    """Do a run (the task's body). A run already done is not done again; a missing one is ignored.

    ScopeBusy when another live run of the same scope is running after waiting `wait_seconds`.
    """
    run = MatchingRun.objects.select_related("scope_bureau").filter(pk=run_id).first()
    if run is None or run.state == MatchingRun.State.DONE:
        return run
    deadline = time.monotonic() + wait_seconds
    while True:
        try:
            commitments_match(bureau=run.scope_bureau, year=run.scope_year, run=run)
            return run
        except ScopeBusy:
            if time.monotonic() >= deadline:
                raise
            time.sleep(1)
            run.refresh_from_db()
            if run.state == MatchingRun.State.DONE:
                return run


def report_refresh(*, report_id: int, trigger: str = MatchingRun.Trigger.OUTDATED) -> list[MatchingRun]:
    """Re-extract a report made by an older extraction engine, then re-match the plan years it affects."""
    report = Report.objects.select_related("bureau").filter(pk=report_id).first()
    if report is None:
        return []
    if report.engine_version != analyse.engine_version():
        report_reextract(report=report)
    if report.bureau.is_placeholder:
        return []
    return [
        matching_run_request(bureau=report.bureau, year=year, trigger=trigger)
        for year in report_plan_years(report=report)
    ]


def outdated_scopes() -> list[tuple[int, int]]:
    """(bureau id, plan year) whose evidence or machine assessments an older matching engine made."""
    bureau, year = "commitment__section__report__bureau_id", "commitment__section__year"
    old_evidence = Evidence.objects.exclude(engine_version=engine_version()).values_list(bureau, year)
    old_machine = (
        Assessment.objects.filter(source=Assessment.Source.MACHINE)
        .exclude(engine_version=engine_version())
        .values_list(bureau, year)
    )
    scopes = set(old_evidence.distinct()) | set(old_machine.distinct())
    placeholders = set(Bureau.objects.filter(is_placeholder=True).values_list("pk", flat=True))
    return sorted((b, y) for b, y in scopes if y and b not in placeholders)


@dataclass
class CheckOutcome:
    recovered: list[MatchingRun]
    imports: list  # import jobs sent again (their process died, or their message was lost)
    reextracted: list[int]  # report ids sent for re-extraction
    requested: list[MatchingRun]


def matching_check() -> CheckOutcome:
    """The periodic check: recover lost runs and import jobs, then bring what an older engine made up to date."""
    recovered = matching_runs_recover()
    imports = import_jobs_recover()
    outdated_reports = list(
        Report.objects.exclude(engine_version=analyse.engine_version()).values_list("pk", flat=True)
    )
    for report_id in outdated_reports:
        report_refresh_send(report_id)
    bureaus = Bureau.objects.in_bulk([b for b, _ in outdated_scopes()])
    requested = [
        matching_run_request(bureau=bureaus[b], year=y, trigger=MatchingRun.Trigger.OUTDATED)
        for b, y in outdated_scopes()
    ]
    return CheckOutcome(recovered=recovered, imports=imports, reextracted=outdated_reports, requested=requested)


def matching_nightly_request() -> list[MatchingRun]:
    """The nightly full re-match: one run per bureau with plans, so that several workers share it."""
    bureaus = Bureau.objects.filter(
        is_placeholder=False, reports__sections__kind=Section.Kind.PLAN, reports__sections__year__isnull=False
    ).distinct()
    return [matching_run_request(bureau=bureau, trigger=MatchingRun.Trigger.NIGHTLY) for bureau in bureaus]


def matching_runs_recover() -> list[MatchingRun]:
    """Send again the runs a dead worker or a lost queue message left behind.

    Running runs whose process is known dead (this host) or that reported no progress for
    MATCHING_RUN_STALE_SECONDS go back to the queue; queued runs never sent (the queue was down) or sent
    longer than MATCHING_RUN_REQUEUE_SECONDS ago are sent again. A run sent twice is done once: the second
    delivery finds it done.
    """
    now = timezone.now()
    dead = [run for run in MatchingRun.objects.filter(state=MatchingRun.State.RUNNING) if holder_gone(run, now=now)]
    lost = MatchingRun.objects.filter(state=MatchingRun.State.QUEUED).filter(
        Q(enqueued_at__isnull=True, created_at__lt=now - timedelta(seconds=UNSENT_GRACE_SECONDS))
        | Q(enqueued_at__lt=now - timedelta(seconds=settings.MATCHING_RUN_REQUEUE_SECONDS))
    )
    recovered = []
    for run in [*dead, *lost]:
        if run.state == MatchingRun.State.RUNNING:
            updated = MatchingRun.objects.filter(pk=run.pk, state=MatchingRun.State.RUNNING).update(
                state=MatchingRun.State.QUEUED, heartbeat_at=None, error=f"{holder_gone(run, now=now)}，已重新排队"
            )
            if not updated:
                continue
            run.refresh_from_db()
        try:
            run_send(run)
        except EnqueueFailed:
            break  # the queue is still down: the next check tries again
        recovered.append(run)
    return recovered
