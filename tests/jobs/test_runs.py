"""Scope locks, stale runs, the periodic check and the schedule, in eager mode (no broker needed)."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from commitments.engine import analyse
from commitments.engine.matching.model_file import engine_version
from commitments.jobs import runs as job_runs
from commitments.jobs.runs import (
    matching_check,
    matching_nightly_request,
    matching_run_execute,
    matching_runs_recover,
    outdated_scopes,
)
from commitments.jobs.schedule import SCHEDULE
from commitments.models import Assessment, Evidence, MatchingRun, Report
from commitments.services.matching import commitments_match
from commitments.services.runs import ScopeBusy, matching_run_create


@pytest.fixture(autouse=True)
def lexical(settings):
    settings.MATCH_EMBEDDINGS = False
    settings.MATCHING_RUN_STALE_SECONDS = 60


def evidence_snapshot():
    return sorted(Evidence.objects.values_list("commitment_id", "rank", "text", "score"))


def running(bureau, *, seconds_ago: int) -> MatchingRun:
    """A run another process holds, that last reported progress `seconds_ago`."""
    run = matching_run_create(bureau=bureau)
    beat = timezone.now() - timedelta(seconds=seconds_ago)
    MatchingRun.objects.filter(pk=run.pk).update(state=MatchingRun.State.RUNNING, heartbeat_at=beat)
    return run


def test_the_database_allows_one_running_run_per_scope(zhongshan_pair):
    bureau = zhongshan_pair[0].bureau
    running(bureau, seconds_ago=0)
    other = matching_run_create(bureau=bureau)
    year_run = matching_run_create(bureau=bureau, year=2022)
    MatchingRun.objects.filter(pk=year_run.pk).update(state=MatchingRun.State.RUNNING)  # another scope: allowed
    with pytest.raises(IntegrityError), transaction.atomic():
        MatchingRun.objects.filter(pk=other.pk).update(state=MatchingRun.State.RUNNING)


def test_a_second_run_of_a_scope_waits_while_the_first_is_alive(zhongshan_pair):
    bureau = zhongshan_pair[0].bureau
    holder = running(bureau, seconds_ago=5)
    second = matching_run_create(bureau=bureau)

    with pytest.raises(ScopeBusy) as busy:
        commitments_match(bureau=bureau, run=second)

    assert busy.value.holder_id == holder.pk
    second.refresh_from_db()
    assert (second.state, second.attempts) == (MatchingRun.State.QUEUED, 0)


def test_a_holder_that_stopped_reporting_progress_is_taken_over(zhongshan_pair):
    bureau = zhongshan_pair[0].bureau
    dead = running(bureau, seconds_ago=120)
    before = evidence_snapshot()
    second = matching_run_create(bureau=bureau)

    commitments_match(bureau=bureau, run=second)

    dead.refresh_from_db()
    second.refresh_from_db()
    assert dead.state == MatchingRun.State.FAILED and f"由运行 #{second.pk} 接替" in dead.error
    assert (second.state, second.changed, second.attempts) == (MatchingRun.State.DONE, 0, 1)
    assert evidence_snapshot() == before


def test_a_run_delivered_twice_is_done_once(zhongshan_pair):
    run = matching_run_create(bureau=zhongshan_pair[0].bureau)
    matching_run_execute(run_id=run.pk)
    matching_run_execute(run_id=run.pk)

    run.refresh_from_db()
    assert (run.state, run.attempts) == (MatchingRun.State.DONE, 1)
    assert matching_run_execute(run_id=10**9) is None


def test_recover_sends_again_a_run_whose_worker_died_and_one_never_sent(zhongshan_pair, settings):
    bureau = zhongshan_pair[0].bureau
    dead = running(bureau, seconds_ago=120)
    unsent = matching_run_create(bureau=bureau, year=2022)
    MatchingRun.objects.filter(pk=unsent.pk).update(created_at=timezone.now() - timedelta(minutes=5))
    fresh = matching_run_create(bureau=bureau, year=2021)  # may still be on its way

    recovered = matching_runs_recover()

    assert {r.pk for r in recovered} == {dead.pk, unsent.pk}
    states = dict(MatchingRun.objects.values_list("pk", "state"))
    assert states[dead.pk] == states[unsent.pk] == MatchingRun.State.DONE  # eager: done when sent
    assert states[fresh.pk] == MatchingRun.State.QUEUED


def test_the_check_rematches_what_an_older_engine_made_and_keeps_analyst_decisions(zhongshan_pair):
    plan, review = zhongshan_pair
    Evidence.objects.update(engine_version="match-0.0")
    decided = Assessment.objects.filter(commitment__section__report=plan).first()
    Assessment.objects.filter(pk=decided.pk).update(
        source=Assessment.Source.ANALYST, status="not_fulfilled", note="分析员意见", engine_version="match-0.0"
    )
    assert outdated_scopes() == [(plan.bureau_id, 2022)]

    outcome = matching_check()

    assert [(r.scope_bureau_id, r.scope_year, r.trigger) for r in outcome.requested] == [
        (plan.bureau_id, 2022, MatchingRun.Trigger.OUTDATED)
    ]
    assert outdated_scopes() == []
    assert set(Evidence.objects.values_list("engine_version", flat=True)) == {engine_version()}
    decided.refresh_from_db()
    assert (decided.source, decided.status, decided.note) == ("analyst", "not_fulfilled", "分析员意见")


def test_the_check_reextracts_a_report_of_an_older_extraction_engine(zhongshan_pair):
    plan, _ = zhongshan_pair
    Report.objects.filter(pk=plan.pk).update(engine_version="extract-0.0")

    outcome = matching_check()

    plan.refresh_from_db()
    assert outcome.reextracted == [plan.pk]
    assert plan.engine_version == analyse.engine_version()


def test_the_nightly_job_asks_one_run_per_matched_bureau(zhongshan_pair, seed):
    from commitments.services.reports import report_import

    report_import(path=seed("000"))  # names no bureau: the placeholder, never matched

    runs = matching_nightly_request()

    assert [(r.scope_bureau, r.scope_year, r.trigger, r.state) for r in runs] == [
        (zhongshan_pair[0].bureau, None, MatchingRun.Trigger.NIGHTLY, MatchingRun.State.DONE)
    ]


@pytest.mark.django_db
def test_schedule_ensure_creates_the_periodic_jobs_once_and_keeps_edits():
    out = call_command_output("schedule_ensure")
    assert "每夜全量重新匹配：已建立" in out and "检查过期与中断的匹配：已建立" in out
    nightly = PeriodicTask.objects.get(name="每夜全量重新匹配")
    assert (nightly.task, nightly.crontab.hour, nightly.crontab.minute) == (
        "commitments.tasks.matching_nightly",
        "2",
        "30",
    )
    PeriodicTask.objects.filter(pk=nightly.pk).update(enabled=False)  # an admin switched it off

    out = call_command_output("schedule_ensure")

    assert "已存在，未改动" in out
    assert PeriodicTask.objects.filter(name__in=SCHEDULE).count() == 2
    assert not PeriodicTask.objects.get(pk=nightly.pk).enabled


def test_rematch_async_without_a_broker_runs_at_once(zhongshan_pair):
    out = call_command_output("rematch", "--bureau", "中山市民政局", "--async")

    run = MatchingRun.objects.exclude(trigger=MatchingRun.Trigger.IMPORT).get()
    assert f"已提交后台匹配（运行 #{run.pk}，已完成）" in out
    assert run.state == MatchingRun.State.DONE and run.total > 0


def call_command_output(*args) -> str:
    from io import StringIO

    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_a_lost_database_connection_is_retried(zhongshan_pair, monkeypatch):
    from django.db import OperationalError

    from commitments import tasks

    run = matching_run_create(bureau=zhongshan_pair[0].bureau)
    real = matching_run_execute
    calls = []

    def flaky(**kwargs):
        calls.append(kwargs)
        if len(calls) == 1:
            raise OperationalError("server closed the connection unexpectedly")
        return real(**kwargs)

    monkeypatch.setattr(job_runs, "matching_run_execute", flaky)

    result = tasks.matching_run_execute.apply(args=(run.pk,), throw=False)  # eager: the retry follows at once

    assert result.successful() and len(calls) == 2
    run.refresh_from_db()
    assert run.state == MatchingRun.State.DONE


def test_an_engine_error_fails_the_run_without_retrying(zhongshan_pair, monkeypatch):
    from commitments import tasks
    from commitments.engine.matching import engine

    monkeypatch.setattr(engine, "match_commitments", lambda *a, **k: 1 / 0)
    run = matching_run_create(bureau=zhongshan_pair[0].bureau)

    with pytest.raises(ZeroDivisionError):
        tasks.matching_run_execute.apply(args=(run.pk,), throw=True)

    run.refresh_from_db()
    assert (run.state, run.attempts) == (MatchingRun.State.FAILED, 1) and "ZeroDivisionError" in run.error
