"""The one seam to Celery: services send jobs through here, by task name, and never import `tasks.py`.

A job is a MatchingRun row first and a queue message second: the row says what is to be done and how
far it got, the message only wakes a worker. Sending by name keeps the dependencies pointing down
(tasks → jobs → services → queue), and a lost message costs nothing but time: the periodic check
sends queued runs again.
"""

from __future__ import annotations

import logging
import os
import threading

import kombu.exceptions
import redis.exceptions
from celery import current_app
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from commitments.models import ImportJob, MatchingRun

logger = logging.getLogger(__name__)

RUN_EXECUTE = "commitments.tasks.matching_run_execute"
REPORT_REFRESH = "commitments.tasks.report_refresh"
IMPORT_EXECUTE = "commitments.tasks.import_job_execute"

# What sending a task raises when the broker cannot be reached.
ENQUEUE_ERRORS = (kombu.exceptions.KombuError, redis.exceptions.RedisError, OSError)


class EnqueueFailed(Exception):
    """The task queue could not take the job; the run stays queued and is sent again later."""

    def __init__(self, run: MatchingRun | ImportJob, cause: Exception):
        what = f"导入任务 #{run.pk}" if isinstance(run, ImportJob) else f"运行 #{run.pk}"
        super().__init__(f"任务队列不可用（{type(cause).__name__}: {cause}），{what} 已记录，恢复后自动重新排队")
        self.run = run


def run_enqueue(run: MatchingRun) -> None:
    """Send the run to the workers (after the current transaction commits, so they can read it)."""
    if settings.CELERY_TASK_ALWAYS_EAGER or not transaction.get_connection().in_atomic_block:
        run_send(run)
        return

    def send_later() -> None:
        try:
            run_send(run)
        except EnqueueFailed:
            logger.warning("run %s could not be sent; the periodic check will send it", run.pk)

    transaction.on_commit(send_later)


def run_send(run: MatchingRun) -> None:
    """Send the run now; EnqueueFailed (the run keeps the error, unsent) when the broker is down."""
    MatchingRun.objects.filter(pk=run.pk).update(enqueued_at=timezone.now())
    try:
        _task(RUN_EXECUTE).delay(run.pk)
    except ENQUEUE_ERRORS as exc:
        if settings.CELERY_TASK_ALWAYS_EAGER:
            raise
        failure = EnqueueFailed(run, exc)
        run.enqueued_at = None
        run.error = str(failure)
        run.save(update_fields=["enqueued_at", "error"])
        logger.warning("enqueueing run %s failed: %s", run.pk, exc)
        raise failure from exc


def report_refresh_send(report_id: int) -> None:
    """Ask a worker to re-extract a report and re-match what it affects."""
    _task(REPORT_REFRESH).delay(report_id)


def _task(name: str):
    # The tasks module is found by the Celery app's autodiscovery, which runs on first need.
    tasks = current_app.tasks
    if name not in tasks:
        current_app.loader.import_default_modules()
    return tasks[name]


def import_job_enqueue(job: ImportJob) -> None:
    """Have the job imported once the current transaction commits: by a worker, or (embedded default, no
    broker) by a thread of this process, so that the web request that made it returns at once."""

    def send() -> None:
        try:
            import_job_send(job)
        except EnqueueFailed:
            logger.warning("import job %s could not be sent; the periodic check will send it", job.pk)

    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(send)
    else:
        send()


def import_job_send(job: ImportJob) -> None:
    if settings.CELERY_TASK_ALWAYS_EAGER:
        # The process that will run it, so that a job left queued by a killed server is known to be lost.
        ImportJob.objects.filter(pk=job.pk).update(enqueued_at=timezone.now())
        ImportJob.objects.filter(pk=job.pk, state=ImportJob.State.QUEUED).update(
            holder_host=_host(), holder_pid=os.getpid()
        )
        thread = threading.Thread(target=_import_in_thread, args=(job.pk,), name=f"import-job-{job.pk}", daemon=True)
        IMPORT_THREADS[:] = [*(t for t in IMPORT_THREADS if t.is_alive()), thread]
        thread.start()
        return
    ImportJob.objects.filter(pk=job.pk).update(enqueued_at=timezone.now())
    try:
        _task(IMPORT_EXECUTE).delay(job.pk)
    except ENQUEUE_ERRORS as exc:
        failure = EnqueueFailed(job, exc)
        ImportJob.objects.filter(pk=job.pk).update(enqueued_at=None, message=str(failure))
        logger.warning("enqueueing import job %s failed: %s", job.pk, exc)
        raise failure from exc


# The embedded default's import threads (tests wait for them; a thread is one import, then it ends).
IMPORT_THREADS: list[threading.Thread] = []


def _import_in_thread(job_id: int) -> None:
    from django.db import connection

    try:
        _task(IMPORT_EXECUTE).apply(args=(job_id,))
    except Exception:
        logger.exception("import job %s failed in its thread", job_id)
    finally:
        connection.close()


def _host() -> str:
    import socket

    return socket.gethostname()[:255]
