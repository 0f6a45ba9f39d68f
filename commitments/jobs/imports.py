"""The import job's body: claim the row, import the held upload, record what came of it.

A job delivered twice, or run again after its process died, is claimed once: a running job whose
process is alive is left alone; one whose process is gone is taken over (nothing of an import is
written before its transaction commits, so running it again is safe).
"""

from __future__ import annotations

import logging

from django import db

from commitments.models import ImportJob
from commitments.services.import_jobs import import_job_claim, import_job_fail, import_job_run

TRANSIENT = (db.OperationalError, db.InterfaceError)

logger = logging.getLogger(__name__)


def import_job_execute(*, job_id: int) -> ImportJob | None:
    claim = import_job_claim(job_id)
    if claim.job is None:
        logger.info("import job %s not run: %s", job_id, claim.why_not)
        return None
    try:
        return import_job_run(claim.job)
    except TRANSIENT as exc:
        # The database or the broker went away for a moment: queued again, for the task's retry to claim.
        logger.warning("import job %s interrupted (%s), queued again", job_id, exc)
        ImportJob.objects.filter(pk=job_id, state=ImportJob.State.RUNNING).update(
            state=ImportJob.State.QUEUED, holder_pid=None, heartbeat_at=None
        )
        raise
    except Exception:
        # Anything else would fail again: the job says so instead of being retried for ever.
        logger.exception("import job %s failed", job_id)
        job = ImportJob.objects.get(pk=job_id)
        import_job_fail(job, message="导入出错，详情见日志；未写入任何内容")
        return job
