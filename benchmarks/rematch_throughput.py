"""Re-matching throughput: one in-process run against 1 and 2 Celery worker processes. Prints figures.

    .venv/bin/python benchmarks/rematch_throughput.py [--pairs 200] [--workers 1,2] [--no-embeddings]

Builds a throwaway deployment in a temporary directory: a SQLite database file (or the PostgreSQL
database of --database-url, which is emptied) and a redis-server on a free loopback port. It imports
--pairs synthetic report pairs (plan of 2022 + its review, ~15k characters each, made from the seed and
devset paragraphs by benchmarks/match_pairs.py), each pair under a bureau of its own, then re-matches
everything three ways, each time from no results (evidence and assessments deleted, so every way writes
as much):

- in-process: `commitments_match()` in this process, models loaded beforehand;
- N workers: `celery -A tracker worker --concurrency N`, started and warm before the clock starts, given
  the nightly job (one run per bureau through Redis); the clock stops when every run is done.

Commitments per second = plan commitments matched / wall seconds. Asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(condition, timeout: float, what: str, interval: float = 0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := condition():
            return value
        time.sleep(interval)
    raise SystemExit(f"timed out waiting for {what}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pairs", type=int, default=200)
    parser.add_argument("--workers", default="1,2", help="worker process counts to measure, comma-separated")
    parser.add_argument("--no-embeddings", action="store_true", help="lexical scoring only (MATCH_EMBEDDINGS=0)")
    parser.add_argument("--database-url", default="", help="a PostgreSQL database to use (it is emptied)")
    args = parser.parse_args()

    redis_server = shutil.which("redis-server")
    if redis_server is None:
        raise SystemExit("redis-server is needed (apt-get install redis-server)")
    workdir = Path(tempfile.mkdtemp(prefix="rematch-bench-"))
    port = free_port()
    env = {
        "REDIS_URL": f"redis://127.0.0.1:{port}/0",
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "MATCH_EMBEDDINGS": "0" if args.no_embeddings else "1",
        "LOG_FILE": str(workdir / "tracker.log"),
        "DATABASE_URL": args.database_url,
        "SQLITE_PATH": str(workdir / "bench.sqlite3"),
    }
    os.environ.update(env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tracker.settings")
    redis = subprocess.Popen(
        [redis_server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        cwd=workdir,
        stdout=subprocess.DEVNULL,
    )
    try:
        run(args, workdir, env)
    finally:
        redis.terminate()
        redis.wait()
        shutil.rmtree(workdir, ignore_errors=True)


def run(args, workdir: Path, env: dict[str, str]) -> None:
    import django

    django.setup()
    import redis as redis_client
    from django.conf import settings
    from django.core.management import call_command
    from match_pairs import write_synthetic

    from commitments.jobs.runs import matching_nightly_request, models_warm
    from commitments.models import Assessment, Commitment, Evidence, MatchingRun
    from commitments.services.matching import commitments_match
    from commitments.services.reports import report_import
    from tracker.celery import app

    wait_for(lambda: _pings(redis_client, env["REDIS_URL"]), 20, "redis-server")
    if args.database_url:
        call_command("flush", "--noinput", verbosity=0)
    call_command("migrate", "--noinput", verbosity=0)

    started = time.perf_counter()
    pairs = write_synthetic(workdir, args.pairs)
    for index, (plan, review, _year) in enumerate(pairs):
        for path in (plan, review):
            outcome = report_import(path=path, bureau_name=f"基准测试{index:03d}市民政局")
            if outcome.status != "imported":
                raise SystemExit(f"{path.name}: {outcome.reason}")
    # The imports queued their runs for workers that are not there: drop them, each way starts clean.
    app.control.purge()
    MatchingRun.objects.all().delete()
    commitments = Commitment.objects.filter(section__kind="plan").count()
    print(
        f"{args.pairs} pairs imported in {time.perf_counter() - started:.0f} s: {commitments} plan commitments; "
        f"database {settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]}, "
        f"embeddings {'off' if args.no_embeddings else 'on'}, {os.cpu_count()} CPUs"
    )

    def clean() -> None:
        Evidence.objects.all().delete()
        Assessment.objects.all().delete()
        MatchingRun.objects.all().delete()

    rows = []
    clean()
    models_warm()
    started = time.perf_counter()
    outcome = commitments_match()
    seconds = time.perf_counter() - started
    rows.append(("in-process (1 process)", outcome.commitments, seconds))
    baseline = outcome.commitments / seconds

    for count in [int(n) for n in args.workers.split(",") if n.strip()]:
        clean()
        worker = _worker(count, workdir, env)
        try:
            started = time.perf_counter()
            runs = matching_nightly_request()
            pending = {r.pk for r in runs}

            def finished(pending=pending) -> bool:
                states = set(MatchingRun.objects.filter(pk__in=pending).values_list("state", flat=True))
                if MatchingRun.State.FAILED in states:
                    raise SystemExit("a run failed: " + str(MatchingRun.objects.filter(state="failed").first().error))
                return states == {MatchingRun.State.DONE}

            wait_for(finished, 6 * 3600, "the workers", interval=0.5)
            seconds = time.perf_counter() - started
        finally:
            worker.terminate()
            worker.wait(timeout=60)
        matched = Assessment.objects.count()
        rows.append((f"{count} worker process{'es' if count > 1 else ''}", matched, seconds))

    print(f"\n{'way':<24}{'commitments':>12}{'seconds':>10}{'commitments/s':>15}{'vs in-process':>15}")
    for name, matched, seconds in rows:
        rate = matched / seconds
        print(f"{name:<24}{matched:>12}{seconds:>10.1f}{rate:>15.1f}{rate / baseline:>14.2f}x")


def _pings(client, url: str) -> bool:
    try:
        return client.Redis.from_url(url).ping()
    except client.exceptions.ConnectionError:
        return False


def _worker(count: int, workdir: Path, env: dict[str, str]) -> subprocess.Popen:
    """A worker with `count` pool processes, returned once every pool process has loaded the models."""
    log = workdir / f"worker{count}.log"
    celery = Path(sys.executable).with_name("celery")
    process = subprocess.Popen(
        [str(celery), "-A", "tracker", "worker", "--concurrency", str(count), "--loglevel", "INFO"]
        + ["--without-mingle", "--without-gossip", "--hostname", f"bench{count}@%h"],
        cwd=REPO,
        env={**os.environ, **env},
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    wait_for(lambda: re.search(r"\bready\.", log.read_text(errors="replace")), 300, "the worker")
    # Each pool process logs when it has loaded the models (worker_process_init): wait for all of them.
    tracker_log = Path(env["LOG_FILE"])
    pids = {str(p) for p in _children(process.pid)}

    def loaded() -> bool:
        text = tracker_log.read_text(errors="replace") if tracker_log.exists() else ""
        return len(pids & set(re.findall(r"models loaded in process (\d+)", text))) >= count

    wait_for(loaded, 300, "the pool processes to load the models")
    return process


def _children(pid: int) -> list[int]:
    found = wait_for(lambda: Path(f"/proc/{pid}/task/{pid}/children").read_text().split(), 60, "pool processes")
    return [int(p) for p in found]


if __name__ == "__main__":
    main()
