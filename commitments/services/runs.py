"""Writes of matching runs: a run row per scope, the scope's lock, and the request sent to the workers.

A job is a MatchingRun row first and a queue message second (see `commitments.queue`). One run per
scope (bureau + plan year) may be running at a time, a partial unique index on the table; a holder
that stopped reporting progress lost its worker and is taken over.
"""

from __future__ import annotations

import os
import socket
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from commitments.engine.matching.model_file import engine_version
from commitments.models import Bureau, MatchingRun
from commitments.queue import run_enqueue

# This machine, as the runs it holds record it.
HOST = socket.gethostname()[:255]


class ScopeBusy(Exception):
    """Another run of the same scope is running (and alive): this one must wait or come back later."""

    def __init__(self, holder_id: int):
        super().__init__(f"同一范围的匹配运行 #{holder_id} 正在进行")
        self.holder_id = holder_id


def matching_run_create(
    *, bureau: Bureau | None = None, year: int | None = None, trigger: str = MatchingRun.Trigger.MANUAL
) -> MatchingRun:
    """A queued run for the given scope, to be passed to `commitments_match` (now or by a job)."""
    return MatchingRun.objects.create(
        scope_bureau=bureau, scope_year=year, trigger=trigger, engine_version=engine_version()
    )


def matching_run_start(run: MatchingRun, *, total: int, force: bool = False) -> None:
    """Mark `run` running, which takes its scope's lock (one running run per scope, a DB constraint).

    A holder of the scope whose process is known dead (this host, no such process) or that stopped
    reporting progress for MATCHING_RUN_STALE_SECONDS lost its worker (killed, machine gone): it is
    marked failed and this run takes over. The same run still running elsewhere (a job delivered twice)
    counts as a live holder too. `force` takes over from a live-looking holder as well (`rematch --force`,
    when the analyst knows better).
    """
    now = timezone.now()
    try:
        with transaction.atomic():
            current = MatchingRun.objects.select_for_update().get(pk=run.pk)
            holders = MatchingRun.objects.select_for_update().filter(
                scope_key=current.scope_key, state=MatchingRun.State.RUNNING
            )
            for holder in holders:
                gone = holder_gone(holder, now=now)
                if not gone and not (force and holder.pk != run.pk):
                    raise ScopeBusy(holder.pk)
                if holder.pk != run.pk:
                    holder.state = MatchingRun.State.FAILED
                    holder.heartbeat_at = None
                    holder.finished_at = now
                    holder.error = f"{gone or '被强制接替'}，由运行 #{run.pk} 接替"
                    holder.save(update_fields=["state", "heartbeat_at", "finished_at", "error"])
            run.state = MatchingRun.State.RUNNING
            run.started_at = run.heartbeat_at = now
            run.finished_at = None
            run.engine_version = engine_version()
            run.attempts = current.attempts + 1
            run.total = total
            run.done = run.changed = 0
            run.error = ""
            run.holder_host, run.holder_pid = HOST, os.getpid()
            run.save(
                update_fields=[
                    "state",
                    "started_at",
                    "heartbeat_at",
                    "finished_at",
                    "engine_version",
                    "attempts",
                    "total",
                    "done",
                    "changed",
                    "error",
                    "holder_host",
                    "holder_pid",
                ]
            )
    except IntegrityError:
        # Another run of the scope became running between our read and our write.
        holder = MatchingRun.objects.filter(scope_key=run.scope_key, state=MatchingRun.State.RUNNING).first()
        raise ScopeBusy(holder.pk if holder else 0) from None


def holder_gone(run: MatchingRun, *, now=None) -> str:
    """Why a running run's process is known to be gone (a Chinese reason), or "" while it may be alive."""
    now = now or timezone.now()
    if run.holder_host == HOST and run.holder_pid and not process_alive(run.holder_pid):
        return f"执行进程 {run.holder_pid} 已不存在"
    stale_before = now - timedelta(seconds=settings.MATCHING_RUN_STALE_SECONDS)
    if run.heartbeat_at is None or run.heartbeat_at < stale_before:
        return f"工作进程中断（超过 {settings.MATCHING_RUN_STALE_SECONDS} 秒无进度）"
    return ""


def process_alive(pid: int) -> bool:
    """Whether a process of this host with that pid exists (another user's counts as alive)."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process: alive
    return True


def matching_run_request(
    *, bureau: Bureau | None = None, year: int | None = None, trigger: str = MatchingRun.Trigger.MANUAL
) -> MatchingRun:
    """A run of the scope for the workers; a run of that scope already waiting in the queue is reused.

    In eager mode (no broker) the run is done before this returns. EnqueueFailed when the queue is
    down: the run is kept (queued, with the error) and `matching_runs_recover` sends it later.
    """
    key = MatchingRun.scope_key_for(bureau.pk if bureau else None, year)
    waiting = (
        MatchingRun.objects.filter(scope_key=key, state=MatchingRun.State.QUEUED, enqueued_at__isnull=False)
        .order_by("pk")
        .first()
    )
    if waiting is not None and not settings.CELERY_TASK_ALWAYS_EAGER:
        return waiting
    run = matching_run_create(bureau=bureau, year=year, trigger=trigger)
    run_enqueue(run)
    run.refresh_from_db()
    return run


def matching_run_finish(run: MatchingRun, *, changed: int, error: Exception | None = None) -> None:
    """Mark `run` done (or failed with `error`), which frees its scope."""
    run.heartbeat_at = None
    run.finished_at = timezone.now()
    run.changed = changed
    fields = ["state", "finished_at", "changed", "done", "heartbeat_at"]
    if error is None:
        run.state = MatchingRun.State.DONE
    else:
        run.state = MatchingRun.State.FAILED
        run.error = f"{type(error).__name__}: {error}"[:2000]
        fields.append("error")
    run.save(update_fields=fields)
