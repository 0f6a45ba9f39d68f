"""Jobs around the matching service: model warm-up, sending runs to the workers, stale runs, the schedule.

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
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from commitments.models import Assessment, Bureau, Evidence, MatchingRun, Report, Section

logger = logging.getLogger(__name__)

# A queued run whose message is not out yet (it waits for its transaction to commit) is left alone
# this long before the periodic check sends it itself.
UNSENT_GRACE_SECONDS = 60


class EnqueueFailed(Exception):
    """The task queue could not take the job; the run stays queued and is sent again later."""

    def __init__(self, run: MatchingRun, cause: Exception):
        super().__init__(
            f"任务队列不可用（{type(cause).__name__}: {cause}），运行 #{run.pk} 已记录，恢复后自动重新排队"
        )
        self.run = run


def models_warm() -> None:
    """Load the spaCy pipeline and (when used) the embedding model now, once per worker process."""
    from commitments.matching import embedding
    from commitments.nlp.pipeline import get_pipeline

    started = time.perf_counter()
    get_pipeline()
    if settings.MATCH_EMBEDDINGS:
        embedding.warm_up()
    logger.info("models loaded in process %s (%.1f s)", os.getpid(), time.perf_counter() - started)


def matching_run_request(
    *, bureau: Bureau | None = None, year: int | None = None, trigger: str = MatchingRun.Trigger.MANUAL
) -> MatchingRun:
    """A run of the scope for the workers; a run of that scope already waiting in the queue is reused.

    In eager mode (no broker) the run is done before this returns. EnqueueFailed when the queue is
    down: the run is kept (queued, with the error) and `matching_runs_recover` sends it later.
    """
    from commitments.matching_services import matching_run_create

    key = MatchingRun.scope_key_for(bureau.pk if bureau else None, year)
    waiting = (
        MatchingRun.objects.filter(scope_key=key, state=MatchingRun.State.QUEUED, enqueued_at__isnull=False)
        .order_by("pk")
        .first()
    )
    if waiting is not None and not settings.CELERY_TASK_ALWAYS_EAGER:
        return waiting
    run = matching_run_create(bureau=bureau, year=year, trigger=trigger)
    matching_run_enqueue(run)
    run.refresh_from_db()
    return run


def matching_run_enqueue(run: MatchingRun) -> None:
    """Send the run to the workers (after the current transaction commits, so they can read it)."""
    if settings.CELERY_TASK_ALWAYS_EAGER or not transaction.get_connection().in_atomic_block:
        _send(run)
        return

    def send_later() -> None:
        try:
            _send(run)
        except EnqueueFailed:
            logger.warning("run %s could not be sent; the periodic check will send it", run.pk)

    transaction.on_commit(send_later)


def _send(run: MatchingRun) -> None:
    from commitments import tasks

    MatchingRun.objects.filter(pk=run.pk).update(enqueued_at=timezone.now())
    try:
        tasks.matching_run_execute.delay(run.pk)
    except tasks.ENQUEUE_ERRORS as exc:
        if settings.CELERY_TASK_ALWAYS_EAGER:
            raise
        failure = EnqueueFailed(run, exc)
        run.enqueued_at = None
        run.error = str(failure)
        run.save(update_fields=["enqueued_at", "error"])
        logger.warning("enqueueing run %s failed: %s", run.pk, exc)
        raise failure from exc


def matching_run_execute(*, run_id: int, wait_seconds: float = 0) -> MatchingRun | None:
    """Do a run (the task's body). A run already done is not done again; a missing one is ignored.

    ScopeBusy when another live run of the same scope is running after waiting `wait_seconds`.
    """
    from commitments.matching_services import ScopeBusy, commitments_match

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
    from commitments import extraction
    from commitments.matching_services import report_plan_years
    from commitments.services import report_reextract

    report = Report.objects.select_related("bureau").filter(pk=report_id).first()
    if report is None:
        return []
    if report.engine_version != extraction.ENGINE_VERSION:
        report_reextract(report=report)
    if report.bureau.is_placeholder:
        return []
    return [
        matching_run_request(bureau=report.bureau, year=year, trigger=trigger)
        for year in report_plan_years(report=report)
    ]


def outdated_scopes() -> list[tuple[int, int]]:
    """(bureau id, plan year) whose evidence or machine assessments an older matching engine made."""
    from commitments.matching.types import MATCH_ENGINE_VERSION

    bureau, year = "commitment__section__report__bureau_id", "commitment__section__year"
    old_evidence = Evidence.objects.exclude(engine_version=MATCH_ENGINE_VERSION).values_list(bureau, year)
    old_machine = (
        Assessment.objects.filter(source=Assessment.Source.MACHINE)
        .exclude(engine_version=MATCH_ENGINE_VERSION)
        .values_list(bureau, year)
    )
    scopes = set(old_evidence.distinct()) | set(old_machine.distinct())
    placeholders = set(Bureau.objects.filter(is_placeholder=True).values_list("pk", flat=True))
    return sorted((b, y) for b, y in scopes if y and b not in placeholders)


@dataclass
class CheckOutcome:
    recovered: list[MatchingRun]
    reextracted: list[int]  # report ids sent for re-extraction
    requested: list[MatchingRun]


def matching_check() -> CheckOutcome:
    """The periodic check: recover lost runs, then bring what an older engine made up to date."""
    from commitments import extraction, tasks

    recovered = matching_runs_recover()
    outdated_reports = list(
        Report.objects.exclude(engine_version=extraction.ENGINE_VERSION).values_list("pk", flat=True)
    )
    for report_id in outdated_reports:
        tasks.report_refresh.delay(report_id)
    bureaus = Bureau.objects.in_bulk([b for b, _ in outdated_scopes()])
    requested = [
        matching_run_request(bureau=bureaus[b], year=y, trigger=MatchingRun.Trigger.OUTDATED)
        for b, y in outdated_scopes()
    ]
    return CheckOutcome(recovered=recovered, reextracted=outdated_reports, requested=requested)


def matching_nightly_request() -> list[MatchingRun]:
    """The nightly full re-match: one run per bureau with plans, so that several workers share it."""
    bureaus = Bureau.objects.filter(
        is_placeholder=False, reports__sections__kind=Section.Kind.PLAN, reports__sections__year__isnull=False
    ).distinct()
    return [matching_run_request(bureau=bureau, trigger=MatchingRun.Trigger.NIGHTLY) for bureau in bureaus]


def matching_runs_recover() -> list[MatchingRun]:
    """Send again the runs a dead worker or a lost queue message left behind.

    Running runs that reported no progress for MATCHING_RUN_STALE_SECONDS go back to the queue; queued
    runs never sent (the queue was down) or sent longer than MATCHING_RUN_REQUEUE_SECONDS ago are sent
    again. A run sent twice is done once: the second delivery finds it done.
    """
    now = timezone.now()
    stale_before = now - timedelta(seconds=settings.MATCHING_RUN_STALE_SECONDS)
    dead = MatchingRun.objects.filter(state=MatchingRun.State.RUNNING).filter(
        Q(heartbeat_at__lt=stale_before) | Q(heartbeat_at__isnull=True)
    )
    lost = MatchingRun.objects.filter(state=MatchingRun.State.QUEUED).filter(
        Q(enqueued_at__isnull=True, created_at__lt=now - timedelta(seconds=UNSENT_GRACE_SECONDS))
        | Q(enqueued_at__lt=now - timedelta(seconds=settings.MATCHING_RUN_REQUEUE_SECONDS))
    )
    recovered = []
    for run in [*dead, *lost]:
        if run.state == MatchingRun.State.RUNNING:
            updated = MatchingRun.objects.filter(pk=run.pk, state=MatchingRun.State.RUNNING).update(
                state=MatchingRun.State.QUEUED,
                heartbeat_at=None,
                error=f"工作进程中断（超过 {settings.MATCHING_RUN_STALE_SECONDS} 秒无进度），已重新排队",
            )
            if not updated:
                continue
            run.refresh_from_db()
        try:
            _send(run)
        except EnqueueFailed:
            break  # the queue is still down: the next check tries again
        recovered.append(run)
    return recovered


# The periodic jobs (django-celery-beat keeps them in the database, editable in the admin).
SCHEDULE = {
    "每夜全量重新匹配": {
        "task": "commitments.tasks.matching_nightly",
        "crontab": {"minute": "30", "hour": "2"},  # 30 2 * * *: every night at 02:30
        "expires": 23 * 3600,
    },
    "检查过期与中断的匹配": {
        "task": "commitments.tasks.matching_check",
        "interval_seconds": 600,  # every 10 minutes
        "expires": 9 * 60,
    },
}


def schedule_ensure() -> list[str]:
    """Create the periodic jobs that are missing; ones that exist (maybe edited by an admin) stay as they are.

    Returns the names created.
    """
    from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask

    created = []
    for name, entry in SCHEDULE.items():
        if PeriodicTask.objects.filter(name=name).exists():
            continue
        fields: dict[str, object] = {"name": name, "task": entry["task"], "expire_seconds": entry["expires"]}
        if "crontab" in entry:
            fields["crontab"], _ = CrontabSchedule.objects.get_or_create(
                **entry["crontab"], day_of_week="*", day_of_month="*", month_of_year="*", timezone=settings.TIME_ZONE
            )
        else:
            fields["interval"], _ = IntervalSchedule.objects.get_or_create(
                every=entry["interval_seconds"], period=IntervalSchedule.SECONDS
            )
        PeriodicTask.objects.create(**fields)
        created.append(name)
    return created
