"""Writes of import jobs: a big upload is held, becomes a job row, and is imported by a worker.

The web request only keeps the bytes (services.uploads) and writes the row; the import runs in a Celery
worker, or, with the embedded default, in a thread of the server process (commitments.queue). The row
holds everything the import needs besides the bytes, so a job whose process died is simply run again:
nothing of an import is written before its one transaction commits.
"""

from __future__ import annotations

import logging
import os
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from commitments.engine.ingest.readers.ocr import ocr_progress
from commitments.models import ImportJob
from commitments.queue import import_job_enqueue
from commitments.selectors.access import user_may_see_bureau
from commitments.services.reports import (
    IMPORT_STEPS,
    STEP_MATCH,
    ImportCancelled,
    ImportOutcome,
    ImportStatus,
    NearDuplicates,
    report_import_bytes,
)
from commitments.services.runs import HOST, holder_gone, process_alive
from commitments.services.uploads import upload_held, upload_hold, upload_release

logger = logging.getLogger(__name__)

CANCELLED_MESSAGE = "已按上传人的要求取消，未写入任何内容"
MAX_ATTEMPTS = 3  # runs of one job whose process died or failed before it is given up
RESEND_SECONDS = 60  # a job sent again is left this long before the next page sends it once more
GAVE_UP = "导入在 {attempts} 次尝试中都被中断或出错（文件可能过大或已损坏），已停止；未写入任何内容，详情见日志"


def import_in_background(size: int, filename: str = "") -> bool:
    """Whether an upload is imported by a job rather than inside the request: a big one, or an archive."""
    return size >= settings.IMPORT_JOB_MIN_BYTES or is_archive(filename)


def is_archive(filename: str) -> bool:
    return filename.lower().endswith(".zip")


def import_job_create(
    *, data: bytes, filename: str, bureau_name: str | None, year: int | None, user: AbstractBaseUser | None
) -> ImportJob:
    """Hold the upload and queue its import; OSError / UploadHoldError when the bytes cannot be held."""
    token = upload_hold(data)
    with transaction.atomic():
        job = ImportJob.objects.create(
            filename=filename[:255],
            size=len(data),
            token=token,
            bureau_name=(bureau_name or "")[:200],
            year=year,
            requested_by=user if user is not None and user.is_authenticated else None,
            total=len(IMPORT_STEPS),
        )
        import_job_enqueue(job)
    return job


@dataclass(frozen=True)
class Claim:
    job: ImportJob | None
    why_not: str = ""


def import_job_claim(job_id: int) -> Claim:
    """Take the job to run it: queued, or running in a process known to be gone. Anything else is left."""
    now = timezone.now()
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().filter(pk=job_id).first()
        if job is None:
            return Claim(None, "no such job")
        if job.state == ImportJob.State.RUNNING:
            gone = holder_gone(job, now=now)
            if not gone:
                return Claim(None, f"running in {job.holder_host}:{job.holder_pid}")
            logger.warning("import job %s taken over: %s", job.pk, gone)
        elif job.state != ImportJob.State.QUEUED:
            return Claim(None, f"state {job.state}")
        job.state = ImportJob.State.RUNNING
        job.started_at = job.heartbeat_at = now
        job.holder_host, job.holder_pid = HOST, os.getpid()
        job.attempts += 1
        job.done, job.stage = 0, ""
        job.save(
            update_fields=[
                "state",
                "started_at",
                "heartbeat_at",
                "holder_host",
                "holder_pid",
                "attempts",
                "done",
                "stage",
            ]
        )
    return Claim(job)


def import_job_run(job: ImportJob) -> ImportJob:
    """Import a claimed job's held upload and record the outcome on the row."""
    if job.cancel_requested:
        return _finish(job, state=ImportJob.State.CANCELLED, message=CANCELLED_MESSAGE, release=True)
    data = upload_held(job.token)
    if data is None:
        return _finish(
            job,
            state=ImportJob.State.FAILED,
            message="暂存的上传文件已不存在（超过一天或已清理），请重新上传",
            release=True,
        )
    if is_archive(job.filename):
        return _archive_run(job, data)

    scanned = {"pages": 0}

    def cancelled() -> bool:
        return ImportJob.objects.filter(pk=job.pk, cancel_requested=True).exists()

    def progress(step: str) -> None:
        index = IMPORT_STEPS.index(step) + scanned["pages"]
        if cancelled() and step != STEP_MATCH:  # once written, the report stays (matching is not undone)
            raise ImportCancelled
        ImportJob.objects.filter(pk=job.pk).update(stage=step, done=index, heartbeat_at=timezone.now())

    def page_read(done: int, total: int) -> None:
        """A scan, page by page: the bar counts its pages besides the import's steps."""
        if cancelled():
            raise ImportCancelled
        scanned["pages"] = total
        ImportJob.objects.filter(pk=job.pk).update(
            stage=f"文字识别（OCR）第 {done}/{total} 页",
            done=done,
            total=total + len(IMPORT_STEPS),
            heartbeat_at=timezone.now(),
        )

    token = ocr_progress.set(page_read)
    try:
        outcome = report_import_bytes(
            data=data,
            filename=job.filename,
            bureau_name=job.bureau_name or None,
            year=job.year,
            imported_by=job.requested_by,
            near_duplicates=job.near_duplicates,
            near_duplicate_of=job.near_duplicate_of_id,
            progress=progress,
            ocr=True,
        )
    except ImportCancelled:
        return _finish(job, state=ImportJob.State.CANCELLED, message=CANCELLED_MESSAGE, release=True)
    finally:
        ocr_progress.reset(token)
    job.refresh_from_db(fields=["total"])
    return import_job_record(job, outcome)


