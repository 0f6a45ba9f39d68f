"""A busy database and an upload Django cannot parse: a Chinese answer, never a traceback or a bare 400."""

from __future__ import annotations

import sqlite3
from contextlib import contextmanager

import pytest
from django.contrib.messages import get_messages
from django.db import OperationalError, connection
from django.urls import reverse

from commitments.models import Assessment, Bureau, Commitment, Report, Section
from commitments.services.busy import BUSY_MESSAGE, database_busy, retry_when_busy

BOUNDARY = "BoUnDaRy"


@contextmanager
def database_locked(wait_ms: int = 200):
    """Another connection holds the write lock (SQLite) or an exclusive table lock (PostgreSQL), and this
    connection gives up waiting after `wait_ms` instead of the production timeout."""
    connection.ensure_connection()
    if connection.vendor == "sqlite":
        connection.connection.execute(f"PRAGMA busy_timeout = {wait_ms}")
        other = sqlite3.connect(connection.settings_dict["NAME"], isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            other.rollback()
            other.close()
    else:
        import psycopg

        with connection.cursor() as cursor:
            cursor.execute(f"SET lock_timeout = '{wait_ms}ms'")
        params = connection.get_connection_params()
        with psycopg.connect(**params) as other:
            other.execute("LOCK TABLE commitments_assessment IN ACCESS EXCLUSIVE MODE")
            yield
            other.rollback()


@pytest.fixture
def assessment(db):
    bureau = Bureau.objects.create(name="中山市民政局")
    text = "2022年工作计划\n一、新建养老机构3家。"
    report = Report.objects.create(bureau=bureau, title="计划", text=text, sha256="b" * 64)
    section = Section.objects.create(report=report, kind=Section.Kind.PLAN, year=2022, start=0, end=len(text))
    commitment = Commitment.objects.create(section=section, text="新建养老机构3家。", start=11, end=len(text))
    return Assessment.objects.create(commitment=commitment, status="partial", confidence=0.5, reason="部分")


@pytest.mark.django_db(transaction=True)
def test_a_review_save_while_the_database_is_locked_answers_the_chinese_busy_page(admin_client, assessment):
    admin_client.get("/admin/")  # the session exists before the lock
    with database_locked():
        response = admin_client.post(
            reverse("review_assessment", args=[assessment.pk]),
            {"action": "save", "version": assessment.version, "status": "fulfilled", "evidence_choice": ""},
        )
    assert response.status_code == 503 and response["Retry-After"]
    assert BUSY_MESSAGE in response.content.decode() and "Traceback" not in response.content.decode()
    assessment.refresh_from_db()
    assert assessment.status == "partial" and assessment.version == 1  # nothing half-written


@pytest.mark.django_db(transaction=True)
def test_a_scorecard_page_that_must_recount_while_locked_answers_the_busy_page(admin_client, assessment):
    admin_client.get("/admin/")
    Bureau.objects.update(scorecard_stale=True)
    with database_locked():
        response = admin_client.get("/scorecards/")
    assert response.status_code == 503 and BUSY_MESSAGE in response.content.decode()


def test_a_short_write_is_tried_again_when_the_database_was_busy(monkeypatch):
    monkeypatch.setattr("commitments.services.busy.BACKOFF_SECONDS", (0, 0, 0))
    attempts = []

    @retry_when_busy
    def write():
        attempts.append(1)
        if len(attempts) < 3:
            raise OperationalError("database is locked")
        return "written"

    assert write() == "written" and len(attempts) == 3


def test_a_write_that_stays_busy_gives_up_and_other_errors_are_not_retried(monkeypatch):
    monkeypatch.setattr("commitments.services.busy.BACKOFF_SECONDS", (0, 0))
    calls = []

    @retry_when_busy
    def busy():
        calls.append(1)
        raise OperationalError("database is locked")

    with pytest.raises(OperationalError):
        busy()
    assert len(calls) == 3
    assert not database_busy(OperationalError("no such table: x")) and not database_busy(ValueError("locked"))


def multipart_with_file_name(name: str) -> bytes:
    return (
        f"--{BOUNDARY}\r\n"
        f'Content-Disposition: form-data; name="file"; filename="{name}"\r\n'
        "Content-Type: text/plain\r\n\r\n"
        "2022年工作计划\r\n一、新建养老机构3家。\r\n"
        f"--{BOUNDARY}--\r\n"
    ).encode()


def test_an_upload_whose_file_name_is_too_long_to_parse_returns_to_the_form_with_a_reason(admin_client):
    """A browser sends the name whole: 1,000 characters overflow the multipart headers Django accepts."""
    url = reverse("admin:commitments_report_import")
    response = admin_client.generic(
        "POST",
        url,
        multipart_with_file_name("报" * 1000 + ".txt"),
        content_type=f"multipart/form-data; boundary={BOUNDARY}",
    )
    assert response.status_code == 302 and response.url == url
    texts = [str(m) for m in get_messages(response.wsgi_request)]
    assert any("文件名太长" in text for text in texts)
    assert not Report.objects.exists()
    page = admin_client.get(url)
    assert page.status_code == 200 and "文件名太长" in page.content.decode()


def test_a_long_file_name_that_parses_gets_a_chinese_form_error(admin_client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("报" * 240 + ".txt", "2022年工作计划\n一、新建养老机构3家。".encode())
    response = admin_client.post(reverse("admin:commitments_report_import"), {"file": upload, "bureau": "中山市民政局"})
    assert response.status_code == 200
    assert "文件名" in str(response.context["form"].errors["file"]) and not Report.objects.exists()
    assert response.context["form"]["bureau"].value() == "中山市民政局"  # the rest of the form is kept
