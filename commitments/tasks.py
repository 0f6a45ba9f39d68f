"""Celery tasks: ids in, a service does the work. Retries (with backoff) live here, nowhere else."""

from __future__ import annotations

import logging

import kombu.exceptions
import redis.exceptions
from celery import shared_task
from django import db

from commitments.jobs import imports
from commitments.jobs import runs as jobs
from commitments.services.runs import ScopeBusy

logger = logging.getLogger(__name__)

# The database or the broker went away for a moment: try again later.
TRANSIENT_ERRORS = (
    db.OperationalError,
    db.InterfaceError,
    kombu.exceptions.OperationalError,
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
    ConnectionError,
    TimeoutError,
)

RETRY = {
    "autoretry_for": TRANSIENT_ERRORS,
    "retry_backoff": 5,  # 5 s, 10 s, 20 s ... with jitter
    "retry_backoff_max": 600,
    "retry_jitter": True,
    "max_retries": 8,
}
# A run whose scope is taken waits for the other run to finish, or for it to be declared dead.
BUSY_RETRY_SECONDS = 10
BUSY_MAX_RETRIES = 2000  # hours of waiting; a dead holder is taken over after MATCHING_RUN_STALE_SECONDS
# In eager mode there is no queue to come back through: wait in place this long.
EAGER_BUSY_WAIT_SECONDS = 60


@shared_task(bind=True, **RETRY)
def matching_run_execute(self, run_id: int) -> None:
    try:
        jobs.matching_run_execute(run_id=run_id, wait_seconds=EAGER_BUSY_WAIT_SECONDS if self.request.is_eager else 0)
    except ScopeBusy as busy:
        if self.request.is_eager:
            raise
        logger.info("run %s waits: %s", run_id, busy)
        raise self.retry(exc=busy, countdown=BUSY_RETRY_SECONDS, max_retries=BUSY_MAX_RETRIES) from None


@shared_task(**RETRY)
def report_refresh(report_id: int) -> None:
    jobs.report_refresh(report_id=report_id)


@shared_task(**RETRY)
def matching_check() -> None:
    outcome = jobs.matching_check()
    logger.info(
        "matching check: %d runs recovered, %d reports re-extracted, %d runs requested",
        len(outcome.recovered),
        len(outcome.reextracted),
        len(outcome.requested),
    )


@shared_task(**RETRY)
def matching_nightly() -> None:
    runs = jobs.matching_nightly_request()
    logger.info("nightly re-match: %d runs requested", len(runs))


@shared_task(**RETRY)
def import_job_execute(job_id: int) -> None:
    imports.import_job_execute(job_id=job_id)
