"""A big upload is imported by a job, not inside the request: the page shows its progress, then its outcome.

With the embedded default (no broker) the job runs in a thread of the server process, so these tests
commit their rows (transactional_db) for that thread to read them, as a worker would.
"""

from __future__ import annotations

import os
import subprocess

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from commitments import queue
from commitments.models import Commitment, ImportJob, Report
from commitments.services.import_jobs import import_job_claim, import_job_run
from commitments.services.reports import report_import
from commitments.services.runs import HOST
from commitments.services.uploads import upload_held, upload_hold
from tests.helpers import message_texts
from tests.paths import seed

pytestmark = pytest.mark.django_db(transaction=True)

IMPORT_URL = "/admin/commitments/report/import/"


@pytest.fixture(autouse=True)
def every_upload_is_a_job(settings, tmp_path):
    settings.IMPORT_JOB_MIN_BYTES = 1
    settings.UPLOAD_HOLD_DIR = tmp_path / "held"
    settings.MATCH_EMBEDDINGS = False


def threads_finish() -> None:
    for thread in list(queue.IMPORT_THREADS):
        thread.join(timeout=120)
        assert not thread.is_alive(), "an import thread did not finish"


def upload(client, path, name: str | None = None):
    data = path.read_bytes()
    return client.post(IMPORT_URL, {"file": SimpleUploadedFile(name or path.name, data), "bureau": "", "year": ""})


def job_page(client, job: ImportJob):
    return client.get(reverse("admin:commitments_importjob_change", args=[job.pk]))


def dead_pid() -> int:
    process = subprocess.Popen(["true"])
    process.wait()
    return process.pid


def test_a_big_upload_returns_at_once_and_its_job_page_shows_the_imported_report(staff_client, settings):
    response = upload(staff_client, seed("003"))

    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("admin:commitments_importjob_change", args=[job.pk])
    threads_finish()
    page = job_page(staff_client, job)
    job.refresh_from_db()
    report = Report.objects.get()
    assert (job.state, job.outcome, job.report_id, job.done, job.total) == ("done", "imported", report.pk, 4, 4)
    assert job.commitments == Commitment.objects.filter(section__report=report).count() > 0
    html = page.content.decode()
    assert reverse("admin:commitments_report_change", args=[report.pk]) in html
    assert 'http-equiv="refresh"' not in html  # finished: the page stops reloading
    assert job.token == "" and not any(settings.UPLOAD_HOLD_DIR.iterdir())  # the held bytes are let go


def test_an_active_job_page_reloads_itself_and_offers_to_cancel(staff_client, staff_user):
    # Sent a moment ago by this (live) process: the page's recovery leaves it alone.
    job = ImportJob.objects.create(
        filename="大文件.txt",
        requested_by=staff_user,
        total=4,
        enqueued_at=timezone.now(),
        holder_host=HOST,
        holder_pid=os.getpid(),
    )

    html = job_page(staff_client, job).content.decode()

    assert 'http-equiv="refresh"' in html and "取消导入" in html and "排队中" in html


def test_a_job_left_running_by_a_killed_server_is_taken_over_when_its_page_is_opened(staff_client, staff_user):
    """kill -9 of the server mid-import: the held bytes are still there and nothing was written."""
    job = ImportJob.objects.create(
        filename="兰陵.txt",
        requested_by=staff_user,
        token=upload_hold(seed("003").read_bytes()),
        state="running",
        holder_host=HOST,
        holder_pid=dead_pid(),
        heartbeat_at=timezone.now(),
        attempts=1,
        done=1,
        total=4,
    )

    job_page(staff_client, job)
    threads_finish()

    job.refresh_from_db()
    assert (job.state, job.outcome, job.attempts) == ("done", "imported", 2)
    assert Report.objects.count() == 1


def test_a_near_copy_waits_for_the_uploaders_answer_and_then_replaces_the_report(staff_client):
    original = report_import(path=seed("003")).report
    data = seed("003").read_bytes().replace(b"32285", b"32286")
    staff_client.post(
        IMPORT_URL, {"file": SimpleUploadedFile("兰陵县民政局（修订）.txt", data), "bureau": "", "year": ""}
    )
    threads_finish()
    job = ImportJob.objects.get()
    assert job.state == "awaiting" and job.near_duplicate_of_id == original.pk and job.token
    html = job_page(staff_client, job).content.decode()
    assert "替换为新版本" in html and "保留两份" in html and "相似度" in html

    response = staff_client.post(reverse("admin:commitments_importjob_decide", args=[job.pk]), {"decision": "replace"})
    threads_finish()

    assert response.status_code == 302
    job.refresh_from_db()
    assert (job.state, job.outcome, job.report_id) == ("done", "replaced", original.pk)
    assert Report.objects.count() == 1 and "32286" in Report.objects.get().text


