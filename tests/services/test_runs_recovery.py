"""Matching a report never depends on the process that imported it surviving.

A killed import leaves the report committed, its commitments without assessments and its run "进行中";
the state is made here exactly so, with the process id of a real process that was killed with SIGKILL.
"""

from __future__ import annotations

import subprocess
import sys

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from commitments.models import Assessment, Commitment, Evidence, MatchingRun
from commitments.services.matching import scope_rematch
from commitments.services.runs import HOST

pytestmark = pytest.mark.django_db


def killed_process_id() -> int:
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    child.kill()  # SIGKILL, as `kill -9`
    child.wait()
    return child.pid


def interrupted(plan, *, pid: int | None, state=MatchingRun.State.RUNNING) -> MatchingRun:
    """What a server killed while matching leaves behind: no assessments, and its run still holding the scope."""
    Evidence.objects.all().delete()
    Assessment.objects.all().delete()
    return MatchingRun.objects.create(
        scope_bureau=plan.bureau,
        scope_year=2022,
        state=state,
        heartbeat_at=timezone.now(),  # fresh: it died a moment ago
        holder_host=HOST if pid else "",
        holder_pid=pid,
    )


def unmatched(plan) -> int:
    return Commitment.objects.filter(section__report=plan, assessment__isnull=True).count()


def test_a_new_run_takes_over_at_once_from_a_run_whose_process_was_killed(zhongshan_pair):
    """Not after MATCHING_RUN_STALE_SECONDS: the holder's process on this host is gone, so is its claim."""
    plan, _ = zhongshan_pair
    dead = interrupted(plan, pid=killed_process_id())
    assert unmatched(plan) > 0

    run, _ = scope_rematch(bureau=plan.bureau, year=2022)

    dead.refresh_from_db()
    assert dead.state == MatchingRun.State.FAILED and "已不存在" in dead.error and f"#{run.pk}" in dead.error
    assert run.state == MatchingRun.State.DONE and unmatched(plan) == 0


def test_rematch_finishes_the_run_a_killed_process_left_running(zhongshan_pair):
    plan, _ = zhongshan_pair
    dead = interrupted(plan, pid=killed_process_id())

    call_command("rematch", bureau=plan.bureau.name, year="2022")

    dead.refresh_from_db()
    assert dead.state == MatchingRun.State.DONE and unmatched(plan) == 0


def test_a_run_held_by_a_live_looking_process_refuses_rematch_but_force_takes_it_over(zhongshan_pair):
    plan, _ = zhongshan_pair
    held = interrupted(plan, pid=None)  # another machine, heartbeat fresh: it may be alive

    with pytest.raises(CommandError, match="--force"):
        call_command("rematch", bureau=plan.bureau.name, year="2022")
    call_command("rematch", bureau=plan.bureau.name, year="2022", force=True)

    held.refresh_from_db()
    assert held.state == MatchingRun.State.FAILED and unmatched(plan) == 0


def test_the_next_page_finishes_a_run_a_killed_import_left_queued(zhongshan_pair, staff_client):
    plan, _ = zhongshan_pair
    queued = interrupted(plan, pid=None, state=MatchingRun.State.QUEUED)

    response = staff_client.get("/admin/review/")

    assert response.status_code == 200
    queued.refresh_from_db()
    assert queued.state == MatchingRun.State.DONE and unmatched(plan) == 0


def test_the_next_import_finishes_a_run_whose_process_was_killed(zhongshan_pair, seed):
    from commitments.services.reports import report_import

    plan, _ = zhongshan_pair
    dead = interrupted(plan, pid=killed_process_id())

    report_import(path=seed("003"))  # another bureau's report: its import looks for interrupted runs first

    dead.refresh_from_db()
    assert dead.state == MatchingRun.State.DONE and unmatched(plan) == 0


def test_a_live_holder_on_this_host_is_left_alone(zhongshan_pair, staff_client):
    """The process is alive (this one): the run is not taken from it."""
    import os

    plan, _ = zhongshan_pair
    live = interrupted(plan, pid=os.getppid())

    staff_client.get("/admin/review/")

    live.refresh_from_db()
    assert live.state == MatchingRun.State.RUNNING and unmatched(plan) > 0


def test_re_uploading_a_report_a_killed_import_left_unmatched_offers_to_match_it(zhongshan_pair, staff_client, seed):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    plan, _ = zhongshan_pair
    interrupted(plan, pid=killed_process_id())
    MatchingRun.objects.filter(state=MatchingRun.State.DONE).delete()  # the killed import never finished one

    upload = SimpleUploadedFile(seed("001").name, seed("001").read_bytes())
    response = staff_client.post(reverse("admin:commitments_report_import"), {"file": upload}, follow=True)
    page = response.content.decode()
    assert "内容未变化" in page and "尚未完成匹配" in page and "立即匹配" in page

    staff_client.post(reverse("admin:commitments_report_match", args=[plan.pk]))
    assert unmatched(plan) == 0


def test_re_uploading_a_matched_report_offers_nothing(zhongshan_pair, staff_client, seed):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    upload = SimpleUploadedFile(seed("001").name, seed("001").read_bytes())
    response = staff_client.post(reverse("admin:commitments_report_import"), {"file": upload}, follow=True)
    page = response.content.decode()
    assert "内容未变化" in page and "尚未完成匹配" not in page
