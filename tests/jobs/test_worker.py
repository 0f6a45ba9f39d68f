"""A real `celery -A tracker worker` takes matching jobs from a real redis-server (see conftest.py)."""

import re

import pytest
from django.core.management import CommandError, call_command

from commitments.jobs import runs as job_runs
from commitments.jobs.runs import matching_runs_recover
from commitments.models import Assessment, Commitment, Evidence, MatchingRun
from commitments.queue import EnqueueFailed, run_enqueue
from commitments.services.reports import report_import
from commitments.services.runs import matching_run_create, matching_run_request
from tests.helpers import wait_for

pytestmark = pytest.mark.django_db(transaction=True)


def runs_done(runs) -> bool:
    states = set(MatchingRun.objects.filter(pk__in=[r.pk for r in runs]).values_list("state", flat=True))
    assert MatchingRun.State.FAILED not in states, list(MatchingRun.objects.values_list("pk", "state", "error"))
    return states == {MatchingRun.State.DONE}


def assert_complete(bureau) -> None:
    """Every commitment with a review has 1-3 evidence rows ranked 1..n, and another run (by the worker,
    whose engine code is the one that wrote them) changes nothing."""
    for commitment in Commitment.objects.filter(section__report__bureau=bureau, assessment__isnull=False):
        ranks = list(commitment.evidence.order_by("rank").values_list("rank", flat=True))
        assert ranks == list(range(1, len(ranks) + 1)) and len(ranks) <= 3
    check = matching_run_request(bureau=bureau)
    wait_for(lambda: runs_done([check]), timeout=120, what="a checking run")
    check.refresh_from_db()
    assert check.total > 0 and check.changed == 0


def test_a_worker_matches_an_imported_review_through_redis(start_worker, seed, devset_dir):
    start_worker()
    plan = report_import(path=seed("001")).report
    report_import(path=devset_dir / "zhongshan_2022_review.synthetic.txt", bureau_name="中山市民政局")
    runs = list(MatchingRun.objects.filter(trigger=MatchingRun.Trigger.IMPORT))
    assert runs and {r.scope_bureau_id for r in runs} == {plan.bureau_id}

    wait_for(lambda: runs_done(runs), timeout=120, what="the worker to finish the import's runs")

    plan_commitments = Commitment.objects.filter(section__report=plan, section__kind="plan")
    assert Assessment.objects.filter(commitment__in=plan_commitments).count() == plan_commitments.count()
    assert Evidence.objects.filter(commitment__in=plan_commitments).exists()
    assert_complete(plan.bureau)


def test_a_worker_killed_mid_run_leaves_the_run_to_the_next_one(many_year_bureau, start_worker):
    bureau = many_year_bureau
    decided = Assessment.objects.filter(commitment__section__report__bureau=bureau).order_by("pk").first()
    Assessment.objects.filter(pk=decided.pk).update(
        source=Assessment.Source.ANALYST, status="not_fulfilled", note="分析员的结论", machine_status="fulfilled"
    )
    decided.refresh_from_db()
    Evidence.objects.filter(commitment__section__report__bureau=bureau).delete()  # the run rewrites it all
    run = matching_run_request(bureau=bureau)
    worker = start_worker()

    def midway():
        run.refresh_from_db()
        return run.state == MatchingRun.State.RUNNING and 0 < run.done < run.total

    wait_for(midway, timeout=120, interval=0.02, what="the run to be half done")
    worker.kill()
    run.refresh_from_db()
    assert run.state == MatchingRun.State.RUNNING and run.done < run.total

    start_worker()  # gets the unacknowledged job back after the visibility timeout
    wait_for(lambda: runs_done([run]), timeout=180, what="the next worker to finish the run")

    run.refresh_from_db()
    assert run.attempts == 2 and run.done == run.total
    assert_complete(bureau)
    after = Assessment.objects.get(pk=decided.pk)
    assert (after.source, after.status, after.note) == ("analyst", "not_fulfilled", "分析员的结论")