def _archive_run(job: ImportJob, data: bytes) -> ImportJob:
    """A .zip upload: every report in it, as `import_reports` imports a downloaded archive. Each file and
    each scanned page keeps the job alive (heartbeat) and may stop it (cancel): reports already imported
    stay, the rest is not read."""
    import tempfile
    from pathlib import Path

    from commitments.services.reports import reports_import_batch

    def alive(**fields) -> None:
        if ImportJob.objects.filter(pk=job.pk, cancel_requested=True).exists():
            raise ImportCancelled
        ImportJob.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now(), **fields)

    def on_file(name: str, done: int, total: int) -> None:
        alive(stage=name[:40], done=done, total=total)

    def on_page(done: int, total: int) -> None:
        alive()

    token = ocr_progress.set(on_page)
    try:
        with tempfile.TemporaryDirectory(prefix="chengnuo-upload-") as folder:
            # The name as uploaded, cut to stay a valid file name (255 bytes; a Chinese character is 3).
            name = Path(job.filename).name
            path = Path(folder) / (name if len(name.encode()) <= 200 else f"{name[:60]}.zip")
            path.write_bytes(data)
            outcomes = reports_import_batch(
                [path],
                bureau_name=job.bureau_name or None,
                year=job.year,
                imported_by=job.requested_by,
                on_file=on_file,
            )
    except ImportCancelled:
        return _finish(
            job,
            state=ImportJob.State.CANCELLED,
            message="已按上传人的要求取消；取消前已导入的报告保留，其余文件未读取",
            release=True,
        )
    finally:
        ocr_progress.reset(token)
    counts = Counter(o.status_label for o in outcomes)
    lines = [f"{o.source}：{o.status_label}" + (f"（{_shown_reason(job, o)}）" if o.reason else "") for o in outcomes]
    imported = [o for o in outcomes if o.status in (ImportStatus.IMPORTED, ImportStatus.REPLACED)]
    known = [o for o in outcomes if o.status in (ImportStatus.UNCHANGED, ImportStatus.SAME_REPORT)]
    job.outcome = ImportStatus.IMPORTED if imported else ImportStatus.UNCHANGED if known else ImportStatus.FAILED
    job.report = imported[0].report if imported else None
    job.sections = sum(o.sections for o in imported)
    job.commitments = sum(o.commitments for o in imported)
    job.total = len(outcomes)
    summary = f"{len(outcomes)} 个文件：" + "，".join(f"{label} {n}" for label, n in counts.items())
    return _finish(
        job,
        state=ImportJob.State.DONE if imported or known else ImportJob.State.FAILED,
        message="\n".join([summary, *lines])[:20000],
        release=True,
        done=job.total,
    )


def _shown_reason(job: ImportJob, outcome: ImportOutcome) -> str:
    """A file's reason as the requester may read it: a report of a bureau they do not handle is not named."""
    other = outcome.existing or outcome.report
    user = job.requested_by
    if other is None or user is None or user_may_see_bureau(user=user, bureau_id=other.bureau_id):
        return outcome.reason
    return f"“{other.bureau}”已有一份与此相同或几乎相同的报告（不在你负责的单位内）"


def import_job_record(job: ImportJob, outcome: ImportOutcome) -> ImportJob:
    """The outcome on the row: a near-copy waits for the requester (the bytes stay held), the rest is final."""
    if outcome.status == ImportStatus.NEAR_DUPLICATE:
        job.near_duplicate_of = outcome.existing
        job.similarity = outcome.similarity
        job.outcome = outcome.status
        user = job.requested_by
        visible = user is None or user_may_see_bureau(user=user, bureau_id=outcome.existing.bureau_id)
        # A report of a bureau the requester does not handle is not named to them, not even its title.
        message = outcome.reason if visible else f"“{outcome.existing.bureau}”已有一份与此几乎相同或同名的报告"
        return _finish(job, state=ImportJob.State.AWAITING, message=message, release=False)
    job.outcome = outcome.status
    job.report = outcome.report
    job.sections, job.commitments = outcome.sections, outcome.commitments
    job.similarity = outcome.similarity
    failed = outcome.status == ImportStatus.FAILED
    return _finish(
        job,
        state=ImportJob.State.FAILED if failed else ImportJob.State.DONE,
        message=outcome.reason,
        release=True,
        done=job.done if failed else job.total,
    )


