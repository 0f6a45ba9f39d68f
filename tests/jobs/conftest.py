"""A real redis-server and real `celery -A tracker worker` processes for the job tests.

The worker is a separate process, so it must see the test database: the tests use `transactional_db`
(data committed, not rolled back) and the worker is pointed at the same database: the SQLite test file
(settings give SQLite tests a file, not memory) or, with DATABASE_URL set, the PostgreSQL test database.

Without redis-server or celery these tests fail, never skip: `make test` installs redis-server when it
can (scripts/debian-packages).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import free_port, wait_for

ROOT = Path(__file__).resolve().parents[2]  # the repository


def _missing(reason: str):
    pytest.fail(
        f"{reason}: the job tests run against a real redis-server and celery worker "
        "(`make test` installs redis-server when it can; else apt-get install redis-server)"
    )


class RedisServer:
    """redis-server on a free loopback port, without persistence: a stop loses what it held."""

    def __init__(self, binary: str, workdir: Path):
        self.binary = binary
        self.workdir = workdir
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        args = [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        args += ["--dir", str(self.workdir), "--daemonize", "no", "--protected-mode", "yes"]
        self.process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        import redis

        client = redis.Redis.from_url(self.url, socket_connect_timeout=1)

        def answers():
            try:
                return client.ping()
            except redis.exceptions.ConnectionError:
                assert self.process.poll() is None, "redis-server exited at start"
                return False

        wait_for(answers, timeout=20, what="redis-server")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=20)
        self.process = None


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory):
    binary = shutil.which("redis-server")
    if binary is None:
        _missing("redis-server is not installed")
    server = RedisServer(binary, tmp_path_factory.mktemp("redis"))
    server.start()
    yield server
    server.stop()


def _database_env(connection) -> dict[str, str]:
    """Environment that points a worker process at this test run's database."""
    params = connection.settings_dict
    if connection.vendor == "sqlite":
        name = str(params["NAME"])
        assert name != ":memory:" and "mode=memory" not in name, "the job tests need a file test database"
        return {"SQLITE_PATH": name, "DATABASE_URL": ""}
    if connection.vendor == "postgresql":
        auth = params["USER"] + (f":{params['PASSWORD']}" if params.get("PASSWORD") else "")
        url = f"postgres://{auth}@{params['HOST'] or 'localhost'}:{params['PORT'] or 5432}/{params['NAME']}"
        return {"DATABASE_URL": url}
    pytest.fail(f"no worker set-up for the {connection.vendor} database")


class Worker:
    def __init__(self, process: subprocess.Popen, log: Path):
        self.process = process
        self.log = log

    def kill(self) -> None:
        """SIGKILL the worker and its pool processes at once: nothing gets to clean up."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=20)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()


@pytest.fixture
def broker(redis_server, settings):
    """This test process sends jobs through the real Redis instead of running them eagerly."""
    from tracker.celery import app

    if redis_server.process is None:
        redis_server.start()
    before = {k: app.conf[k] for k in ("broker_url", "task_always_eager")}
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.MATCH_EMBEDDINGS = False  # as the workers below: the same engine on both sides
    app.conf.update(broker_url=redis_server.url, task_always_eager=False)
    _reset_connections(app)
    import redis

    redis.Redis.from_url(redis_server.url).flushall()
    yield redis_server
    app.conf.update(before)
    _reset_connections(app)
    if redis_server.process is None:
        redis_server.start()


def _reset_connections(app) -> None:
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def start_worker(broker, transactional_db, tmp_path):
    """start_worker(concurrency=1) → a running `celery -A tracker worker` on the test database."""
    celery = Path(sys.executable).with_name("celery")
    if not celery.exists() and shutil.which("celery") is None:
        _missing("the celery command is not installed")
    from django.db import connection

    workers: list[Worker] = []

    def start(*, concurrency: int = 1, **extra_env: str) -> Worker:
        log = tmp_path / f"worker{len(workers)}.log"
        env = {
            **os.environ,
            **_database_env(connection),
            "REDIS_URL": broker.url,
            "CELERY_TASK_ALWAYS_EAGER": "false",
            "MATCH_EMBEDDINGS": "0",
            "LOG_FILE": str(tmp_path / "tracker.log"),
            "MATCHING_RUN_STALE_SECONDS": "6",
            "CELERY_VISIBILITY_TIMEOUT": "8",
            **extra_env,
        }
        args = [str(celery if celery.exists() else shutil.which("celery")), "-A", "tracker", "worker"]
        args += ["--concurrency", str(concurrency), "--loglevel", "INFO", "--without-mingle", "--without-gossip"]
        args += ["--hostname", f"test{len(workers)}-{os.getpid()}@%h"]
        with log.open("wb") as out:
            process = subprocess.Popen(
                args, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        worker = Worker(process, log)
        workers.append(worker)

        def ready():
            assert process.poll() is None, f"the worker exited at start:\n{log.read_text(errors='replace')[-3000:]}"
            return re.search(r"\bready\.", log.read_text(errors="replace"))

        wait_for(ready, timeout=90, what="the celery worker to be ready")
        return worker

    start.log_dir = tmp_path
    yield start
    for worker in workers:
        worker.stop()


def run_state(run_id: int) -> str:
    from commitments.models import MatchingRun

    return MatchingRun.objects.get(pk=run_id).state


def shifted(text: str, delta: int) -> str:
    """The same report some years earlier or later: every 20xx year moved by `delta`."""
    return re.sub(r"20[12]\d(?=年|-)", lambda m: str(int(m.group()) + delta), text)


@pytest.fixture
def many_year_bureau(transactional_db, seed, devset_dir, tmp_path, settings):
    """One bureau with several plan years, each with its review: a bureau run of several steps.

    Imported in eager mode, so each plan year is matched once on import, as in a real deployment's past.
    """
    from commitments.models import Bureau
    from commitments.services.reports import report_import

    settings.MATCH_EMBEDDINGS = False
    plan = seed("001").read_text(encoding="utf-8")
    review = (devset_dir / "zhongshan_2022_review.synthetic.txt").read_text(encoding="utf-8")
    name = "作业测试市民政局"
    for delta in (-4, -3, -2, -1, 0):
        for kind, text in (("plan", plan), ("review", review)):
            path = tmp_path / f"{kind}{delta}.txt"
            path.write_text(shifted(text, delta), encoding="utf-8")
            # The same text with its years moved is a near-copy on purpose: kept as the report of another year.
            outcome = report_import(path=path, bureau_name=name, near_duplicates="keep")
            assert outcome.status == "imported", outcome.reason
    return Bureau.objects.get(name=name)


@pytest.fixture
def imported_pair(transactional_db, seed, devset_dir, settings):
    """中山市民政局's 2022 plan and its review, committed (a worker can read them), matched on import."""
    from commitments.services.reports import report_import

    settings.MATCH_EMBEDDINGS = False
    plan = report_import(path=seed("001")).report
    review = report_import(path=devset_dir / "zhongshan_2022_review.synthetic.txt", bureau_name="中山市民政局").report
    return plan, review


def results_snapshot(bureau) -> tuple[list, list]:
    """Evidence and assessments of a bureau, without ids of runs or times."""
    from commitments.models import Assessment, Evidence

    evidence = Evidence.objects.filter(commitment__section__report__bureau=bureau)
    assessments = Assessment.objects.filter(commitment__section__report__bureau=bureau)
    return (
        sorted(evidence.values_list("commitment_id", "rank", "section_id", "start", "end", "score")),
        sorted(assessments.values_list("commitment_id", "status", "source", "confidence", "machine_status", "note")),
    )