def test_a_job_asked_while_redis_is_down_is_reported_and_runs_after_it_is_back(
    imported_pair, broker, start_worker, settings, monkeypatch
):
    bureau = imported_pair[0].bureau
    broker.stop()

    with pytest.raises(EnqueueFailed):
        matching_run_request(bureau=bureau)
    with pytest.raises(CommandError, match="任务队列不可用"):
        call_command("rematch", "--bureau", bureau.name, "--async")
    refused = list(MatchingRun.objects.exclude(trigger=MatchingRun.Trigger.IMPORT).all())
    assert len(refused) == 2
    for run in refused:
        assert run.state == MatchingRun.State.QUEUED and run.enqueued_at is None
        assert "任务队列不可用" in run.error and "恢复后自动重新排队" in run.error

    broker.start()
    sent = matching_run_request(bureau=bureau)  # reaches Redis ...
    assert sent.enqueued_at is not None
    broker.stop()  # ... which loses it: no persistence
    broker.start()
    start_worker()
    requested = MatchingRun.objects.exclude(trigger=MatchingRun.Trigger.IMPORT)
    assert set(requested.values_list("state", flat=True)) == {MatchingRun.State.QUEUED}

    settings.MATCHING_RUN_REQUEUE_SECONDS = 0
    monkeypatch.setattr(job_runs, "UNSENT_GRACE_SECONDS", 0)
    recovered = matching_runs_recover()

    assert {r.pk for r in recovered} == {r.pk for r in [*refused, sent]}
    wait_for(lambda: runs_done(recovered), timeout=180, what="the recovered runs")
    changed = sorted(requested.values_list("changed", flat=True))
    assert changed[:-1] == [0, 0]  # done one after the other: the first did it all
    assert_complete(bureau)


def test_two_runs_of_the_same_scope_at_once_one_waits_and_results_are_identical(many_year_bureau, start_worker):
    bureau = many_year_bureau
    Evidence.objects.filter(commitment__section__report__bureau=bureau).delete()
    first = matching_run_create(bureau=bureau)
    second = matching_run_create(bureau=bureau)
    start_worker(concurrency=2)

    run_enqueue(first)
    run_enqueue(second)
    wait_for(lambda: runs_done([first, second]), timeout=240, what="both runs")

    first.refresh_from_db()
    second.refresh_from_db()
    earlier, later = sorted([first, second], key=lambda r: r.started_at)
    assert later.started_at >= earlier.finished_at  # never both running
    assert earlier.changed > 0 and later.changed == 0
    assert_complete(bureau)
    log = (start_worker.log_dir / "tracker.log").read_text(encoding="utf-8")
    assert re.search(rf"run {later.pk} waits: 同一范围的匹配运行 #{earlier.pk} 正在进行", log)


def test_a_worker_imports_a_big_upload_held_by_the_web_process(start_worker, settings, tmp_path, staff_user):
    from commitments.models import ImportJob, Report
    from commitments.services.import_jobs import import_job_create
    from tests.paths import seed

    settings.UPLOAD_HOLD_DIR = tmp_path / "held"
    start_worker(UPLOAD_HOLD_DIR=str(settings.UPLOAD_HOLD_DIR))
    job = import_job_create(
        data=seed("003").read_bytes(), filename="兰陵.txt", bureau_name=None, year=None, user=staff_user
    )

    def finished():
        job.refresh_from_db()
        assert job.state != ImportJob.State.FAILED, job.message
        return job.state == ImportJob.State.DONE

    wait_for(finished, timeout=180, what="the worker to import the upload")
    report = Report.objects.get()
    assert (job.outcome, job.report_id, job.attempts) == ("imported", report.pk, 1)
    assert job.commitments == Commitment.objects.filter(section__report=report).count() > 0
    assert not any(settings.UPLOAD_HOLD_DIR.iterdir())  # the held bytes are let go