def test_cancelling_a_running_job_before_it_writes_leaves_nothing(staff_user, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False  # no thread: this test runs the job itself, step by step
    job = ImportJob.objects.create(filename="兰陵.txt", requested_by=staff_user, total=4)
    job.token = upload_hold(seed("003").read_bytes())
    job.save()
    claimed = import_job_claim(job.pk).job
    ImportJob.objects.filter(pk=job.pk).update(cancel_requested=True)
    claimed.cancel_requested = False  # the request arrives while it runs

    import_job_run(claimed)

    job.refresh_from_db()
    assert job.state == "cancelled" and Report.objects.count() == 0
    assert upload_held(claimed.token) is None


def test_a_running_job_is_not_claimed_twice(staff_user):
    job = ImportJob.objects.create(
        filename="x.txt", requested_by=staff_user, state="running", holder_host=HOST, holder_pid=1
    )
    ImportJob.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now())

    assert import_job_claim(job.pk).job is None


def test_a_job_whose_held_file_is_gone_fails_with_a_clear_message(staff_user):
    job = ImportJob.objects.create(filename="x.txt", requested_by=staff_user, token="a" * 43)

    import_job_run(import_job_claim(job.pk).job)

    job.refresh_from_db()
    assert job.state == "failed" and "请重新上传" in job.message


def test_a_bad_file_fails_on_the_job_page_with_the_readers_reason(staff_client, garbage_file):
    upload(staff_client, garbage_file)
    threads_finish()
    job = ImportJob.objects.get()

    html = job_page(staff_client, job).content.decode()

    assert ImportJob.objects.get().state == "failed"
    assert "失败" in html and Report.objects.count() == 0


def test_another_users_job_is_not_found_and_not_listed(client, staff_user, make_user):
    job = ImportJob.objects.create(filename="别人的.txt", requested_by=staff_user, state="done")
    other = make_user("other-analyst", "analyst")
    client.force_login(other)

    assert job_page(client, job).status_code == 404
    assert client.post(reverse("admin:commitments_importjob_cancel", args=[job.pk])).status_code == 404
    listing = client.get(reverse("admin:commitments_importjob_changelist"))
    assert listing.status_code == 200 and list(listing.context["cl"].queryset) == []


def test_a_small_upload_is_still_imported_within_the_request(staff_client, settings):
    settings.IMPORT_JOB_MIN_BYTES = 10 * 1024 * 1024

    response = upload(staff_client, seed("003"))

    assert ImportJob.objects.count() == 0 and Report.objects.count() == 1
    assert any("已导入" in m for m in message_texts(response))


def test_an_uploaded_zip_of_reports_is_a_job_that_imports_each_report_once(staff_client, settings):
    import io
    import zipfile

    settings.IMPORT_JOB_MIN_BYTES = 10 * 1024 * 1024  # small: a job because it is an archive
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("兰陵/工作总结.txt", seed("003").read_bytes())
        archive.writestr("兰陵/工作总结（另存）.txt", seed("003").read_bytes())
        archive.writestr("中山/工作计划.txt", seed("001").read_bytes())

    response = staff_client.post(
        IMPORT_URL, {"file": SimpleUploadedFile("下载.zip", buffer.getvalue()), "bureau": "", "year": ""}
    )
    threads_finish()

    job = ImportJob.objects.get()
    assert response.url == reverse("admin:commitments_importjob_change", args=[job.pk])
    assert (job.state, job.outcome, job.total, job.done) == ("done", "imported", 3, 3)
    assert Report.objects.count() == 2
    html = job_page(staff_client, job).content.decode()
    assert "3 个文件：" in html and "同一报告" in html and "下载.zip/中山/工作计划.txt" in html


def test_a_scanned_upload_is_never_read_in_the_request_but_by_ocr_in_its_job(staff_client, settings):
    from tests.helpers import image_pdf, pdf_bytes, scan_images, seed_plan_page

    settings.IMPORT_JOB_MIN_BYTES = 50 * 1024 * 1024  # small: a job because it is a scan
    page = seed_plan_page()
    scan = image_pdf(scan_images(pdf_bytes([["兰陵县民政局2021年工作总结和2022年工作打算"], page])))

    response = staff_client.post(
        IMPORT_URL, {"file": SimpleUploadedFile("扫描件.pdf", scan), "bureau": "兰陵县民政局", "year": "2022"}
    )
    assert ImportJob.objects.count() == 1 and Report.objects.count() == 0  # nothing read in the request
    threads_finish()

    job = ImportJob.objects.get()
    assert response.url == reverse("admin:commitments_importjob_change", args=[job.pk])
    assert (job.state, job.outcome, job.total, job.done) == ("done", "imported", 2 + 4, 6)  # 2 pages, 4 steps
    report = Report.objects.get()
    assert report.source_format == "pdf" and any("文字识别（OCR" in w for w in report.warnings)
    assert job.commitments > 0


def test_a_job_killed_again_and_again_is_given_up_with_a_reason(staff_client, staff_user):
    from commitments.services.import_jobs import MAX_ATTEMPTS

    job = ImportJob.objects.create(
        filename="炸弹.txt",
        requested_by=staff_user,
        token=upload_hold(b"x"),
        state="running",
        holder_host=HOST,
        holder_pid=dead_pid(),
        heartbeat_at=timezone.now(),
        attempts=MAX_ATTEMPTS,
    )

    job_page(staff_client, job)

    job.refresh_from_db()
    assert job.state == "failed" and f"{MAX_ATTEMPTS} 次尝试" in job.message and job.token == ""
    assert not queue.IMPORT_THREADS or all(not t.is_alive() for t in queue.IMPORT_THREADS)