def import_job_decide(job: ImportJob, *, decision: str) -> ImportJob:
    """The requester's answer about a near-copy: import again as a new version or a second report, or drop it.

    ValueError for an answer that is none of these or a job that is not waiting for one.
    """
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().get(pk=job.pk)
        if job.state != ImportJob.State.AWAITING:
            raise ValueError(f"job {job.pk} awaits no decision ({job.state})")
        if decision == "cancel":
            return _finish(job, state=ImportJob.State.CANCELLED, message="已取消导入，未保存任何内容", release=True)
        if decision not in (NearDuplicates.REPLACE, NearDuplicates.KEEP):
            raise ValueError(f"not a decision: {decision!r}")
        job.near_duplicates = decision
        job.cancel_requested = False  # a cancel asked while it ran is answered by this decision
        job.state = ImportJob.State.QUEUED
        job.outcome, job.message, job.done, job.stage = "", "", 0, ""
        job.finished_at = None
        job.save(
            update_fields=[
                "near_duplicates",
                "cancel_requested",
                "state",
                "outcome",
                "message",
                "done",
                "stage",
                "finished_at",
            ]
        )
        import_job_enqueue(job)
    return job


def import_job_cancel(job: ImportJob) -> ImportJob:
    """Cancel a job: a queued one at once; a running one stops before it writes (after, the report stays)."""
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().get(pk=job.pk)
        if job.state in (ImportJob.State.QUEUED, ImportJob.State.AWAITING):
            return _finish(job, state=ImportJob.State.CANCELLED, message=CANCELLED_MESSAGE, release=True)
        if job.state == ImportJob.State.RUNNING:
            job.cancel_requested = True
            job.save(update_fields=["cancel_requested"])
    return job


def import_jobs_recover() -> list[ImportJob]:
    """Send again the jobs whose process is gone (a killed server or worker) or whose message was lost.

    Called by the periodic check, and by the import pages (the embedded default has no periodic check).
    """
    now = timezone.now()
    lost_before = now - timedelta(seconds=settings.MATCHING_RUN_REQUEUE_SECONDS)
    recovered = []
    for job in ImportJob.objects.filter(state__in=ImportJob.ACTIVE):
        if job.state == ImportJob.State.RUNNING:
            resent_lately = job.enqueued_at is not None and job.enqueued_at > now - timedelta(seconds=RESEND_SECONDS)
            lost = bool(holder_gone(job, now=now)) and not resent_lately
        else:
            # Never sent (the queue was down), sent by a process of this host that is gone (a thread of a
            # killed server), or sent so long ago that the message must be lost.
            lost = (
                job.enqueued_at is None
                or (job.holder_host == HOST and job.holder_pid is not None and not process_alive(job.holder_pid))
                or job.enqueued_at < lost_before
            )
        if not lost:
            continue
        if job.attempts >= MAX_ATTEMPTS:
            # Killed again and again (a file that takes the process down): stop, say so, keep nothing half.
            _finish(job, state=ImportJob.State.FAILED, message=GAVE_UP.format(attempts=job.attempts), release=True)
            continue
        import_job_enqueue(job)
        recovered.append(job)
    return recovered


def import_job_fail(job: ImportJob, *, message: str) -> ImportJob:
    """End a job that errored (the held upload is let go; nothing of it was written)."""
    return _finish(job, state=ImportJob.State.FAILED, message=message, release=True)


def _finish(job: ImportJob, *, state: str, message: str, release: bool, done: int | None = None) -> ImportJob:
    if release and job.token:
        upload_release(job.token)
        job.token = ""
    job.state = state
    job.message = message
    job.finished_at = timezone.now()
    job.heartbeat_at = None
    if done is not None:
        job.done = done
    job.stage = ImportJob.State(state).label
    fields = [
        "state",
        "message",
        "finished_at",
        "heartbeat_at",
        "done",
        "stage",
        "total",
        "token",
        "outcome",
        "report",
        "sections",
        "commitments",
        "similarity",
        "near_duplicate_of",
    ]
    # Only the run that claimed the job last writes its end: a run taken over (its process looked dead)
    # that finishes after all changes nothing.
    values = {ImportJob._meta.get_field(name).attname: None for name in fields}
    values = {attname: getattr(job, attname) for attname in values}
    ImportJob.objects.filter(pk=job.pk, attempts=job.attempts).update(**values)
    return job
